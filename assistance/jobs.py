"""Batch-job kinds of the assistance app, imported at startup so the runner finds them."""

from . import importing  # noqa: F401  (register aid_recipients_import)
