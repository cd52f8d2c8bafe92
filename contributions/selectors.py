"""Reads of money in (bills and payments), scoped to the user who asks."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.filters import int_filter
from core.roles import Capability
from enrollment.models import Person

from .models import ContributionBill, ContributionStandard


def get_bill_for_user_or_404(*, fetched_by: Any, bill_id: int) -> ContributionBill:
    return get_scoped_or_404(
        ContributionBill.objects.select_related("person"), user=fetched_by, capability=Capability.VIEW, pk=bill_id
    )


def bill_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[ContributionBill]:
    require_capability(fetched_by, Capability.VIEW)
    filters = filters or {}
    qs = scope_to_user(ContributionBill.objects.all(), user=fetched_by).select_related("person")
    if (year := int_filter(filters, "coverage_year")) is not None:
        qs = qs.filter(coverage_year=year)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if (person := int_filter(filters, "person")) is not None:
        qs = qs.filter(person_id=person)
    return qs


def person_bills(*, person: Person) -> QuerySet[ContributionBill]:
    return person.bills.select_related("district").prefetch_related("payments").order_by("-coverage_year")


def coverage_year_default() -> int:
    """The coverage year a year field offers first: the current year when it has a contribution
    standard, else the latest earlier year that has one, else the latest year with one at all (only
    future years loaded), else the current year (nothing loaded yet)."""
    this_year = timezone.localdate().year
    years = ContributionStandard.objects.values_list("year", flat=True)
    earlier = years.filter(year__lte=this_year).order_by("-year").first()
    if earlier is not None:
        return earlier
    return years.order_by("-year").first() or this_year
