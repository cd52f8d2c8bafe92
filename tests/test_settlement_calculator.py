"""Worked examples of the three-tier settlement calculator, and the invariants it must keep.

Figures from the seeds: resident inpatient ratio about 70% and critical-illness deductible 16,901
(seed 002); tilt for aid recipients: deductible halved, ratio +5 points, aid ratio >= 75% (seed 004).
Deductibles, caps and bands that the seeds do not give are illustrative test values.
"""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from assistance.terms import AidTerms
from benefits.calculator import (
    Claim,
    CriticalBand,
    CriticalTerms,
    PooledTerms,
    YearToDate,
    settle,
)

OUTPATIENT_TIER1 = PooledTerms(deductible=D("100"), ratio=D("0.50"), annual_cap=D("300"))
INPATIENT_LEVEL3 = PooledTerms(
    deductible=D("800"), ratio=D("0.70"), annual_cap=D("150000"), deductible_per_admission=True
)
CRITICAL = CriticalTerms(
    deductible=D("16901"), bands=(CriticalBand(upper=D("100000"), ratio=D("0.60")), CriticalBand(None, D("0.70")))
)
AID = AidTerms(ratio=D("0.75"), deductible=D("0"), annual_limit=D("50000"))


def test_outpatient_pooling_meets_the_yearly_deductible_once_and_stops_at_the_cap():
    first = settle(claim=Claim(total_cost=D("180"), eligible_cost=D("150")), pooled=OUTPATIENT_TIER1, ytd=YearToDate())
    assert (first.deductible_applied, first.pooled_paid, first.out_of_pocket) == (D("100"), D("25.00"), D("155.00"))

    second = settle(
        claim=Claim(total_cost=D("1000"), eligible_cost=D("1000")), pooled=OUTPATIENT_TIER1, ytd=first.year_to_date
    )
    # No second deductible this year; 1000 x 50% = 500, but only 275 of the 300 cap is left.
    assert (second.deductible_applied, second.pooled_paid) == (D("0"), D("275.00"))

    third = settle(
        claim=Claim(total_cost=D("80"), eligible_cost=D("80")), pooled=OUTPATIENT_TIER1, ytd=second.year_to_date
    )
    assert third.pooled_paid == D("0") and third.out_of_pocket == D("80")
    assert third.year_to_date.pooled_paid == D("300.00")


def test_inpatient_then_critical_illness_across_two_admissions():
    first = settle(
        claim=Claim(total_cost=D("60000"), eligible_cost=D("50000")),
        pooled=INPATIENT_LEVEL3,
        ytd=YearToDate(),
        critical=CRITICAL,
    )
    # (50000 - 800) x 70% = 34440.00; the 15560.00 left is below the 16901 critical deductible.
    assert (first.pooled_paid, first.critical_paid, first.out_of_pocket) == (D("34440.00"), D("0"), D("25560.00"))

    second = settle(
        claim=Claim(total_cost=D("40000"), eligible_cost=D("30000")),
        pooled=INPATIENT_LEVEL3,
        ytd=first.year_to_date,
        critical=CRITICAL,
    )
    # A new admission pays its own deductible: (30000 - 800) x 70% = 20440.00. Year to date left after
    # basic: 15560 + 9560 = 25120, of which 25120 - 16901 = 8219 is above the deductible: x 60% = 4931.40.
    assert (second.deductible_applied, second.pooled_paid, second.critical_paid) == (
        D("800"),
        D("20440.00"),
        D("4931.40"),
    )
    assert second.out_of_pocket == D("14628.60")


def test_aid_recipient_gets_the_tilt_and_medical_aid_rounded_half_up():
    result = settle(
        claim=Claim(total_cost=D("60000"), eligible_cost=D("50000"), aid_recipient=True),
        pooled=INPATIENT_LEVEL3,
        ytd=YearToDate(),
        critical=CRITICAL,
        aid=AID,
    )
    # Tilt: deductible 16901 / 2 = 8450.50, ratio 60% + 5 = 65%: (15560 - 8450.50) x 0.65 = 4621.175 -> 4621.18.
    assert result.critical_paid == D("4621.18")
    # Aid: (15560 - 4621.18) x 75% = 8204.115 -> 8204.12.
    assert result.aid_paid == D("8204.12")
    assert result.out_of_pocket == D("12734.70")
    assert result.total == D("60000")


def test_medical_aid_is_for_aid_recipients_only_and_stops_at_its_yearly_limit():
    claim = Claim(total_cost=D("20000"), eligible_cost=D("20000"))
    assert settle(claim=claim, pooled=INPATIENT_LEVEL3, ytd=YearToDate(), aid=AID).aid_paid == D("0")
    near_limit = YearToDate(aid_paid=D("49900"))
    capped = settle(
        claim=Claim(total_cost=D("20000"), eligible_cost=D("20000"), aid_recipient=True),
        pooled=INPATIENT_LEVEL3,
        ytd=near_limit,
        aid=AID,
    )
    assert capped.aid_paid == D("100")


def test_personal_account_pays_before_the_patient_up_to_its_balance():
    employee_outpatient = PooledTerms(deductible=D("200"), ratio=D("0.50"), annual_cap=D("2000"))
    result = settle(
        claim=Claim(total_cost=D("500"), eligible_cost=D("400"), account_balance=D("300")),
        pooled=employee_outpatient,
        ytd=YearToDate(),
    )
    assert (result.pooled_paid, result.account_paid, result.out_of_pocket) == (D("100.00"), D("300"), D("100.00"))


money = st.decimals(min_value=0, max_value=500000, places=2, allow_nan=False, allow_infinity=False)


@given(total=money, share=st.decimals(min_value=0, max_value=1, places=2), aid=st.booleans(), balance=money)
def test_parts_add_up_are_never_negative_and_caps_hold(total, share, aid, balance):
    eligible = (total * share).quantize(D("0.01"))
    ytd = YearToDate()
    for _ in range(3):  # three settlements in one year
        result = settle(
            claim=Claim(total_cost=total, eligible_cost=eligible, aid_recipient=aid, account_balance=balance),
            pooled=INPATIENT_LEVEL3,
            ytd=ytd,
            critical=CRITICAL,
            aid=AID,
        )
        parts = [result.pooled_paid, result.critical_paid, result.aid_paid, result.account_paid, result.out_of_pocket]
        assert sum(parts) == total
        assert all(p >= 0 for p in parts)
        assert all(p == p.quantize(D("0.01")) for p in parts)
        assert result.pooled_paid + result.critical_paid + result.aid_paid <= eligible
        ytd = result.year_to_date
        assert ytd.pooled_paid <= INPATIENT_LEVEL3.annual_cap
        assert ytd.aid_paid <= AID.annual_limit
