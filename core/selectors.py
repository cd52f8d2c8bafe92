"""Reads of the floor (job runs), always scoped to the user who asks."""

import datetime as dt
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from .access import get_scoped_or_404, require_capability, scope_to_user
from .models import District, JobRun
from .plans import planner_settings
from .roles import Capability

# The work queue's 失败的批处理: failed runs of the last days (older ones were seen, or run again since).
FAILED_RECENT_DAYS = 7


# How a list of IndexOrderedQuerySet is planned (its docstring says why).
LIST_PLANNER_SETTINGS = {"enable_sort": "off", "random_page_cost": "1.1"}


class IndexOrderedQuerySet(QuerySet):
    """A list whose every filter has an index ending in id (its selector made sure of it), read with
    enable_sort = off, so PostgreSQL walks an index in the list's order and LIMIT stops after one page.

    Without this the plan depends on the statistics: on tables ANALYZEd while empty (a new database, or
    before autovacuum catches up with an import) a filter looks like it matches a handful of rows, the
    planner picks "fetch every match, then sort", and at 5M rows that reads 100,000s of rows for 51.
    enable_sort = off only makes a sort look expensive (it is still used where nothing else is possible);
    it is set locally for this one statement's transaction (core.plans), never for the pooled session.

    With sorts ruled out, two paths give the order: the filter's own index, or the primary key walked backwards
    with the filter tested on each row. On PostgreSQL's default random_page_cost (4) the planner prices the
    filter's index as scattered heap reads and walks the primary key, expecting the matches spread evenly; after
    a sorted import they are not (at 5M enrollments the city-wide 退休 list read 80,541 rows for 51: 16-22 ms).
    The filter's index reads exactly the page's rows, so the list is planned with the random_page_cost that
    docs/operations.md sets for the production server (1.1, data in memory or on NVMe)."""

    def _fetch_all(self):
        if self._result_cache is None and connections[self.db].vendor == "postgresql":
            with planner_settings(using=self.db, **LIST_PLANNER_SETTINGS):
                super()._fetch_all()
        else:
            super()._fetch_all()


def job_run_list(*, fetched_by: Any, status: str = "", since_days: int | None = None) -> QuerySet[JobRun]:
    """Runs in the user's scope, newest first; optionally of one status and created in the last days."""
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(JobRun.objects.all(), user=fetched_by).select_related("started_by").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if since_days:
        qs = qs.filter(created_at__gte=timezone.now() - dt.timedelta(days=since_days))
    return qs


def get_job_run_for_user_or_404(*, fetched_by: Any, run_id: int) -> JobRun:
    return get_scoped_or_404(JobRun.objects.all(), user=fetched_by, capability=Capability.VIEW, pk=run_id)


def district_list(*, fetched_by: Any) -> QuerySet[District]:
    """Reference data: every staff role may read the whole list (needed to pick a transfer target)."""
    require_capability(fetched_by, Capability.VIEW)
    return District.objects.order_by("code")
