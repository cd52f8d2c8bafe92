"""基金运行分析: income, spending, balance and months of reserve per scheme and month, with risk warnings.

What counts (kept deliberately simple; the bureau's accounts remain the reference):

* income (收入) of a month = contributions paid that month (`ContributionPayment.amount` by `paid_on`,
  under the bill's scheme) + contributions paid by medical aid (资助参保, `ContributionBill.subsidy_amount`),
  booked in January of the bill's coverage year. Fiscal subsidies (财政补助) are not recorded in Yibao
  and are therefore not in the figures.
* spending (支出) of a month = `pooled_paid + critical_paid` of settled (not reversed) settlements by
  `service_date`. Medical aid (`aid_paid`) and personal accounts are other funds and are left out.
* balance (累计结存) = the opening reserve (settings.YIBAO_FUND_OPENING_RESERVE: the reserve before the
  first recorded month, per scheme, for the city under "city" and optionally per district code; 0 when
  not configured) + all income - all spending up to the end of the month.
* reserve months (可支付月数) = balance / average monthly spending of the 12 months ending with that
  month (months without spending count as 0); none when there was no spending.

Every figure comes from three GROUP BY queries (payments, aid subsidies, settlements), grouped by
scheme and month; the few dozen result rows are carried forward in Python.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, F, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.models import Settlement
from contributions.models import ContributionBill, ContributionPayment
from core.models import District
from core.roles import Capability
from enrollment.models.people import Scheme

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
WARN_MONTHS = Decimal(6)
DANGER_MONTHS = Decimal(3)


def require_fund_access(user: Any) -> None:
    if not (
        getattr(user, "is_authenticated", False)
        and (user.has_capability(Capability.VIEW_AUDIT) or user.has_capability(Capability.SUPERVISE))
    ):
        raise PermissionDenied(_("您的角色无权执行此操作。"))


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(FEN, rounding=ROUND_HALF_UP)


def _month_key(value: dt.date | dt.datetime) -> tuple[int, int]:
    return value.year, value.month


def opening_reserve(*, district: District | None) -> dict[str, Decimal]:
    config = getattr(settings, "YIBAO_FUND_OPENING_RESERVE", {}) or {}
    scoped = config.get(district.code if district else "city", {}) or {}
    return {scheme: _money(scoped.get(scheme, 0)) for scheme in Scheme.values}


def _monthly_sums(*, district_id: int | None, until: dt.date) -> dict[str, dict[tuple[int, int], list[Decimal]]]:
    """{scheme: {(year, month): [income, spending]}} for every month up to `until`, three GROUP BY queries."""
    sums: dict[str, dict[tuple[int, int], list[Decimal]]] = {
        s: defaultdict(lambda: [ZERO, ZERO]) for s in Scheme.values
    }
    payments = ContributionPayment.objects.filter(paid_on__lte=until)
    bills = ContributionBill.objects.filter(coverage_year__lte=until.year, subsidy_amount__gt=0)
    spent = Settlement.objects.filter(status=Settlement.Status.SETTLED, service_date__lte=until)
    if district_id is not None:
        payments = payments.filter(bill__district_id=district_id)
        bills = bills.filter(district_id=district_id)
        spent = spent.filter(district_id=district_id)
    rows = (
        payments.annotate(month=TruncMonth("paid_on"))
        .values("bill__scheme", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        if row["bill__scheme"] in sums:
            sums[row["bill__scheme"]][_month_key(row["month"])][0] += _money(row["total"])
    for row in bills.values("scheme", "coverage_year").annotate(total=Sum("subsidy_amount")).order_by():
        if row["scheme"] in sums:
            sums[row["scheme"]][(row["coverage_year"], 1)][0] += _money(row["total"])
    fund_paid = Coalesce(Sum(F("pooled_paid") + F("critical_paid"), output_field=MONEY_FIELD), ZERO)
    rows = (
        spent.annotate(month=TruncMonth("service_date")).values("scheme", "month").annotate(total=fund_paid).order_by()
    )
    for row in rows:
        if row["scheme"] in sums:
            sums[row["scheme"]][_month_key(row["month"])][1] += _money(row["total"])
    return sums


def _previous(year: int, month: int, back: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - back
    return index // 12, index % 12 + 1


def _pct(new: Decimal, old: Decimal) -> Decimal | None:
    return ((new - old) / old * 100).quantize(Decimal("0.1")) if old > 0 else None


def _scheme_analysis(scheme: str, year: int, months: int, sums: dict, opening: Decimal) -> dict[str, Any]:
    before = sum((inc - out for (y, _m), (inc, out) in sums.items() if y < year), ZERO)
    balance = opening + before
    rows = []
    for month in range(1, months + 1):
        income, spending = sums.get((year, month), (ZERO, ZERO))
        balance += income - spending
        last12 = sum((sums.get(_previous(year, month, back), (ZERO, ZERO))[1] for back in range(12)), ZERO)
        average = last12 / 12
        reserve = (balance / average).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if average > 0 else None
        rows.append(
            {"month": f"{year}-{month:02d}", "income": income, "spending": spending, "balance": balance,
             "reserve_months": reserve}
        )  # fmt: skip
    income_total = sum((r["income"] for r in rows), ZERO)
    spending_total = sum((r["spending"] for r in rows), ZERO)
    last_year = [sums.get((year - 1, m), (ZERO, ZERO)) for m in range(1, months + 1)]
    growth = {
        "income": _pct(income_total, sum((p[0] for p in last_year), ZERO)),
        "spending": _pct(spending_total, sum((p[1] for p in last_year), ZERO)),
    }
    label = Scheme(scheme).label
    return {
        "scheme": scheme,
        "label": str(label),
        "opening_balance": opening + before,
        "months": rows,
        "income_total": income_total,
        "spending_total": spending_total,
        "closing_balance": balance,
        "growth": growth,
        "warnings": _warnings(str(label), rows, growth),
    }


def _warnings(label: str, rows: list[dict[str, Any]], growth: dict[str, Decimal | None]) -> list[dict[str, str]]:
    warnings = []
    if rows:
        last = rows[-1]
        reserve = last["reserve_months"]
        if reserve is not None and reserve < DANGER_MONTHS:
            level = "danger"
        elif reserve is not None and reserve < WARN_MONTHS:
            level = "warning"
        else:
            level = ""
        if level:
            warnings.append({
                "level": level, "kind": "reserve",
                "message": _("%(scheme)s %(month)s 累计结存可支付月数为 %(months)s 个月，低于 %(limit)s 个月")
                % {"scheme": label, "month": last["month"], "months": reserve,
                   "limit": DANGER_MONTHS if level == "danger" else WARN_MONTHS},
            })  # fmt: skip
    if growth["income"] is not None and growth["spending"] is not None and growth["spending"] > growth["income"]:
        warnings.append({
            "level": "warning", "kind": "growth",
            "message": _("%(scheme)s 支出同比增长 %(spending)s%%，高于收入同比增长 %(income)s%%")
            % {"scheme": label, "spending": growth["spending"], "income": growth["income"]},
        })  # fmt: skip
    deficits = [r for r in rows if r["spending"] > r["income"]]
    gap = _("缺口")  # outside the f-string, where makemessages can find it
    if deficits:
        warnings.append({
            "level": "warning", "kind": "deficit",
            "message": _("%(scheme)s 当期支出大于收入的月份：%(months)s")
            % {"scheme": label, "months": "、".join(
                f"{r['month']}（{gap} {r['spending'] - r['income']}）" for r in deficits)},
        })  # fmt: skip
    return warnings


def fund_analysis(*, fetched_by: Any, year: int, district: District | None = None) -> dict[str, Any]:
    """The year's analysis in the user's scope: district staff always their district; city-wide users the
    city, or one `district` they pick. Months after the current one are not shown."""
    require_fund_access(fetched_by)
    if not fetched_by.is_city_wide:
        district = fetched_by.district
    today = timezone.localdate()
    months = 12 if year < today.year else (today.month if year == today.year else 0)
    sums = _monthly_sums(district_id=district.pk if district else None, until=dt.date(year, 12, 31))
    opening = opening_reserve(district=district)
    schemes = [_scheme_analysis(s, year, months, sums[s], opening[s]) for s in Scheme.values]
    return {
        "year": year,
        "district_code": district.code if district else None,
        "scope": district.name if district else str(_("全市")),
        "schemes": schemes,
        "warnings": [w for s in schemes for w in s["warnings"]],
    }


def chart_data(analysis: dict[str, Any]) -> dict[str, Any]:
    """What the page's charts draw (numbers as strings, exact to the fen; the script converts)."""
    return {
        "schemes": [
            {
                "label": s["label"],
                "months": [r["month"] for r in s["months"]],
                "income": [str(r["income"]) for r in s["months"]],
                "spending": [str(r["spending"]) for r in s["months"]],
                "reserve_months": [
                    None if r["reserve_months"] is None else str(r["reserve_months"]) for r in s["months"]
                ],
            }
            for s in analysis["schemes"]
        ]
    }
