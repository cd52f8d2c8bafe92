"""基金运行分析, read from the fund books: per fund, the year's opening balance, income and expense by line,
closing balance, months of payment, monthly execution against the budget, and risk warnings as data.

What the figures mean (docs/fund-books.md has the whole story):

* the year is the coverage year (accrual, 权责发生制): a 2023 contribution paid in December 2022 is 2023
  income; the month of a line is its accounting month, counted in January when it fell before the year;
* opening balance = the fund's net assets from every earlier year (the bank, plus what other areas owe it for
  异地就医 less what it owes them until the monthly clearing is paid) + the year's 上年结转 entries;
  closing balance = opening + income - expense;
* months of payment (累计结余可支付月数) = closing balance / average monthly expense of the 12 months
  ending with the year's last month (the current month for the current year), by accounting date (cash);
  none when nothing was spent.

Five GROUP BY queries over the journal lines whatever the size of the city; the few hundred result rows are
arranged in Python.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ledger_jobs import RECONCILE_KIND
from core.models import District, Fund, JobRun, JournalLine, LedgerAccount
from core.money import amount_text, to_fen
from core.replica import reporting_reads
from core.roles import Capability

from .fund_models import FundBudget, FundRiskRule

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
Kind = LedgerAccount.Kind


def require_fund_access(user: Any) -> None:
    if not (
        getattr(user, "is_authenticated", False)
        and (user.has_capability(Capability.VIEW_AUDIT) or user.has_capability(Capability.SUPERVISE))
    ):
        raise PermissionDenied(_("您的角色无权执行此操作。"))


def _months_in(year: int, today: dt.date) -> int:
    return 12 if year < today.year else (today.month if year == today.year else 0)


def _shift(year: int, month: int, back: int) -> dt.date:
    index = year * 12 + (month - 1) - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _lines(district_id: int | None):
    lines = JournalLine.objects.all()
    return lines.filter(district_id=district_id) if district_id is not None else lines


def _ratio(part: Decimal, whole: Decimal, places: Decimal = TENTH) -> Decimal | None:
    return (part / whole * 100).quantize(places, rounding=ROUND_HALF_UP) if whole else None


def _book(fund: Fund, accounts: list[LedgerAccount], data: dict, year: int, months: int) -> dict[str, Any]:
    amounts, monthly = data["year"], data["monthly"]

    def lines_of(kind: str) -> list[dict[str, Any]]:
        sign = -1 if kind == Kind.INCOME else 1
        return [
            {"account": a.code, "name": a.name, "amount": sign * amounts.get(a.pk, ZERO) + ZERO}  # no -0.00
            for a in accounts
            if a.kind == kind
        ]

    income, expense = lines_of(Kind.INCOME), lines_of(Kind.EXPENSE)
    carried = -sum((amounts.get(a.pk, ZERO) for a in accounts if a.kind == Kind.EQUITY), ZERO)
    opening = data["bank_before"].get(fund.pk, ZERO) + carried
    income_total = sum((x["amount"] for x in income), ZERO)
    expense_total = sum((x["amount"] for x in expense), ZERO)
    closing = opening + income_total - expense_total
    average = data["last12"].get(fund.pk, ZERO) / 12
    reserve = (closing / average).quantize(TENTH, rounding=ROUND_HALF_UP) if average > 0 else None
    kinds = {a.pk: a.kind for a in accounts}
    rows, balance, cum_in, cum_out = [], opening, ZERO, ZERO
    for month in range(1, months + 1):
        month_in = -sum((v for pk, v in monthly.get(month, {}).items() if kinds.get(pk) == Kind.INCOME), ZERO)
        month_out = sum((v for pk, v in monthly.get(month, {}).items() if kinds.get(pk) == Kind.EXPENSE), ZERO)
        cum_in, cum_out = cum_in + month_in, cum_out + month_out
        balance += month_in - month_out
        rows.append({"month": f"{year}-{month:02d}", "income": month_in, "expense": month_out,
                     "cumulative_income": cum_in, "cumulative_expense": cum_out, "balance": balance})  # fmt: skip
    return {
        "fund": fund.code,
        "name": fund.name,
        "financing": fund.note,
        "opening_balance": opening,
        "income": income,
        "expense": expense,
        "income_total": income_total,
        "expense_total": expense_total,
        "closing_balance": closing,
        "average_monthly_expense": average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        "months_of_payment": reserve,
        "months": rows,
    }


def _budget(book: dict, budget: dict[str, Decimal], months: int) -> dict[str, Any] | None:
    """Execution against the year's budget, by month: cumulative actual / annual budget."""
    if not budget:
        return None
    accounts = {x["account"]: x for x in book["income"] + book["expense"]}
    income_codes = {x["account"] for x in book["income"]}
    budget_in = sum((v for k, v in budget.items() if k in income_codes), ZERO)
    budget_out = sum((v for k, v in budget.items() if k not in income_codes), ZERO)
    lines = [
        {"account": code, "name": accounts[code]["name"] if code in accounts else code, "budget": amount,
         "actual": accounts[code]["amount"] if code in accounts else ZERO,
         "rate": _ratio(accounts[code]["amount"] if code in accounts else ZERO, amount)}
        for code, amount in budget.items()
    ]  # fmt: skip
    by_month = [
        {"month": r["month"], "income_rate": _ratio(r["cumulative_income"], budget_in),
         "expense_rate": _ratio(r["cumulative_expense"], budget_out),
         "expected_rate": _ratio(Decimal(n), Decimal(12))}
        for n, r in enumerate(book["months"], start=1)
    ]  # fmt: skip
    return {"income": budget_in, "expense": budget_out, "lines": lines, "months": by_month, "elapsed": months}


