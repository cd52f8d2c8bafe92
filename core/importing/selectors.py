"""Reads of import batches, scoped to the user who asks."""

from typing import Any

from django.db.models import QuerySet

from ..access import get_scoped_or_404, require_capability, scope_to_user
from ..models import ImportBatch, ImportRowError
from ..roles import Capability


def import_batch_list(*, fetched_by: Any, status: str = "") -> QuerySet[ImportBatch]:
    """The user's district's batches (city-wide users: all), optionally of one status (e.g. 待确认)."""
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(ImportBatch.objects.all(), user=fetched_by).select_related("uploaded_by", "job_run")
    return qs.filter(status=status) if status else qs


def get_import_batch_for_user_or_404(*, fetched_by: Any, batch_id: int) -> ImportBatch:
    return get_scoped_or_404(
        ImportBatch.objects.select_related("job_run", "district"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=batch_id,
    )


def import_row_errors(*, batch: ImportBatch) -> QuerySet[ImportRowError]:
    return batch.row_errors.order_by("row_number", "id")
