"""Reads of 异地就医清算: the statements, one statement with its subtotals and lines. City-wide readers only
(clearing is the pooling area's business with other areas; a district user gets 403)."""

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from .models import Clearing, ClearingLine
from .services.clearing import require_city_wide_reader


def clearing_list(
    *, fetched_by: Any, month: dt.date | None = None, area_code: str = "", status: str = ""
) -> QuerySet[Clearing]:
    require_city_wide_reader(fetched_by)
    qs = Clearing.objects.all()
    if month is not None:
        qs = qs.filter(month=month)
    if area_code:
        qs = qs.filter(area_code=area_code)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("confirmed_by", "paid_by")


def get_clearing_for_user_or_404(*, fetched_by: Any, clearing_id: int) -> Clearing:
    require_city_wide_reader(fetched_by)
    clearing = Clearing.objects.select_related("confirmed_by", "paid_by").filter(pk=clearing_id).first()
    if clearing is None:
        raise Http404("记录不存在或不在您的管辖范围内。")
    return clearing


def clearing_subtotals(*, clearing: Clearing) -> list[dict[str, Any]]:
    """By district and scheme: what is payable and receivable, with the fund shares (one GROUP BY)."""
    rows = (
        ClearingLine.objects.filter(clearing=clearing)
        .values("district__name", "district__code", "scheme", "direction")
        .annotate(n=Count("id"), pooled=Sum("pooled"), critical=Sum("critical"), aid=Sum("aid"), amount=Sum("amount"))
        .order_by("district__code", "scheme", "direction")
    )
    return list(rows)


def clearing_lines(*, clearing: Clearing, direction: str = "") -> QuerySet[ClearingLine]:
    lines = ClearingLine.objects.filter(clearing=clearing)
    if direction:
        lines = lines.filter(direction=direction)
    return lines.select_related("district", "settlement", "inbound")
