"""Reads of the audit-trail viewer, always scoped to the user who asks."""

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.models import AuditEvent
from core.roles import Capability


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


def audit_event_object_types() -> list[str]:
    """The object types present in the trail, read by skipping along the object_type index (a loose
    index scan: one index probe per type, however many millions of events there are)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"""
        WITH RECURSIVE types(v) AS (
            SELECT MIN(object_type) FROM {table} WHERE object_type > ''
            UNION ALL
            SELECT (SELECT MIN(object_type) FROM {table} WHERE object_type > types.v)
            FROM types WHERE types.v IS NOT NULL
        )
        SELECT v FROM types WHERE v IS NOT NULL
    """  # noqa: S608 - the table name comes from the model, never from input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
