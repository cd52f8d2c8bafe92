"""Reads of the assistance app used across the product: who is an aid recipient on a day, and what
their category's policy gives (the settlement's third tier, the contribution subsidy)."""

import datetime as dt

from django.db.models import Q

from benefits.calculator import AidTerms

from .models import AidCategory, AidPolicy, AidRecipient

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
