"""异地就医 indicators of a year, in the user's scope, by district and by area (004 Table 1 names
"异地就医备案人数" and "异地就医直接结算人数"; issue 16 point 8).

What each figure counts (the page and the API print the same definitions):

* persons with a filing: distinct persons with a 异地就医备案 in force on at least one day of the year
  (active, or revoked during or after the year but not before it began);
* outbound (our insured treated elsewhere): settled Settlement rows of the year with a care area;
  kind "direct" came through the cross-region platform, kind "manual" is 零星报销 of care elsewhere;
  fund paid = pooled + critical + aid (what the funds bore, the personal account excluded);
* direct-settlement rate = direct settlements elsewhere / (direct + manual elsewhere), by count (人次);
* inbound (patients insured elsewhere settled at our institutions): settled InboundSettlement rows of
  the year, persons by ID number, what our fund advanced = their area's pooled + critical share.

Scope: a district's staff see their district only (the filing's and the settlement's insuring district,
the inbound institution's district); city-wide users see the city, or one district they pick. Every figure
comes from GROUP BY queries (ten with the district list, whatever the size of the city); the few rows they
return are arranged in Python.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.models import InboundSettlement, RemoteCareFiling, Settlement
from contributions.selectors import coverage_year_default
from core.areas import area_name
from core.models import District
from core.money import to_fen
from core.replica import reporting_reads

from .fund_selectors import require_fund_access

ZERO = Decimal("0.00")
HUNDREDTH = Decimal("0.01")
DIRECT, MANUAL = Settlement.Kind.DIRECT, Settlement.Kind.MANUAL

# The figures of one row of either table, with their empty value.
FIGURES: dict[str, Any] = {
    "filed_persons": 0,
    "direct_persons": 0,
    "direct_count": 0,
    "direct_fund_paid": ZERO,
    "direct_total_cost": ZERO,
    "manual_persons": 0,
    "manual_count": 0,
    "manual_fund_paid": ZERO,
    "manual_total_cost": ZERO,
    "direct_rate": None,
    "inbound_persons": 0,
    "inbound_count": 0,
    "inbound_advanced": ZERO,
    "inbound_total_cost": ZERO,
}


def direct_rate(direct: int, manual: int) -> Decimal | None:
    """Direct settlements as a percentage of all settlements elsewhere (人次), to 0.01; none when none."""
    if not direct + manual:
        return None
    return (Decimal(direct) * 100 / Decimal(direct + manual)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@reporting_reads()
def remote_year_default() -> int:
    """The latest year up to this one with a settlement elsewhere or an inbound settlement; without any,
    the year the other dashboards open on (coverage_year_default). Filings do not count: a long-term
    filing stands for years, and one made for next month says nothing of the year's figures."""
    this_year = timezone.localdate().year
    years = [
        Settlement.objects.exclude(care_area_code="").filter(year__lte=this_year).aggregate(y=Max("year"))["y"],
        InboundSettlement.objects.filter(year__lte=this_year).aggregate(y=Max("year"))["y"],
    ]
    found = [y for y in years if y is not None]
    return max(found) if found else coverage_year_default()


