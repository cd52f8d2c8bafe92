"""Reads of fund supervision (inspections, credit ratings), scoped to the user who asks.

Readers: staff who view the audit trail or supervise the fund; district staff see their district
(an inspection's district is its institution's), city-wide staff the whole city."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from benefits.models import Institution
from contributions.selectors import coverage_year_default

from .fund_selectors import require_fund_access
from .models import CreditConsequence, CreditRating, Inspection, Suspicion


def _scoped(queryset: QuerySet, user: Any, district_field: str = "district") -> QuerySet:
    require_fund_access(user)
    return queryset if user.is_city_wide else queryset.filter(**{district_field: user.district_id})


def inspection_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[Inspection]:
    filters = filters or {}
    qs = _scoped(Inspection.objects.select_related("institution", "district"), fetched_by)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("institution"):
        qs = qs.filter(institution__code=str(filters["institution"]).strip().upper())
    return qs.order_by("-id")


def get_inspection_for_user_or_404(*, fetched_by: Any, inspection_id: int) -> Inspection:
    try:
        qs = _scoped(Inspection.objects.select_related("institution", "district"), fetched_by)
    except PermissionDenied:
        raise Http404(_("记录不存在或不在您的管辖范围内。")) from None
    inspection = qs.filter(pk=inspection_id).first()
    if inspection is None:
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    return inspection


def inspection_suspicions(*, inspection: Inspection) -> QuerySet[Suspicion]:
    return inspection.suspicions.select_related("rule").order_by("-id")


def linkable_suspicions(*, inspection: Inspection, limit: int = 50) -> list[Suspicion]:
    """Confirmed suspicions of the same institution not yet linked to this inspection."""
    return list(
        Suspicion.objects.filter(institution_id=inspection.institution_id, status=Suspicion.Status.CONFIRMED)
        .exclude(inspections=inspection)
        .select_related("rule")
        .order_by("-id")[:limit]
    )


def institution_for_supervision(*, fetched_by: Any, code: str) -> Institution | None:
    """An institution by code within the user's district (city-wide users: any)."""
    qs = _scoped(Institution.objects.filter(area_code=""), fetched_by)
    return qs.filter(code=(code or "").strip().upper()).first()


def credit_rating_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[CreditRating]:
    filters = filters or {}
    qs = _scoped(CreditRating.objects.select_related("institution", "institution__district"), fetched_by,
                 "institution__district")  # fmt: skip
    if filters.get("year"):
        qs = qs.filter(year=filters["year"])
    if filters.get("grade"):
        qs = qs.filter(grade=filters["grade"])
    return qs.order_by("-id")


def credit_consequence_labels() -> dict[str, list[str]]:
    """The active consequence rules as labels per grade, e.g. {"D": ["列入重点检查名单", ...]}."""
    labels: dict[str, list[str]] = {}
    for rule in CreditConsequence.objects.filter(active=True).order_by("grade", "action"):
        labels.setdefault(rule.grade, []).append(rule.get_action_display())
    return labels


def credit_rating_year_default() -> int:
    """The rating year shown first: the latest year rated, else the latest coverage year with data."""
    latest = CreditRating.objects.order_by("-year").values_list("year", flat=True).first()
    return latest or coverage_year_default()
