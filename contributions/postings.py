"""How money-in posts to the fund books (registered in `ContributionsConfig.ready()`).

* 缴费 (payment): into the scheme's pooled fund, split into the employer's and the individual's share
  (employees: in the bill's proportion, per payment, to the fen); dated the day paid, in the bill's
  coverage year, so a 2023 contribution paid in December 2022 is 2023 income (accrual) received in 2022
  (cash).
* 缴费单 (bill, at issue): 资助参保, a transfer from 医疗救助资金 into the resident fund.
* 财政补助 (fiscal subsidy, when the bill is fully paid): the year's subsidy per insured resident from
  the standard; with it the resident fund passes the year's 大病保险 financing per insured resident to
  居民大病保险 (`YIBAO_CRITICAL_FINANCING`, a labelled default: the seeds give no amount).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Round, TruncDate

from core.ledger import PostingRule, Row, receive, rule_scope, spend
from core.ledger_chart import MEDICAL_AID, RESIDENT_CRITICAL, RESIDENT_POOLED, fund_of_scheme
from core.money import to_fen
from enrollment.models import Scheme

from .models import ContributionBill, ContributionPayment

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")


def critical_financing(year: int) -> Decimal:
    """大病保险筹资 per insured resident for a year (元/人·年): a configurable default, not a seed figure."""
    config = getattr(settings, "YIBAO_CRITICAL_FINANCING", {}) or {}
    return to_fen(Decimal(str(config.get(str(year), config.get("default", "0")))))


BILL_SCOPE = {"year_field": "coverage_year"}
PAYMENT_SCOPE = {"year_field": "bill__coverage_year", "district_field": "bill__district_id"}


def payment_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    payments = rule_scope(
        ContributionPayment.objects.all(), year=year, district_id=district_id, **PAYMENT_SCOPE, **filters
    )
    employer_share = Case(
        When(bill__due_amount__gt=0, then=Round(F("amount") * F("bill__employer_due") / F("bill__due_amount"), 2)),
        default=Value(ZERO),
        output_field=MONEY,
    )
    grouped = (
        payments.values("bill__district_id", "bill__coverage_year", "paid_on", "bill__scheme")
        .annotate(total=Sum("amount"), employer=Sum(employer_share, output_field=MONEY))
        .order_by()
    )
    rows: list[Row] = []
    for g in grouped:
        fund = fund_of_scheme(g["bill__scheme"])
        where = {"district_id": g["bill__district_id"], "year": g["bill__coverage_year"], "on": g["paid_on"]}
        employer = to_fen(g["employer"] or ZERO)
        rows += receive(fund=fund, income="individual_contribution", amount=to_fen(g["total"]) - employer, **where)
        rows += receive(fund=fund, income="employer_contribution", amount=employer, **where)
    return rows


def bill_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    bills = rule_scope(
        ContributionBill.objects.filter(subsidy_amount__gt=0),
        year=year,
        district_id=district_id,
        **BILL_SCOPE,
        **filters,
    )
    grouped = (
        bills.annotate(issued=TruncDate("created_at"))
        .values("district_id", "coverage_year", "issued", "scheme")
        .annotate(total=Sum("subsidy_amount"))
        .order_by()
    )
    rows: list[Row] = []
    for g in grouped:
        where = {"district_id": g["district_id"], "year": g["coverage_year"], "on": g["issued"]}
        amount = to_fen(g["total"])
        rows += spend(fund=MEDICAL_AID, expense="aid_subsidy_expense", amount=amount, **where)
        rows += receive(fund=fund_of_scheme(g["scheme"]), income="aid_subsidy_income", amount=amount, **where)
    return rows


def fiscal_subsidy_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    bills = rule_scope(
        ContributionBill.objects.filter(status=ContributionBill.Status.PAID, paid_on__isnull=False),
        year=year,
        district_id=district_id,
        **BILL_SCOPE,
        **filters,
    )
    grouped = (
        bills.values("district_id", "coverage_year", "paid_on")
        .annotate(fiscal=Sum("fiscal_subsidy"), residents=Count("id", filter=Q(scheme=Scheme.RESIDENT)))
        .order_by()
    )
    rows: list[Row] = []
    for g in grouped:
        where = {"district_id": g["district_id"], "year": g["coverage_year"], "on": g["paid_on"]}
        rows += receive(fund=RESIDENT_POOLED, income="fiscal_subsidy", amount=to_fen(g["fiscal"] or ZERO), **where)
        critical = critical_financing(g["coverage_year"]) * g["residents"]
        rows += spend(fund=RESIDENT_POOLED, expense="critical_financing_expense", amount=critical, **where)
        rows += receive(fund=RESIDENT_CRITICAL, income="critical_financing_income", amount=critical, **where)
    return rows


def paid_on_for(*, status: str, day: dt.date) -> dt.date | None:
    """The day a bill becomes fully paid: `day` if it is paid now, else none yet."""
    return day if status == ContributionBill.Status.PAID else None


POSTING_RULES = (
    PostingRule("payment", payment_rows),
    PostingRule("bill", bill_rows),
    PostingRule("fiscal_subsidy", fiscal_subsidy_rows),
)
