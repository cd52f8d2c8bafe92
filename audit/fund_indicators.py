"""The seed 004 Table 2 indicators the data can answer, for a year and the user's scope, each with its
definition (the page and the API show it). None where the year has nothing to measure."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from assistance.models import AidEnrollmentItem, AidPolicy, AidRecipient
from benefits.models import BenefitType, Settlement
from contributions.models import ContributionBill
from core.ledger_chart import RESIDENT_POOLED
from core.models import District, JournalLine
from core.money import to_fen
from core.replica import reporting_reads
from enrollment.models import Scheme

from .fund_selectors import require_fund_access

ZERO = Decimal("0.00")


def _rate(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def aid_insured_rate(*, year: int, district_id: int | None) -> dict[str, Any]:
    """资助困难群众参保率: of the aid recipients of the year in a category the year's aid policy subsidises,
    the share with a fully paid bill for the year (004 Table 2: 100%, binding)."""
    categories = AidPolicy.objects.filter(year=year).filter(Q(subsidy_ratio__gt=0) | Q(subsidy_amount__gt=0))
    recipients = AidRecipient.objects.filter(
        category__in=categories.values("category"), valid_from__lte=dt.date(year, 12, 31)
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1)))
    if district_id is not None:
        recipients = recipients.filter(district_id=district_id)
    people = recipients.values("person_id").distinct()
    # 应保尽保: people on the civil-affairs list not yet registered wait on the worklist; they count as not insured.
    waiting = AidEnrollmentItem.objects.filter(
        status=AidEnrollmentItem.Status.OPEN, category__in=categories.values("category"),
        valid_from__lte=dt.date(year, 12, 31),
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1)))  # fmt: skip
    if district_id is not None:
        waiting = waiting.filter(district_id=district_id)
    total = people.count() + waiting.count()
    insured = ContributionBill.objects.filter(
        coverage_year=year, status=ContributionBill.Status.PAID, person_id__in=people
    ).count()
    return {
        "name": _("资助困难群众参保率"),
        "value": _rate(insured, total),
        "numerator": insured,
        "denominator": total,
        "target": "100",
        "definition": _(
            "当年认定的、属于当年有资助参保政策类别的医疗救助对象中，当年缴费单已缴清的人数"
            " ÷（该类救助对象人数 + 待参保人数）（004 表2，约束性指标 100%）"
        ),
    }


def inpatient_fund_ratio(*, year: int, district_id: int | None, scheme: str) -> dict[str, Any]:
    """政策范围内住院费用基金支付比例: (统筹基金 + 大病保险/大额医疗互助) paid / eligible inpatient cost of the
    year's settlements still standing. 002's "稳定在70%左右" is measured here, not used as a ratio."""
    settled = Settlement.objects.filter(
        year=year, scheme=scheme, benefit_type=BenefitType.INPATIENT, status=Settlement.Status.SETTLED
    )
    if district_id is not None:
        settled = settled.filter(district_id=district_id)
    sums = settled.aggregate(paid=Sum(F("pooled_paid") + F("critical_paid")), eligible=Sum("eligible_cost"))
    paid, eligible = to_fen(sums["paid"] or ZERO), to_fen(sums["eligible"] or ZERO)
    label = _("职工") if scheme == Scheme.EMPLOYEE else _("城乡居民")
    return {
        "name": _("%(scheme)s基本医疗保险政策范围内住院费用基金支付比例") % {"scheme": label},
        "value": _rate(paid, eligible),
        "numerator": paid,
        "denominator": eligible,
        "target": "70" if scheme == Scheme.RESIDENT else "",
        "definition": _(
            "当年住院结算（未冲正）的统筹基金支付与大病保险（大额医疗互助）支付之和 ÷ 政策范围内费用；"
            "002 要求居民医保“政策范围内基金支付比例稳定在70%左右”"
        ),  # fmt: skip
    }


def resident_individual_share(*, year: int, district_id: int | None) -> dict[str, Any]:
    """城乡居民基本医疗保险筹资个人负担比率, from the resident fund's books (accrual, the coverage year)."""
    lines = JournalLine.objects.filter(year=year, account__fund__code=RESIDENT_POOLED)
    if district_id is not None:
        lines = lines.filter(district_id=district_id)
    sums = {
        g["account__code"]: -to_fen(g["total"] or ZERO)
        for g in lines.filter(account__code__in=["individual_contribution", "aid_subsidy_income", "fiscal_subsidy"])
        .values("account__code")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    individual = sums.get("individual_contribution", ZERO) + sums.get("aid_subsidy_income", ZERO)
    total = individual + sums.get("fiscal_subsidy", ZERO)
    return {
        "name": _("城乡居民基本医疗保险筹资个人负担比率"),
        "value": _rate(individual, total),
        "numerator": individual,
        "denominator": total,
        "target": "",
        "definition": _(
            "居民医保基金当年个人缴费（含医疗救助代缴）÷（个人缴费 + 医疗救助资助参保 + 财政补助）（004 表2）"
        ),
    }


@reporting_reads()  # a dashboard: the replica may answer (docs/operations.md)
def fund_indicators(*, fetched_by: Any, year: int, district: District | None = None) -> list[dict[str, Any]]:
    require_fund_access(fetched_by)
    if not fetched_by.is_city_wide:
        district = fetched_by.district
    district_id = district.pk if district else None
    return [
        aid_insured_rate(year=year, district_id=district_id),
        inpatient_fund_ratio(year=year, district_id=district_id, scheme=Scheme.EMPLOYEE),
        inpatient_fund_ratio(year=year, district_id=district_id, scheme=Scheme.RESIDENT),
        resident_individual_share(year=year, district_id=district_id),
    ]
