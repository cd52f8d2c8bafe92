"""Three-tier settlement: one pure, documented calculation, Decimal to the fen.

Order, as the policy documents lay it out (seed 000: basic + 大病/大额 + 医疗救助; seed 004):

1. Basic pooled fund (统筹基金, ``pooled_paid``): on the eligible cost (政策范围内费用) above the
   deductible (起付线: once a year for outpatient pooling, per admission for inpatient care), at the
   policy ratio, never beyond what is left of the annual cap (支付限额). Outpatient pooling is one pot:
   hospital visits and designated-pharmacy purchases share its deductible and cap (seed 001), so the
   caller passes the pot's year-to-date for either channel.
2. Tier 2 (``critical_paid``): 大病保险 for residents, 职工大额医疗互助 for employees (``CriticalTerms.label``).
   The eligible cost the basic fund left to the patient accumulates over the calendar year; above the
   deductible (16,901 yuan for residents from 2023, seed 002) it pays by bands. Aid recipients get the
   tilt (倾斜支付, seed 002 names it; its size, deductible halved and every band ratio plus 5 points, is
   a configurable default taken from Chengdu's plan, seed 004).
3. Medical aid (医疗救助, ``aid_paid``), for aid recipients only: a ratio of the eligible self-pay still
   left, above the aid deductible, within the annual aid limit. The ratio is the aid category's (75% is
   a configurable default after Chengdu's ">= 75%", seed 004) or the claim type's (pharmacy: none).
4. Personal account (个人账户, ``account_paid``), employee scheme: what is left of the total cost, up
   to the balance.
5. Out of pocket (个人自付, ``out_of_pocket``): the rest. The five parts always add up to the total cost.

Nothing here touches the database: the caller passes the terms (from BenefitPolicy) and the
person's year-to-date accumulator, and stores the returned deltas under a row lock.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from assistance.terms import AidTerms
from core.money import percent_text as pct
from core.money import yuan_text as yuan

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PooledTerms:
    """Basic pooled-fund terms for one benefit type and institution level."""

    deductible: Decimal
    ratio: Decimal
    annual_cap: Decimal
    deductible_per_admission: bool = False  # inpatient: every admission pays its own deductible


@dataclass(frozen=True)
class CriticalBand:
    """Cumulative yearly amount above the deductible up to `upper` (None: no upper end) paid at `ratio`."""

    upper: Decimal | None
    ratio: Decimal


@dataclass(frozen=True)
class CriticalTerms:
    deductible: Decimal
    bands: tuple[CriticalBand, ...]
    annual_cap: Decimal | None = None
    # 可配置默认值（参考成都市004 成医保发〔2021〕21号）: Chongqing's 002 orders a tilt without its size.
    tilt_deductible_factor: Decimal = Decimal("0.5")
    tilt_ratio_bonus: Decimal = Decimal("0.05")
    label: str = "大病保险"  # employees: 职工大额医疗互助


@dataclass(frozen=True)
class YearToDate:
    """What the person's year already used (AnnualAccumulator), before this settlement."""

    deductible_met: Decimal = ZERO  # yearly deductible already borne (outpatient pooling)
    pooled_paid: Decimal = ZERO  # against this benefit's annual cap
    critical_base: Decimal = ZERO  # eligible cost left after the basic fund, this year
    critical_paid: Decimal = ZERO
    aid_base: Decimal = ZERO  # eligible self-pay after basic and critical, this year
    aid_paid: Decimal = ZERO


@dataclass(frozen=True)
class Claim:
    total_cost: Decimal
    eligible_cost: Decimal
    aid_recipient: bool = False  # a medical-aid recipient: aid applies (and, unless `tilt` says otherwise, the tilt)
    tilt: bool | None = None  # critical-illness tilt (特困 / 低保 / 返贫致贫); None: as aid_recipient
    account_balance: Decimal = ZERO  # personal-account balance available (employee scheme)


@dataclass(frozen=True)
class Settlement:
    pooled_paid: Decimal
    critical_paid: Decimal
    aid_paid: Decimal
    account_paid: Decimal
    out_of_pocket: Decimal
    deductible_applied: Decimal
    year_to_date: YearToDate  # the accumulator after this settlement
    steps: tuple[str, ...] = field(default_factory=tuple)  # the working, for the printed statement

    @property
    def total(self) -> Decimal:
        return self.pooled_paid + self.critical_paid + self.aid_paid + self.account_paid + self.out_of_pocket


