"""Demo figures for the fund books (make run): the prior year's closing balances carried into the demo year,
the aid fund's fiscal allocation, and a budget. Labelled 演示 in every reason; a real bureau enters its audited
balances with 手工记账 and its budget in 基金预算."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from core.ledger import manual_entry_post
from core.ledger_chart import (
    EMPLOYEE_POOLED,
    MEDICAL_AID,
    OPENING,
    RESIDENT_POOLED,
)
from core.models import District, Fund, JournalEntry, LedgerAccount

from .fund_models import FundBudget
from .fund_selectors import ZERO

# Per district with demo people (yuan).
OPENING_BALANCES = {EMPLOYEE_POOLED: Decimal("50000.00"), RESIDENT_POOLED: Decimal("72000.00")}
AID_ALLOCATION = Decimal("8000.00")


@transaction.atomic
def demo_books_seed(*, year: int, district_codes: list[str]) -> int:
    """Post the demo's opening balances and aid allocation once (none if the year has manual entries)."""
    if JournalEntry.objects.filter(source=JournalEntry.Source.MANUAL, year=year).exists():
        return 0
    posted = 0
    for district in District.objects.filter(code__in=district_codes):
        for code, amount in OPENING_BALANCES.items():
            fund = Fund.objects.get(code=code)
            manual_entry_post(
                actor=None, fund=fund, account=LedgerAccount.objects.get(fund=fund, code=OPENING), district=district,
                year=year, accounting_date=dt.date(year, 1, 1), amount=amount,
                reason=f"演示：{year - 1}年度决算结余结转",
            )  # fmt: skip
            posted += 1
        aid = Fund.objects.get(code=MEDICAL_AID)
        manual_entry_post(
            actor=None, fund=aid, account=LedgerAccount.objects.get(fund=aid, code="fiscal_subsidy"),
            district=district, year=year, accounting_date=dt.date(year, 3, 31), amount=AID_ALLOCATION,
            reason=f"演示：{year}年度医疗救助资金财政拨款",
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
