"""Reads of cross-region direct settlement: inbound settlements in the user's scope (staff: the district
of the institution that settled; an institution's system account: its own), and the platform's own
outbound settlement by its number."""

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.access import require_capability, scope_to_user
from core.roles import Capability

from .models import InboundSettlement, Settlement

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
NOT_FOUND = "记录不存在或不在您的管辖范围内。"


def month_bounds(value: str) -> tuple[dt.datetime, dt.datetime]:
    """ "2023-03" -> the local start of that month and of the next (for a range on settled_at)."""
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError({"month": "月份格式应为 YYYY-MM，如 2023-03"})
    year, month = int(match.group(1)), int(match.group(2))
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tz), dt.datetime.combine(end, dt.time.min, tz))


def inbound_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[InboundSettlement]:
    """Inbound settlements in scope: staff see their district's institutions' (the institution's district),
    an institution's system account sees its own only, anyone else nothing (403)."""
    filters = filters or {}
    user = fetched_by
    base = InboundSettlement.objects.select_related("institution", "district")
    if getattr(user, "is_authenticated", False) and user.has_capability(Capability.SETTLE):
        qs = base.filter(institution_id=user.institution_id)
    else:
        require_capability(user, Capability.VIEW)
        qs = scope_to_user(base, user=user)
    query = str(filters.get("q") or "").strip()
    if query:
        qs = qs.filter(Q(platform_number=query) | Q(id_number=query.upper()) | Q(name=query))
    area = str(filters.get("insured_area_code") or "").strip()
    if area.endswith("0000"):  # a province: all its cities
        qs = qs.filter(insured_area_code__startswith=area[:2])
    elif area:
        qs = qs.filter(insured_area_code=area)
    if filters.get("month"):
        start, end = month_bounds(str(filters["month"]))
        qs = qs.filter(settled_at__gte=start, settled_at__lt=end)
    if filters.get("status"):
        if filters["status"] not in InboundSettlement.Status.values:
            raise ValidationError({"status": "状态应为 settled（已结算）或 reversed（已冲正）"})
        qs = qs.filter(status=filters["status"])
    return qs


def get_inbound_for_user_or_404(*, fetched_by: Any, inbound_id: int) -> InboundSettlement:
    inbound = inbound_list(fetched_by=fetched_by).filter(pk=inbound_id).first()
    if inbound is None:
        raise Http404(NOT_FOUND)
    return inbound


def get_outbound_settlement_or_404(*, platform_number: str) -> Settlement:
    """An outbound direct settlement by the platform's number (the platform sees every one it sent)."""
    number = (platform_number or "").strip()
    settlement = (
        Settlement.objects.filter(platform_number=number, kind=Settlement.Kind.DIRECT)
        .exclude(platform_number="")
        .first()
    )
    if settlement is None:
        raise Http404("没有该平台结算流水号的结算")
    return settlement