def _filings(year: int) -> QuerySet:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    year_began = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    revoked_in_force = Q(
        status=RemoteCareFiling.Status.REVOKED, revoked_at__gte=year_began, revoked_at__date__gte=F("valid_from")
    )
    return (
        RemoteCareFiling.objects.filter(valid_from__lte=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .filter(Q(status=RemoteCareFiling.Status.ACTIVE) | revoked_in_force)
    )


def _outbound(year: int) -> QuerySet:
    return Settlement.objects.filter(year=year, status=Settlement.Status.SETTLED).exclude(care_area_code="")


def _inbound(year: int) -> QuerySet:
    return InboundSettlement.objects.filter(year=year, status=InboundSettlement.Status.SETTLED)


OUTBOUND_SUMS = {
    "persons": Count("person_id", distinct=True),
    "count": Count("id"),
    "fund_paid": Sum(F("pooled_paid") + F("critical_paid") + F("aid_paid")),
    "total_cost": Sum("total_cost"),
}
INBOUND_SUMS = {
    "inbound_persons": Count("id_number", distinct=True),
    "inbound_count": Count("id"),
    "inbound_advanced": Sum(F("pooled_paid") + F("critical_paid")),
    "inbound_total_cost": Sum("total_cost"),
}


def _money(value: Any) -> Decimal:
    # SQLite sums decimals as floats: back to the fen through str.
    return to_fen(str(value)) if value is not None else ZERO


def _add_outbound(row: dict[str, Any], found: dict[str, Any]) -> None:
    prefix = "direct" if found["kind"] == DIRECT else "manual"
    row[f"{prefix}_persons"] = found["persons"]
    row[f"{prefix}_count"] = found["count"]
    row[f"{prefix}_fund_paid"] = _money(found["fund_paid"])
    row[f"{prefix}_total_cost"] = _money(found["total_cost"])


def _add_inbound(row: dict[str, Any], found: dict[str, Any]) -> None:
    row["inbound_persons"], row["inbound_count"] = found["inbound_persons"], found["inbound_count"]
    row["inbound_advanced"] = _money(found["inbound_advanced"])
    row["inbound_total_cost"] = _money(found["inbound_total_cost"])


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["direct_rate"] = direct_rate(row["direct_count"], row["manual_count"])
    return row


def _definitions() -> dict[str, tuple[str, str, str]]:
    """key -> (name, unit, definition)."""
    return {
        "filed_persons": (
            _("异地就医备案人数"), _("人"),
            _("当年任一天处于有效期内的异地就医备案（含年内撤销的）的参保人数，同一人多次备案计一人；"
              "按参保区县统计（004 表1“本地参保人员异地结算情况·异地就医备案人数”）"),
        ),
        "direct_persons": (
            _("异地就医直接结算人数"), _("人"),
            _("当年在外地经跨区域平台直接结算（联网结算、就医地不在本市、已结算未冲正）的本市参保人数，"
              "同一人多次结算计一人（004 表1“本地参保人员异地结算情况·异地就医直接结算人数”）"),
        ),
        "direct_count": (
            _("异地就医直接结算人次"), _("人次"), _("同上口径的直接结算笔数（冲正的不计）"),
        ),
        "direct_fund_paid": (
            _("异地就医直接结算医保基金支付"), _("元"),
            _("同上口径结算中统筹基金、大病保险、医疗救助支付之和（不含个人账户），即本市应向就医地清算的金额"
              "（004 表1“医保报销金额”）"),
        ),
        "direct_total_cost": (
            _("异地就医直接结算医疗总费用"), _("元"), _("同上口径结算的医疗总费用之和"),
        ),
        "manual_persons": (
            _("异地就医零星报销人数"), _("人"),
            _("当年在外地就医、未直接结算、回本市手工（零星）报销且已结算未冲正的参保人数"),
        ),
        "manual_count": (_("异地就医零星报销人次"), _("人次"), _("同上口径的零星报销笔数")),
        "manual_fund_paid": (
            _("异地就医零星报销基金支付"), _("元"), _("同上口径报销中统筹基金、大病保险、医疗救助支付之和"),
        ),
        "manual_total_cost": (_("异地就医零星报销医疗总费用"), _("元"), _("同上口径报销的医疗总费用之和")),
        "direct_rate": (
            _("异地就医直接结算率"), "%",
            _("异地就医直接结算人次 ÷（直接结算人次 + 零星报销人次）× 100%，保留两位小数；"
              "无异地就医结算时不计算（004 专栏3“提高直接结算率”）"),
        ),
        "inbound_persons": (
            _("异地参保人员本地直接结算人数"), _("人"),
            _("当年在本市定点医药机构直接结算（已结算未冲正）的外地参保人数，按身份证号去重；"
              "按就医机构所在区县统计（004 表1“异地参保人员本地结算情况·异地就医直接结算人数”）"),
        ),
        "inbound_count": (_("异地参保人员本地直接结算人次"), _("人次"), _("同上口径的结算笔数")),
        "inbound_advanced": (
            _("本市垫付参保地基金"), _("元"),
            _("同上口径结算中参保地统筹基金与大病保险应付、由本市基金先行垫付的金额，待月度清算收回"
              "（004 表1“医保报销金额”）"),
        ),
        "inbound_total_cost": (_("异地参保人员本地就医医疗总费用"), _("元"), _("同上口径结算的医疗总费用之和")),
    }  # fmt: skip


@reporting_reads()  # a dashboard: the replica may answer (docs/operations.md)
def remote_indicators(*, fetched_by: Any, year: int, district: District | None = None) -> dict[str, Any]:
    """The year's 异地就医 figures in the user's scope: totals with their definitions, by district (the
    insuring district; the institution's for inbound) and by area (where our insured went, or where the
    inbound patients are insured). District staff always get their own district, whatever they ask."""
    require_fund_access(fetched_by)
    if not fetched_by.is_city_wide:
        district = fetched_by.district
    filings, outbound, inbound = _filings(year), _outbound(year), _inbound(year)
    if district is not None:
        filings, outbound, inbound = (q.filter(district_id=district.pk) for q in (filings, outbound, inbound))

    districts = [district] if district is not None else list(District.objects.order_by("code"))
    by_district = {d.pk: {"district_code": d.code, "district_name": d.name, **FIGURES} for d in districts}
    by_area: dict[str, dict[str, Any]] = {}

    def area(code: str) -> dict[str, Any]:
        return by_area.setdefault(code, {"area_code": code, "area_name": area_name(code), **FIGURES})

    for found in filings.values("district_id").annotate(persons=Count("person_id", distinct=True)):
        by_district[found["district_id"]]["filed_persons"] = found["persons"]
    for found in filings.values("destination_code").annotate(persons=Count("person_id", distinct=True)):
        area(found["destination_code"])["filed_persons"] = found["persons"]
    for found in outbound.values("district_id", "kind").annotate(**OUTBOUND_SUMS):
        _add_outbound(by_district[found["district_id"]], found)
    for found in outbound.values("care_area_code", "kind").annotate(**OUTBOUND_SUMS):
        _add_outbound(area(found["care_area_code"]), found)
    for found in inbound.values("district_id").annotate(**INBOUND_SUMS):
        _add_inbound(by_district[found["district_id"]], found)
    for found in inbound.values("insured_area_code").annotate(**INBOUND_SUMS):
        _add_inbound(area(found["insured_area_code"]), found)

    totals = dict(FIGURES)
    totals["filed_persons"] = filings.aggregate(persons=Count("person_id", distinct=True))["persons"]
    for found in outbound.values("kind").annotate(**OUTBOUND_SUMS):
        _add_outbound(totals, found)
    _add_inbound(totals, inbound.aggregate(**INBOUND_SUMS))
    _finish(totals)

    definitions = _definitions()
    return {
        "year": year,
        "district_code": district.code if district else None,
        "scope": district.name if district else str(_("全市")),
        "totals": totals,
        "indicators": [
            {
                "key": key,
                "name": name,
                "unit": unit,
                "value": totals[key],
                "definition": definition,
                "format": "rate" if key == "direct_rate" else "money" if isinstance(FIGURES[key], Decimal) else "count",
            }
            for key, (name, unit, definition) in definitions.items()
        ],
        "by_district": [_finish(row) for row in by_district.values()],
        "by_area": [_finish(by_area[code]) for code in sorted(by_area)],
    }


def chart_data(indicators: dict[str, Any]) -> dict[str, Any]:
    """What the page's two charts draw: persons by district (districts with any figure) and settlements
    elsewhere by area (direct and 零星报销, 人次). The tables carry the same figures."""
    shown = [r for r in indicators["by_district"] if any(r[k] != v for k, v in FIGURES.items())]
    outbound = [r for r in indicators["by_area"] if r["direct_count"] or r["manual_count"]]
    return {
        "districts": {
            "labels": [r["district_name"] for r in shown],
            "filed": [r["filed_persons"] for r in shown],
            "direct": [r["direct_persons"] for r in shown],
            "inbound": [r["inbound_persons"] for r in shown],
        },
        "areas": {
            "labels": [r["area_name"] for r in outbound],
            "direct": [r["direct_count"] for r in outbound],
            "manual": [r["manual_count"] for r in outbound],
        },
    }
