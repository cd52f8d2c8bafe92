"""Reads of the personal-account ledger for the yearly batches."""

import datetime as dt

from django.db import connection
from django.db.models import QuerySet

from core.chunks import id_chunks
from enrollment.models import Enrollment, Scheme

from .models import AccountCreditRule

ALL_MONTHS = (1 << 12) - 1
MONTHS_DUE_CHUNK = 100_000
# An enrollment e's credit for a month under its category's rule r (the SQL both the credit and the check use).
CREDIT_AMOUNT = "ROUND(COALESCE(e.contribution_base, 0) * r.rate + r.fixed_amount, 2)"

# Per active employee enrollment of the chunk: the months it is owed (from its start month, when its category's
# credit is above zero: account_credits_post credits nothing else) less the months its account holds a credit
# line for. The account and its year of lines are one probe each of a unique index (person; account and month),
# whatever the statistics say: a LATERAL subquery is never flattened into a join.
_MONTHS_DUE_SQL = f"""
SELECT COALESCE(bit_or(x.owed & ~COALESCE(c.mask, 0)), 0)
FROM (
    SELECT e.person_id,
           CASE WHEN e.start_date < %(first_day)s THEN %(all)s
                WHEN e.start_date > %(last_day)s THEN 0
                ELSE %(all)s & ~((1 << (EXTRACT(MONTH FROM e.start_date)::int - 1)) - 1) END AS owed
    FROM enrollment_enrollment e
    JOIN benefits_accountcreditrule r ON r.year = %(year)s AND r.category = e.category
    WHERE e.status = 'active' AND e.scheme = 'employee' AND e.id > %(after)s AND e.id <= %(upto)s {{district}}
      AND {CREDIT_AMOUNT} > 0
) x
LEFT JOIN LATERAL (
    SELECT a.id FROM benefits_personalaccount a WHERE a.person_id = x.person_id LIMIT 1
) a ON TRUE
LEFT JOIN LATERAL (
    SELECT bit_or(1 << (y.period - %(first_period)s)) AS mask FROM benefits_accountentry y
    WHERE y.account_id = a.id AND y.kind = 'credit' AND y.period BETWEEN %(first_period)s AND %(first_period)s + 11
) c ON TRUE
"""  # noqa: S608  (a fixed fragment only)


def credited_enrollments(*, district_id: int | None = None) -> QuerySet[Enrollment]:
    """The enrollments a monthly credit is for: active employee enrollments (of one district, if given)."""
    base = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, scheme=Scheme.EMPLOYEE)
    return base.filter(district_id=district_id) if district_id else base


def account_credit_months_due(*, year: int, district_id: int | None = None) -> list[int]:
    """The months of `year` in which some active employee enrollment still lacks its personal-account credit.

    The year-end make-good (annual_rollover) runs account_credits_post for these months only: a month already
    credited costs one probe per employee and month there (about 2 s per month at 333k employees), here one
    probe per employee for the whole year. SQLite (the embedded demo) answers every month: crediting a month
    twice adds nothing, so that is only slower. A year without credit rules answers every month too, so that
    account_credits_post says what the bureau must set, as before."""
    if connection.vendor != "postgresql" or not AccountCreditRule.objects.filter(year=year).exists():
        return list(range(1, 13))
    district = "AND e.district_id = %(district)s" if district_id else ""
    params = {
        "year": year,
        "district": district_id,
        "all": ALL_MONTHS,
        "first_day": dt.date(year, 1, 1),
        "last_day": dt.date(year, 12, 31),
        "first_period": year * 100 + 1,
    }
    due = 0
    with connection.cursor() as cursor:
        sql = _MONTHS_DUE_SQL.format(district=district)
        chunks = id_chunks(credited_enrollments(district_id=district_id), size=MONTHS_DUE_CHUNK)
        for after, upto, _done, _total in chunks:
            cursor.execute(sql, {**params, "after": after, "upto": upto})
            due |= cursor.fetchone()[0]
            if due == ALL_MONTHS:
                break
    return [month for month in range(1, 13) if due & (1 << (month - 1))]