def _gather(*, year: int, district_id: int | None, months: int, today: dt.date) -> dict[str, Any]:
    lines = _lines(district_id)
    data: dict[str, Any] = {
        "year": defaultdict(lambda: ZERO),
        "monthly": defaultdict(lambda: defaultdict(lambda: ZERO)),
    }
    first = dt.date(year, 1, 1)
    grouped = (
        lines.filter(year=year)
        .annotate(month=TruncMonth("accounting_date"))
        .values("account_id", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for g in grouped:
        total = to_fen(g["total"])  # SQLite sums decimals as floats
        data["year"][g["account_id"]] += total
        # Accrual: what was paid before the year counts in its January; after its end, in December.
        month = 1 if g["month"] < first else (12 if g["month"].year > year else g["month"].month)
        data["monthly"][min(month, max(months, 1))][g["account_id"]] += total
    before = (
        lines.filter(year__lt=year, account__kind__in=[Kind.ASSET, Kind.LIABILITY])
        .values("account__fund_id")
        .annotate(total=Sum("amount"))
    )
    data["bank_before"] = {g["account__fund_id"]: to_fen(g["total"]) for g in before.order_by()}
    end_month = 12 if year < today.year else max(months, 1)
    window = (_shift(year, end_month, 11), _shift(year, end_month, -1))
    spent = (
        lines.filter(account__kind=Kind.EXPENSE, accounting_date__gte=window[0], accounting_date__lt=window[1])
        .values("account__fund_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    data["last12"] = {g["account__fund_id"]: to_fen(g["total"]) for g in spent}
    return data


def _rule_text(rule: FundRiskRule) -> str:
    text = f"{rule.get_kind_display()} {rule.threshold.normalize():f}"
    if rule.kind == FundRiskRule.Kind.BUDGET_DEVIATION:
        text += "%"
    elif rule.kind in (FundRiskRule.Kind.MONTHS_BELOW, FundRiskRule.Kind.MONTHS_ABOVE):
        text += _(" 个月")
    elif rule.kind == FundRiskRule.Kind.CURRENT_DEFICIT:
        text = rule.get_kind_display()
    return f"{text}（{rule.note}）" if rule.note else text


def _warning(rule: FundRiskRule, book: dict, figure: str) -> dict[str, str]:
    return {"level": rule.level, "fund": book["name"], "rule": _rule_text(rule), "figure": figure,
            "level_label": str(rule.get_level_display())}  # fmt: skip


def _warnings(book: dict, rules: list[FundRiskRule], fund_id: int) -> list[dict[str, str]]:
    found = []
    mine = [r for r in rules if r.fund_id in (None, fund_id)]
    reserve = book["months_of_payment"]
    if reserve is not None:
        below = sorted((r for r in mine if r.kind == FundRiskRule.Kind.MONTHS_BELOW), key=lambda r: r.threshold)
        hit = next((r for r in below if reserve < r.threshold), None)
        if hit:
            found.append(_warning(hit, book, _("可支付月数 %(m)s 个月") % {"m": reserve}))
        for r in mine:
            if r.kind == FundRiskRule.Kind.MONTHS_ABOVE and reserve > r.threshold:
                found.append(_warning(r, book, _("可支付月数 %(m)s 个月") % {"m": reserve}))
    gap = book["expense_total"] - book["income_total"]
    for r in mine:
        if r.kind == FundRiskRule.Kind.CURRENT_DEFICIT and gap > r.threshold:
            figures = {"i": amount_text(book["income_total"]), "e": amount_text(book["expense_total"]),
                       "g": amount_text(gap)}  # fmt: skip
            found.append(_warning(r, book, _("本年收入 %(i)s 元，支出 %(e)s 元，缺口 %(g)s 元") % figures))
    budget = book.get("budget")
    if budget and budget["elapsed"]:
        share = Decimal(budget["elapsed"]) / 12
        last = book["months"][-1]
        for r in mine:
            if r.kind != FundRiskRule.Kind.BUDGET_DEVIATION:
                continue
            for label, actual, planned in ((_("收入"), last["cumulative_income"], budget["income"]),
                                           (_("支出"), last["cumulative_expense"], budget["expense"])):  # fmt: skip
                expected = planned * share
                off = _ratio(abs(actual - expected), expected)
                if off is not None and off > r.threshold:
                    figures = {"what": label, "exp": amount_text(expected), "act": amount_text(actual), "off": off}
                    text = _("%(what)s预算进度 %(exp)s 元，实际 %(act)s 元，偏离 %(off)s%%") % figures
                    found.append(_warning(r, book, text))
    return found


def reconcile_warning() -> dict[str, str] | None:
    """The last nightly reconciliation, if it found a difference: a red warning of its own."""
    run = JobRun.objects.filter(kind=RECONCILE_KIND, finished_at__isnull=False).order_by("-finished_at").first()
    if run is None or run.status != JobRun.Status.FAILED:
        return None
    when = timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M")
    return {"level": "red", "fund": _("全部基金"), "rule": _("基金账簿与明细记录对账不符"),
            "figure": f"{when}：{run.error}", "level_label": _("红色预警")}  # fmt: skip


@reporting_reads()  # a dashboard: the replica may answer (docs/operations.md)
def fund_books(*, fetched_by: Any, year: int, district: District | None = None) -> dict[str, Any]:
    """The year's books in the user's scope: district staff always their district; city-wide users the city,
    or one `district` they pick. The budget is the pooling area's (the city's), shown city-wide only."""
    require_fund_access(fetched_by)
    if not fetched_by.is_city_wide:
        district = fetched_by.district
    today = timezone.localdate()
    months = _months_in(year, today)
    data = _gather(year=year, district_id=district.pk if district else None, months=months, today=today)
    charts: dict[int, list[LedgerAccount]] = defaultdict(list)
    for account in LedgerAccount.objects.order_by("fund__position", "position"):
        charts[account.fund_id].append(account)
    budgets: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if district is None:
        for b in FundBudget.objects.filter(year=year).select_related("account"):
            budgets[b.fund_id][b.account.code] = b.amount
    rules = list(FundRiskRule.objects.filter(active=True))
    books = []
    for fund in Fund.objects.all():
        book = _book(fund, charts[fund.pk], data, year, months)
        book["budget"] = _budget(book, budgets.get(fund.pk, {}), months)
        book["warnings"] = _warnings(book, rules, fund.pk)
        books.append(book)
    warnings = [w for b in books for w in b["warnings"]]
    reconciled = reconcile_warning()
    if reconciled:
        warnings.insert(0, reconciled)
    return {
        "year": year,
        "district_code": district.code if district else None,
        "scope": district.name if district else str(_("全市")),
        "funds": books,
        "warnings": warnings,
    }


def chart_data(books: dict[str, Any]) -> list[dict[str, Any]]:
    """What the page's charts draw, per fund: monthly income and expense, and the balance."""
    return [
        {
            "label": b["name"],
            "months": [r["month"] for r in b["months"]],
            "income": [str(r["income"]) for r in b["months"]],
            "expense": [str(r["expense"]) for r in b["months"]],
            "balance": [str(r["balance"]) for r in b["months"]],
        }
        for b in books["funds"]
    ]
