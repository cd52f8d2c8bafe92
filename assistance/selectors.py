"""Reads of the assistance app used across the product: who is an aid recipient on a day, and what
their category's policy gives (the settlement's third tier, the contribution subsidy)."""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from assistance.terms import AidTerms
from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.models import District
from core.roles import Capability
from enrollment.models import Person
from enrollment.validators import normalize_id_number

from .coverage import coverage
from .models import AidApplication, AidCategory, AidEnrollmentItem, AidPolicy, AidRecipient, HighCostAlert

_ID_PREFIX = re.compile(r"^[0-9]{6,17}[0-9X]?$")

# When a person is in several categories at once, the most protected one applies.
CATEGORY_PRIORITY = [
    AidCategory.DESTITUTE,
    AidCategory.SUBSISTENCE,
    AidCategory.RELAPSED_POOR,
    AidCategory.MONITORED,
    AidCategory.NEAR_SUBSISTENCE,
    AidCategory.LIFTED_POOR,
]


def aid_category_on(*, person_id: int, on: dt.date) -> str | None:
    """The person's aid category valid on `on`, the most protected if several; None if not a recipient."""
    categories = set(
        AidRecipient.objects.filter(person_id=person_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("category", flat=True)
    )
    return next((c for c in CATEGORY_PRIORITY if c in categories), None)


def aid_policy_for(*, year: int, category: str | None) -> AidPolicy | None:
    if category is None:
        return None
    return AidPolicy.objects.filter(year=year, category=category).first()


def aid_settlement_terms(*, person_id: int, on: dt.date) -> tuple[str | None, bool, AidTerms | None]:
    """(category, tilt, aid terms) for a settlement on `on`: the tilt of critical illness for the
    categories the policy names, and medical aid within the category's ratio, deductible and limit."""
    category = aid_category_on(person_id=person_id, on=on)
    policy = aid_policy_for(year=on.year, category=category)
    if policy is None:
        return category, False, None
    terms = None
    if policy.aid_ratio > 0:
        terms = AidTerms(ratio=policy.aid_ratio, deductible=policy.aid_deductible, annual_limit=policy.aid_annual_limit)
    return category, policy.tilt, terms


# --- Staff reads, scoped to the user (pages and API) ---


def aid_recipient_list(*, fetched_by: Any, query: str = "", category: str = "") -> QuerySet[AidRecipient]:
    """Recipients in the user's district; `query` is an ID number (whole or leading digits) or an exact name."""
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(AidRecipient.objects.all(), user=fetched_by).select_related("person", "district")
    if category:
        qs = qs.filter(category=category)
    query = (query or "").strip()
    if query:
        number = normalize_id_number(query)
        if _ID_PREFIX.match(number):
            qs = (
                qs.filter(person__id_number=number)
                if len(number) == 18
                else qs.filter(person__id_number__startswith=number)
            )
        else:
            qs = qs.filter(person__name=query)
    return qs


def get_aid_recipient_for_user_or_404(*, fetched_by: Any, recipient_id: int) -> AidRecipient:
    return get_scoped_or_404(
        AidRecipient.objects.select_related("person", "district"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=recipient_id,
    )


def aid_application_list(*, fetched_by: Any, status: str = "") -> QuerySet[AidApplication]:
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(AidApplication.objects.all(), user=fetched_by).select_related("person", "district")
    return qs.filter(status=status) if status else qs


def get_aid_application_for_user_or_404(*, fetched_by: Any, application_id: int) -> AidApplication:
    return get_scoped_or_404(
        AidApplication.objects.select_related("person", "district", "submitted_by", "decided_by"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=application_id,
    )


def high_cost_alert_list(*, fetched_by: Any, status: str = "", year: int | None = None) -> QuerySet[HighCostAlert]:
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(HighCostAlert.objects.all(), user=fetched_by).select_related("person", "district")
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    return qs


def get_high_cost_alert_for_user_or_404(*, fetched_by: Any, alert_id: int) -> HighCostAlert:
    return get_scoped_or_404(
        HighCostAlert.objects.select_related("person", "district"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=alert_id,
    )


def person_in_scope_by_id_number(*, fetched_by: Any, id_number: str) -> Person | None:
    """The registered person with this ID number in the user's district; None if missing or out of scope."""
    number = normalize_id_number(id_number or "")
    if len(number) != 18:
        return None
    return scope_to_user(Person.objects.all(), user=fetched_by).filter(id_number=number).first()


def aid_year_default() -> int:
    """The year an aid form offers first: the current year when its aid policy is set, else the latest
    earlier year that has one (the year whose costs are being settled), else the current year."""
    this_year = timezone.localdate().year
    year = AidPolicy.objects.filter(year__lte=this_year).order_by("-year").values_list("year", flat=True).first()
    return year or this_year


# --- 待参保 worklist and the 资助参保率 (应保尽保) ---


def aid_enrollment_item_list(
    *, fetched_by: Any, status: str = "", category: str = "", query: str = ""
) -> QuerySet[AidEnrollmentItem]:
    """Worklist items of the user's district; `query` is an ID number (whole or leading digits) or a name."""
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(AidEnrollmentItem.objects.all(), user=fetched_by).select_related("district", "person")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    query = (query or "").strip()
    if query:
        number = normalize_id_number(query)
        if _ID_PREFIX.match(number):
            qs = qs.filter(id_number=number) if len(number) == 18 else qs.filter(id_number__startswith=number)
        else:
            qs = qs.filter(name=query)
    return qs


def get_aid_enrollment_item_for_user_or_404(*, fetched_by: Any, item_id: int) -> AidEnrollmentItem:
    return get_scoped_or_404(
        AidEnrollmentItem.objects.select_related("district", "person", "closed_by"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=item_id,
    )


def subsidised_categories(*, year: int) -> list[str]:
    """The categories whose aid policy of the year pays part of the contribution (资助参保)."""
    return list(
        AidPolicy.objects.filter(year=year)
        .filter(Q(subsidy_ratio__gt=0) | Q(subsidy_amount__gt=0))
        .values_list("category", flat=True)
    )


def _in_year(qs: QuerySet, year: int) -> QuerySet:
    return qs.filter(valid_from__lte=dt.date(year, 12, 31)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1))
    )


def aid_enrollment_rate(*, fetched_by: Any, year: int, district_id: int | None = None) -> dict[str, Any]:
    """资助困难群众参保率 per district and aid category (004 表2: 100%, binding).

    Per (district, category) of a category the year's policy subsidises: the recipients of the year with a
    fully paid (or fully subsidised) bill for the year, over the recipients plus the open 待参保 items of
    the list. A person in two categories counts in both rows, once in the totals. Scoped to the user."""
    require_capability(fetched_by, Capability.VIEW)
    categories = subsidised_categories(year=year)
    covered = coverage().covered_people(year)
    recipients = _in_year(scope_to_user(AidRecipient.objects.all(), user=fetched_by), year).filter(
        category__in=categories
    )
    items = _in_year(scope_to_user(AidEnrollmentItem.objects.all(), user=fetched_by), year).filter(
        category__in=categories, status=AidEnrollmentItem.Status.OPEN
    )
    if district_id is not None:
        recipients, items = recipients.filter(district_id=district_id), items.filter(district_id=district_id)
    recipients = recipients.annotate(covered=Exists(covered.filter(person_id=OuterRef("person_id"))))
    rows: dict[tuple[int, str], dict[str, Any]] = {}

    def row(district: int, category: str) -> dict[str, Any]:
        return rows.setdefault((district, category), {"recipients": 0, "covered": 0, "to_enroll": 0})

    for district, category, is_covered, n in (
        recipients.values("district_id", "category", "covered")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("district_id", "category", "covered", "n")
    ):
        row(district, category)["recipients"] += n
        row(district, category)["covered"] += n if is_covered else 0
    for district, category, n in (
        items.values("district_id", "category").annotate(n=Count("id")).values_list("district_id", "category", "n")
    ):
        row(district, category)["to_enroll"] += n
    names = dict(District.objects.filter(pk__in={d for d, _c in rows}).values_list("id", "name"))
    order = {c: i for i, c in enumerate(AidCategory.values)}
    out = []
    for (district, category), r in sorted(rows.items(), key=lambda kv: (names.get(kv[0][0], ""), order[kv[0][1]])):
        whole = r["recipients"] + r["to_enroll"]
        out.append(
            {
                "district_id": district, "district_name": names.get(district, ""), "category": category,
                "category_label": AidCategory(category).label, **r, "denominator": whole,
                "rate": _percent(r["covered"], whole),
            }
        )  # fmt: skip
    people = recipients.values("person_id").distinct()
    total_people = people.count()
    total_covered = people.filter(covered=True).count()
    total_items = items.count()
    return {
        "year": year,
        "categories": categories,
        "rows": out,
        "total": {
            "recipients": total_people, "covered": total_covered, "to_enroll": total_items,
            "denominator": total_people + total_items, "rate": _percent(total_covered, total_people + total_items),
        },
    }  # fmt: skip


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def aid_enrollment_missing(*, fetched_by: Any, year: int, district_id: int | None = None, limit: int = 500):
    """Who is still missing from the 资助参保率 of the year: recipients of subsidised categories without a
    fully paid bill (link: the person) and open worklist items (link: the item). At most `limit` of each."""
    require_capability(fetched_by, Capability.VIEW)
    categories = subsidised_categories(year=year)
    covered = coverage().covered_people(year)
    recipients = (
        _in_year(scope_to_user(AidRecipient.objects.all(), user=fetched_by), year)
        .filter(category__in=categories)
        .exclude(Exists(covered.filter(person_id=OuterRef("person_id"))))
        .select_related("person", "district")
        .order_by("district__code", "person__name", "id")
    )
    items = (
        _in_year(scope_to_user(AidEnrollmentItem.objects.all(), user=fetched_by), year)
        .filter(category__in=categories, status=AidEnrollmentItem.Status.OPEN)
        .select_related("district")
        .order_by("district__code", "name", "id")
    )
    if district_id is not None:
        recipients, items = recipients.filter(district_id=district_id), items.filter(district_id=district_id)
    return {"recipients": list(recipients[:limit]), "items": list(items[:limit]), "limit": limit}
