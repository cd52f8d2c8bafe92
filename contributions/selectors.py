"""Reads of money in (bills and payments), scoped to the user who asks."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.filters import int_filter
from core.roles import Capability
from enrollment.models import Category, Person, Scheme

from .models import ContributionBill, ContributionStandard, CoverageWindow


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


def coverage_window_for(*, year: int) -> CoverageWindow | None:
    """The resident enrollment window and waiting period of a coverage year, if the bureau set one."""
    return CoverageWindow.objects.filter(year=year).first()


def _student_year(*, on: dt.date, graduation_year: int | None) -> int:
    # Academic years run Sept-Aug, except a graduate's extension to 31 Dec (benefits.periods, above this app).
    return on.year if on.month < 9 or graduation_year == on.year else on.year + 1


def cover_refusal(*, person_id: int, scheme: str, on: dt.date, coverage_year: int | None = None) -> str | None:
    """Why a resident's care on `on` is not yet paid for by the year's bill: inside the waiting period after a
    payment made after the enrollment window (渝医保发〔2022〕25号 "集中参保期为文件下发之日起至2022年12月31日").
    None when the bill covers the day, and for employees (no window for them in the seeds). Whether a
    bill is paid at all is the caller's check; a paid bill from before cover_from was kept counts as covered.
    """
    if scheme != Scheme.RESIDENT:
        return None
    bills = ContributionBill.objects.filter(
        person_id=person_id, scheme=Scheme.RESIDENT, status=ContributionBill.Status.PAID
    ).select_related("enrollment")
    if coverage_year is None:
        bills = [
            b
            for b in bills.filter(coverage_year__in=(on.year, on.year + 1))
            if b.coverage_year
            == (
                _student_year(on=on, graduation_year=b.enrollment.graduation_year)
                if b.enrollment.category == Category.STUDENT
                else on.year
            )
        ]
    else:
        bills = list(bills.filter(coverage_year=coverage_year))
    if not bills or bills[0].cover_from is None or on >= bills[0].cover_from:
        return None
    return f"待遇等待期内（自{bills[0].cover_from:%Y-%m-%d}起享受待遇）"
