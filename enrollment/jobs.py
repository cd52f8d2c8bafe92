"""Job kinds of the enrollment app, registered with the shared job runner."""

from . import annual  # noqa: F401  (register annual_collection, annual_rollover)
from .importing import payments, pipeline  # noqa: F401  (register import_validate, import_apply, payments_import)
