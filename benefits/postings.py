"""How benefits post to the fund books (registered in `BenefitsConfig.ready()`).

* 结算 (settlement): the pooled fund of the person's scheme pays by benefit type; tier 2 is paid by 居民大病
  保险 (residents) or 职工大额医疗互助 (employees); 医疗救助资金 pays the aid; the personal account pays its
  part (in the account's district: under 家庭共济 it may be a relative's account elsewhere). Dated the day
  settled, in the settlement's year.
* 冲正 (reversal): the same lines negated, dated the day reversed; the original entry stays.
* 异地就医 (issue 16): a direct settlement of our insured's care elsewhere is owed to the care area until the
  month's clearing is paid, so its fund lines credit 异地就医清算应付款 instead of the bank (its reversal
  negates them the same way). 零星报销 of care elsewhere is paid to the person, from the bank, as in the city.
  What our institutions advance for patients insured elsewhere (InboundSettlement) is a receivable paid from
  the bank; the clearing's payment settles both: payable against the bank, the bank against receivable.
* 个人账户划入 (account credit): a transfer from the employee pooled fund into 职工个人账户, reported apart for
  active employees (from contributions) and retirees (fixed amount from the pooled fund, 001).
* 个人账户支付 (account spending outside a settlement): a relative's resident contribution (the resident
  fund's side is the payment itself) or a retiree's 大额医疗互助 premium (income of that fund).
"""

from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Case, F, Q, Sum, Value, When
from django.db.models.functions import ExtractYear, TruncDate

from core.ledger import PostingRule, Row, receive, rule_scope, spend, transfer
from core.ledger_chart import (
    BANK,
    EMPLOYEE_ACCOUNTS,
    EMPLOYEE_POOLED,
    EMPLOYEE_SUPPLEMENTARY,
    MEDICAL_AID,
    REMOTE_PAYABLE,
    REMOTE_RECEIVABLE,
    critical_fund_of_scheme,
    fund_of_scheme,
)
from core.money import to_fen

from .models import AccountEntry, Clearing, ClearingLine, InboundSettlement, Settlement

ZERO = Decimal("0.00")


# A direct settlement of care elsewhere: the platform paid the institution there, we owe that area.
OWED_ELSEWHERE = Case(
    When(Q(kind=Settlement.Kind.DIRECT) & ~Q(care_area_code=""), then=Value(True)),
    default=Value(False),
    output_field=BooleanField(),
)


def _settlement_rows(settlements, *, date_field: str, sign: int) -> list[Row]:
    rows: list[Row] = []
    grouped = (
        settlements.annotate(on=TruncDate(date_field), owed=OWED_ELSEWHERE)
        .values("district_id", "year", "on", "scheme", "benefit_type", "owed")
        .annotate(pooled=Sum("pooled_paid"), critical=Sum("critical_paid"), aid=Sum("aid_paid"))
        .order_by()
    )
    for g in grouped:
        where = {"district_id": g["district_id"], "year": g["year"], "on": g["on"]}
        scheme = g["scheme"]
        paid_from = REMOTE_PAYABLE if g["owed"] else BANK
        for fund, expense, amount in (
            (fund_of_scheme(scheme), f"pooled_{g['benefit_type']}", g["pooled"]),
            (critical_fund_of_scheme(scheme), "critical_payment", g["critical"]),
            (MEDICAL_AID, "aid_payment", g["aid"]),
        ):
            rows += transfer(fund=fund, debit=expense, credit=paid_from, amount=sign * to_fen(amount or ZERO), **where)
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


def _inbound_rows(inbound, *, date_field: str, sign: int) -> list[Row]:
    """What our fund advanced for patients insured elsewhere: owed to us by their area until cleared."""
    rows: list[Row] = []
    grouped = (
        inbound.annotate(on=TruncDate(date_field))
        .values("district_id", "year", "on", "scheme")
        .annotate(pooled=Sum("pooled_paid"), critical=Sum("critical_paid"))
        .order_by()
    )
    for g in grouped:
        where = {"district_id": g["district_id"], "year": g["year"], "on": g["on"]}
        for fund, amount in (
            (fund_of_scheme(g["scheme"]), g["pooled"]),
            (critical_fund_of_scheme(g["scheme"]), g["critical"]),
        ):
            rows += transfer(
                fund=fund, debit=REMOTE_RECEIVABLE, credit=BANK, amount=sign * to_fen(amount or ZERO), **where
            )
    return rows


def inbound_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    """Every inbound settlement, reversed or not, as it was advanced (a reversal is its own entry)."""
    inbound = rule_scope(InboundSettlement.objects.all(), year=year, district_id=district_id, **filters)
    return _inbound_rows(inbound, date_field="settled_at", sign=1)


def inbound_reversal_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    inbound = rule_scope(
        InboundSettlement.objects.filter(status=InboundSettlement.Status.REVERSED, reversed_at__isnull=False),
        year=year,
        district_id=district_id,
        **filters,
    )
    return _inbound_rows(inbound, date_field="reversed_at", sign=-1)


def clearing_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    """A paid clearing, on the day paid, in its month's year, per district and fund: we pay what we owed
    (payable Dr, bank Cr) and receive what we were owed (bank Dr, receivable Cr)."""
    # The filters name the Clearing (a single event's pk); the lines carry the district and the funds.
    lines = rule_scope(
        ClearingLine.objects.filter(clearing__status=Clearing.Status.PAID, clearing__paid_on__isnull=False),
        year=year,
        district_id=district_id,
        year_field="clearing__month__year",
        **{f"clearing__{lookup}": value for lookup, value in filters.items()},
    )
    grouped = (
        lines.annotate(line_year=ExtractYear("clearing__month"), on=F("clearing__paid_on"))
        .values("district_id", "line_year", "on", "scheme", "direction")
        .annotate(pooled=Sum("pooled"), critical=Sum("critical"), aid=Sum("aid"))
        .order_by()
    )
    rows: list[Row] = []
    for g in grouped:
        where = {"district_id": g["district_id"], "year": g["line_year"], "on": g["on"]}
        payable = g["direction"] == ClearingLine.Direction.PAYABLE
        debit, credit = (REMOTE_PAYABLE, BANK) if payable else (BANK, REMOTE_RECEIVABLE)
        for fund, amount in (
            (fund_of_scheme(g["scheme"]), g["pooled"]),
            (critical_fund_of_scheme(g["scheme"]), g["critical"]),
            (MEDICAL_AID, g["aid"]),
        ):
            rows += transfer(fund=fund, debit=debit, credit=credit, amount=to_fen(amount or ZERO), **where)
    return rows


POSTING_RULES = (
    PostingRule("settlement", settlement_rows),
    PostingRule("reversal", reversal_rows),
    PostingRule("remote_inbound", inbound_rows),
    PostingRule("remote_inbound_rev", inbound_reversal_rows),
    PostingRule("clearing", clearing_rows),
    PostingRule("account_credit", account_credit_rows),
    PostingRule("account_spending", account_spending_rows),
)
