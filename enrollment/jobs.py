"""Job kinds of the enrollment app, registered with the shared job runner."""

from .importing import pipeline  # noqa: F401  (registers import_validate and import_apply)
