"""资助参保: medical aid pays part or all of an aid recipient's resident contribution.

A person who is a recipient at any time in the coverage year gets their category's subsidy for that
year; in several categories at once, the most generous one. Employees are not subsidised.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Q

from core.money import to_fen

from .models import AidPolicy, AidRecipient

ZERO = Decimal("0.00")

# The same rule in SQL, for the yearly bill batch (PostgreSQL). For a chunk of enrollments, a LATERAL lookup
# of the person's aid records by key:
SUBSIDY_SQL = """
LEFT JOIN LATERAL (
    SELECT MAX(LEAST(due.amount, ROUND(due.amount * p.subsidy_ratio + p.subsidy_amount, 2))) AS amount
    FROM assistance_aidrecipient r
    JOIN assistance_aidpolicy p ON p.year = %(year)s AND p.category = r.category
    WHERE r.person_id = e.person_id AND e.scheme = 'resident'
      AND r.valid_from <= make_date(%(year)s, 12, 31)
      AND (r.valid_to IS NULL OR r.valid_to >= make_date(%(year)s, 1, 1))
) subsidy ON TRUE
"""

# For the whole year at once, the year's aid records grouped per person and hash-joined to the enrollments
# (one pass over each, whatever the statistics say), each person's policies then compared in an array.
SUBSIDY_HASHED_SQL = """
LEFT JOIN (
    SELECT r.person_id, array_agg(p.subsidy_ratio) AS ratios, array_agg(p.subsidy_amount) AS amounts
    FROM assistance_aidrecipient r
    JOIN assistance_aidpolicy p ON p.year = %(year)s AND p.category = r.category
    WHERE r.valid_from <= make_date(%(year)s, 12, 31)
      AND (r.valid_to IS NULL OR r.valid_to >= make_date(%(year)s, 1, 1))
    GROUP BY r.person_id
) aid ON aid.person_id = e.person_id AND e.scheme = 'resident'
LEFT JOIN LATERAL (
    SELECT MAX(LEAST(due.amount, ROUND(due.amount * x.ratio + x.amount, 2))) AS amount
    FROM unnest(aid.ratios, aid.amounts) AS x(ratio, amount)
) subsidy ON TRUE
"""


def contribution_subsidies(*, person_ids: list[int], year: int) -> dict[int, list[AidPolicy]]:
    """The aid policies of the year that apply to each person (recipients during the year only)."""
    records = AidRecipient.objects.filter(person_id__in=person_ids, valid_from__lte=dt.date(year, 12, 31)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1))
    )
    policies = {p.category: p for p in AidPolicy.objects.filter(year=year)}
    found: dict[int, list[AidPolicy]] = {}
    for person_id, category in records.values_list("person_id", "category"):
        if category in policies:
            found.setdefault(person_id, []).append(policies[category])
    return found


def subsidy_amount(*, due: Decimal, policies: list[AidPolicy]) -> Decimal:
    """The most generous subsidy of the person's categories, never more than the bill."""
    return max((min(due, to_fen(due * p.subsidy_ratio + p.subsidy_amount)) for p in policies), default=ZERO)
