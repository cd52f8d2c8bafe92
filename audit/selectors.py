"""Reads of the audit app, always scoped to the user who asks."""

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .access import get_scoped_or_404, require_capability, scope_to_user
from .models import AuditEvent, JobRun
from .roles import Capability


def audit_event_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[AuditEvent]:
    require_capability(fetched_by, Capability.VIEW_AUDIT)
    filters = filters or {}
    qs = scope_to_user(AuditEvent.objects.all(), user=fetched_by).select_related("district")
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor_username=filters["actor"])
    if filters.get("object_type"):
        qs = qs.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        qs = qs.filter(object_id=str(filters["object_id"]))
    if filters.get("district") and fetched_by.is_city_wide:
        qs = qs.filter(district=filters["district"])
    # Dates are days in Asia/Shanghai (settings.TIME_ZONE): [from 00:00, to + 1 day 00:00).
    if filters.get("date_from"):
        qs = qs.filter(occurred_at__gte=_local_midnight(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(occurred_at__lt=_local_midnight(filters["date_to"] + dt.timedelta(days=1)))
    return qs.order_by("-id")


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), zoneinfo.ZoneInfo(settings.TIME_ZONE))


def get_audit_event_for_user_or_404(*, fetched_by: Any, event_id: int) -> AuditEvent:
    return get_scoped_or_404(AuditEvent.objects.all(), user=fetched_by, capability=Capability.VIEW_AUDIT, pk=event_id)


def job_run_list(*, fetched_by: Any) -> QuerySet[JobRun]:
    require_capability(fetched_by, Capability.VIEW)
    return scope_to_user(JobRun.objects.all(), user=fetched_by).select_related("started_by").order_by("-id")


def get_job_run_for_user_or_404(*, fetched_by: Any, run_id: int) -> JobRun:
    return get_scoped_or_404(JobRun.objects.all(), user=fetched_by, capability=Capability.VIEW, pk=run_id)


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
