"""Reads of the assistance app used across the product: who is an aid recipient on a day, and what
their category's policy gives (the settlement's third tier, the contribution subsidy)."""

import datetime as dt
import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from assistance.terms import AidTerms
from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.roles import Capability
from enrollment.models import Person
from enrollment.validators import normalize_id_number

from .models import AidApplication, AidCategory, AidPolicy, AidRecipient, HighCostAlert

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