def _banded(start: Decimal, end: Decimal, bands: tuple[CriticalBand, ...], bonus: Decimal) -> Decimal:
    """Pay the slice (start, end] of the cumulative amount above the deductible, band by band."""
    paid, lower = ZERO, ZERO
    for band in bands:
        upper = band.upper if band.upper is not None else max(end, lower)
        lo, hi = max(start, lower), min(end, upper)
        if hi > lo:
            paid += (hi - lo) * min(band.ratio + bonus, Decimal(1))
        lower = upper
    return paid


def settle(
    *,
    claim: Claim,
    pooled: PooledTerms,
    ytd: YearToDate,
    critical: CriticalTerms | None = None,
    aid: AidTerms | None = None,
) -> Settlement:
    """Split one settlement into the five parts. See the module docstring for the rules."""
    if claim.eligible_cost < 0 or claim.total_cost < claim.eligible_cost:
        raise ValueError("eligible cost must be between 0 and the total cost")
    steps: list[str] = []
    eligible = claim.eligible_cost

    # 1. Basic pooled fund.
    deductible_left = pooled.deductible if pooled.deductible_per_admission else pooled.deductible - ytd.deductible_met
    deductible_applied = min(eligible, max(deductible_left, ZERO))
    cap_left = max(pooled.annual_cap - ytd.pooled_paid, ZERO)
    pooled_paid = min(fen((eligible - deductible_applied) * pooled.ratio), cap_left)
    steps.append(
        f"统筹基金：（{yuan(eligible)} − 起付 {yuan(deductible_applied)}）× {pct(pooled.ratio)} = "
        f"{yuan(fen((eligible - deductible_applied) * pooled.ratio))}，"
        f"年度限额余 {yuan(cap_left)}，支付 {yuan(pooled_paid)}"
    )

    # 2. Critical illness, on the eligible cost the basic fund left to the patient, cumulated over the year.
    critical_paid = ZERO
    left_after_basic = eligible - pooled_paid
    critical_base = ytd.critical_base + left_after_basic
    if critical is not None:
        tilted = claim.aid_recipient if claim.tilt is None else claim.tilt
        threshold = critical.deductible * (critical.tilt_deductible_factor if tilted else 1)
        bonus = critical.tilt_ratio_bonus if tilted else ZERO
        start, end = max(ytd.critical_base - threshold, ZERO), max(critical_base - threshold, ZERO)
        critical_paid = fen(_banded(start, end, critical.bands, bonus))
        if critical.annual_cap is not None:
            critical_paid = min(critical_paid, max(critical.annual_cap - ytd.critical_paid, ZERO))
        critical_paid = min(critical_paid, left_after_basic)
        tilt_note = f"（倾斜支付，各段比例加 {pct(bonus)}）" if tilted else ""
        steps.append(
            f"{critical.label}：年度累计 {yuan(critical_base)}，起付 {yuan(fen(threshold))}{tilt_note}，"
            f"支付 {yuan(critical_paid)}"
        )

    # 3. Medical aid, for aid recipients, on the eligible self-pay still left.
    aid_paid = ZERO
    left_eligible = left_after_basic - critical_paid
    aid_base = ytd.aid_base + left_eligible
    if aid is not None and claim.aid_recipient:
        above = max(aid_base - aid.deductible, ZERO) - max(ytd.aid_base - aid.deductible, ZERO)
        aid_paid = min(fen(above * aid.ratio), max(aid.annual_limit - ytd.aid_paid, ZERO), left_eligible)
        steps.append(
            f"医疗救助：{yuan(above)} × {pct(aid.ratio)}，年度救助余额 {yuan(aid.annual_limit - ytd.aid_paid)}，"
            f"支付 {yuan(aid_paid)}"
        )

    # 4. Personal account, 5. out of pocket.
    remaining = claim.total_cost - pooled_paid - critical_paid - aid_paid
    account_paid = min(max(claim.account_balance, ZERO), remaining)
    out_of_pocket = remaining - account_paid
    steps.append(f"个人账户支付 {yuan(account_paid)}，个人自付 {yuan(out_of_pocket)}")

    after = YearToDate(
        deductible_met=ytd.deductible_met + (ZERO if pooled.deductible_per_admission else deductible_applied),
        pooled_paid=ytd.pooled_paid + pooled_paid,
        critical_base=critical_base,
        critical_paid=ytd.critical_paid + critical_paid,
        aid_base=aid_base,
        aid_paid=ytd.aid_paid + aid_paid,
    )
    return Settlement(
        pooled_paid=pooled_paid,
        critical_paid=critical_paid,
        aid_paid=aid_paid,
        account_paid=account_paid,
        out_of_pocket=out_of_pocket,
        deductible_applied=deductible_applied,
        year_to_date=after,
        steps=tuple(steps),
    )
