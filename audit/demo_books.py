"""Demo figures for the fund books (make run), derived from the demo year's own flows: the prior year's
closing balances carried into the year, the aid fund's fiscal allocation, and a budget. Labelled 演示 in
every reason; a real bureau enters its audited balances with 手工记账 and its budget in 基金预算."""

import datetime as dt
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from core.ledger import manual_entry_post
from core.ledger_chart import (
    EMPLOYEE_POOLED,
    EMPLOYEE_SUPPLEMENTARY,
    MEDICAL_AID,
    OPENING,
    RESIDENT_CRITICAL,
    RESIDENT_POOLED,
)
from core.models import District, Fund, JournalEntry, JournalLine, LedgerAccount
from core.money import to_fen

from .fund_models import FundBudget
from .fund_selectors import ZERO

# The demo's prior-year balances are fiction: they are set so each fund starts the year with about a year of
# its expense in reserve (a bureau enters its audited balances instead). Personal accounts start empty.
RESERVE_MONTHS = 12
CARRIED = (EMPLOYEE_POOLED, RESIDENT_POOLED, RESIDENT_CRITICAL, EMPLOYEE_SUPPLEMENTARY, MEDICAL_AID)
THOUSAND = Decimal(1000)


def _thousands(amount: Decimal) -> Decimal:
    return (amount / THOUSAND).quantize(Decimal(1), rounding=ROUND_CEILING) * THOUSAND


def _year_flows(year: int) -> dict[tuple[str, int], dict[str, Decimal]]:
    """Income and expense of the year per (fund, district), from the books."""
    flows: dict[tuple[str, int], dict[str, Decimal]] = {}
    lines = (
        JournalLine.objects.filter(year=year, account__kind__in=[LedgerAccount.Kind.INCOME, LedgerAccount.Kind.EXPENSE])
        .exclude(district=None)
        .values("account__fund__code", "district_id", "account__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for g in lines:
        flow = flows.setdefault((g["account__fund__code"], g["district_id"]), {"income": ZERO, "expense": ZERO})
        flow[g["account__kind"]] += abs(to_fen(g["total"]))
    return flows


@transaction.atomic
def demo_books_seed(*, year: int) -> int:
    """Post the demo's aid allocation and opening balances once (none if the year has manual entries)."""
    if JournalEntry.objects.filter(source=JournalEntry.Source.MANUAL, year=year).exists():
        return 0
    funds = {f.code: f for f in Fund.objects.all()}
    accounts = {(a.fund.code, a.code): a for a in LedgerAccount.objects.select_related("fund")}
    districts = {d.pk: d for d in District.objects.all()}
    posted = 0
    for (fund, district_id), flow in sorted(_year_flows(year).items()):
        if fund == MEDICAL_AID and flow["expense"]:
            allocation = _thousands(flow["expense"] * Decimal("1.1"))
            manual_entry_post(
                actor=None, fund=funds[fund], account=accounts[(fund, "fiscal_subsidy")],
                district=districts[district_id], year=year, accounting_date=dt.date(year, 3, 31), amount=allocation,
                reason=f"演示：{year}年度医疗救助资金财政拨款",
            )  # fmt: skip
            flow["income"] += allocation
            posted += 1
        if fund not in CARRIED:
            continue
        # Closing = opening + income - expense should be about RESERVE_MONTHS of the year's expense.
        opening = _thousands(max(flow["expense"] * RESERVE_MONTHS / 12 - flow["income"] + flow["expense"], ZERO))
        if opening:
            manual_entry_post(
                actor=None, fund=funds[fund], account=accounts[(fund, OPENING)], district=districts[district_id],
                year=year, accounting_date=dt.date(year, 1, 1), amount=opening,
                reason=f"演示：{year - 1}年度决算结余结转",
            )  # fmt: skip
            posted += 1
    return posted


def demo_budget_seed(*, year: int, actual: dict[str, dict[str, Decimal]]) -> int:
    """A budget near the year's outcome (income 3% under, expense 5% over: budgets are prudent), in thousands."""
    made = 0
    accounts = {(a.fund.code, a.code): a for a in LedgerAccount.objects.select_related("fund")}
    for fund_code, lines in actual.items():
        for account_code, amount in lines.items():
            account = accounts[(fund_code, account_code)]
            if amount <= ZERO or account.kind not in (LedgerAccount.Kind.INCOME, LedgerAccount.Kind.EXPENSE):
                continue
            factor = Decimal("0.97") if account.kind == LedgerAccount.Kind.INCOME else Decimal("1.05")
            planned = (amount * factor / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000
            _, created = FundBudget.objects.get_or_create(
                fund=account.fund, year=year, account=account, defaults={"amount": planned}
            )
            made += created
    return made
