"""How benefits post to the fund books (registered in `BenefitsConfig.ready()`).

* 结算 (settlement): the pooled fund of the person's scheme pays by benefit type; tier 2 is paid by 居民大病
  保险 (residents) or 职工大额医疗互助 (employees); 医疗救助资金 pays the aid; the personal account pays its
  part (in the account's district: under 家庭共济 it may be a relative's account elsewhere). Dated the day
  settled, in the settlement's year.
* 冲正 (reversal): the same lines negated, dated the day reversed; the original entry stays.
* 个人账户划入 (account credit): a transfer from the employee pooled fund into 职工个人账户, reported apart for
  active employees (from contributions) and retirees (fixed amount from the pooled fund, 001).
* 个人账户支付 (account spending outside a settlement): a relative's resident contribution (the resident
  fund's side is the payment itself) or a retiree's 大额医疗互助 premium (income of that fund).
"""

from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncDate

from core.ledger import PostingRule, Row, receive, rule_scope, spend
from core.ledger_chart import (
    EMPLOYEE_ACCOUNTS,
    EMPLOYEE_POOLED,
    EMPLOYEE_SUPPLEMENTARY,
    MEDICAL_AID,
    critical_fund_of_scheme,
    fund_of_scheme,
)
from core.money import to_fen

from .models import AccountEntry, Settlement

ZERO = Decimal("0.00")


def _settlement_rows(settlements, *, date_field: str, sign: int) -> list[Row]:
    rows: list[Row] = []
    grouped = (
        settlements.annotate(on=TruncDate(date_field))
        .values("district_id", "year", "on", "scheme", "benefit_type")
        .annotate(pooled=Sum("pooled_paid"), critical=Sum("critical_paid"), aid=Sum("aid_paid"))
        .order_by()
    )
    for g in grouped:
        where = {"district_id": g["district_id"], "year": g["year"], "on": g["on"]}
        scheme = g["scheme"]
        rows += spend(fund=fund_of_scheme(scheme), expense=f"pooled_{g['benefit_type']}",
                      amount=sign * to_fen(g["pooled"] or ZERO), **where)  # fmt: skip
        rows += spend(fund=critical_fund_of_scheme(scheme), expense="critical_payment",
                      amount=sign * to_fen(g["critical"] or ZERO), **where)  # fmt: skip
        rows += spend(fund=MEDICAL_AID, expense="aid_payment", amount=sign * to_fen(g["aid"] or ZERO), **where)
    accounts = (
        settlements.filter(account_paid__gt=0)
        .annotate(on=TruncDate(date_field))
        .values("account__district_id", "year", "on")
        .annotate(paid=Sum("account_paid"))
        .order_by()
    )
    for g in accounts:
        rows += spend(
            fund=EMPLOYEE_ACCOUNTS, expense="account_spending_medical", amount=sign * to_fen(g["paid"]),
            district_id=g["account__district_id"], year=g["year"], on=g["on"],
        )  # fmt: skip
    return rows


def settlement_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    """Every settlement, reversed or not, as it was paid (a reversal is its own entry)."""
    settlements = rule_scope(Settlement.objects.all(), year=year, district_id=district_id, **filters)
    return _settlement_rows(settlements, date_field="settled_at", sign=1)


def reversal_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    settlements = rule_scope(
        Settlement.objects.filter(status=Settlement.Status.REVERSED, reversed_at__isnull=False),
        year=year,
        district_id=district_id,
        **filters,
    )
    return _settlement_rows(settlements, date_field="reversed_at", sign=-1)


def _entry_rows(entries, *, year: int | None, district_id: int | None, filters: dict) -> list:
    # The year is the caller's (credits: the month credited; payments: the day paid), checked again below.
    entries = rule_scope(entries, year=None, district_id=district_id, district_field="account__district_id", **filters)
    grouped = (
        entries.annotate(on=TruncDate("created_at"))
        .values("account__district_id", "on", "purpose", "period")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    found = []
    for g in grouped:
        # Credits belong to the month credited (period YYYYMM); payments to the day paid.
        entry_year = g["period"] // 100 if g["period"] else g["on"].year
        if year is None or entry_year == year:
            found.append((g, {"district_id": g["account__district_id"], "year": entry_year, "on": g["on"]}))
    return found


def account_credit_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    entries = AccountEntry.objects.filter(kind=AccountEntry.Kind.CREDIT)
    if year is not None:
        entries = entries.filter(period__gte=year * 100, period__lte=year * 100 + 12)
    rows: list[Row] = []
    for g, where in _entry_rows(entries, year=year, district_id=district_id, filters=filters):
        amount = to_fen(g["total"])
        retiree = g["purpose"] == AccountEntry.Purpose.CREDIT_FIXED
        expense = "account_credit_retiree" if retiree else "account_credit_active"
        rows += spend(fund=EMPLOYEE_POOLED, expense=expense, amount=amount, **where)
        rows += receive(fund=EMPLOYEE_ACCOUNTS, income="account_credit_income", amount=amount, **where)
    return rows


def account_spending_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    entries = AccountEntry.objects.filter(kind=AccountEntry.Kind.PAYMENT)
    if year is not None:
        entries = entries.filter(created_at__year=year)
    rows: list[Row] = []
    for g, where in _entry_rows(entries, year=year, district_id=district_id, filters=filters):
        amount = -to_fen(g["total"])  # payments are negative lines of the account's ledger
        rows += spend(fund=EMPLOYEE_ACCOUNTS, expense="account_spending_contribution", amount=amount, **where)
        if g["purpose"] == AccountEntry.Purpose.CRITICAL_CONTRIBUTION:
            rows += receive(fund=EMPLOYEE_SUPPLEMENTARY, income="supplementary_contribution", amount=amount, **where)
    return rows


POSTING_RULES = (
    PostingRule("settlement", settlement_rows),
    PostingRule("reversal", reversal_rows),
    PostingRule("account_credit", account_credit_rows),
    PostingRule("account_spending", account_spending_rows),
)
