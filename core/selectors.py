"""Reads of the floor (job runs), always scoped to the user who asks."""

from typing import Any

from django.db.models import QuerySet

from .access import get_scoped_or_404, require_capability, scope_to_user
from .models import District, JobRun
from .roles import Capability


def job_run_list(*, fetched_by: Any) -> QuerySet[JobRun]:
    require_capability(fetched_by, Capability.VIEW)
    return scope_to_user(JobRun.objects.all(), user=fetched_by).select_related("started_by").order_by("-id")


def get_job_run_for_user_or_404(*, fetched_by: Any, run_id: int) -> JobRun:
    return get_scoped_or_404(JobRun.objects.all(), user=fetched_by, capability=Capability.VIEW, pk=run_id)


def district_list(*, fetched_by: Any) -> QuerySet[District]:
    """Reference data: every staff role may read the whole list (needed to pick a transfer target)."""
    require_capability(fetched_by, Capability.VIEW)
    return District.objects.order_by("code")
