"""Builders for the fund-supervision tests: payments, settlements written directly (exact amounts), suspicions."""

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from audit.models import FraudRule, Suspicion
from benefits.models import BenefitPolicy, Settlement
from contributions.models import ContributionBill, ContributionPayment
from enrollment.models import Person

D = Decimal
_seq = itertools.count(1)


def bill(person: Person, *, year: int = 2023, scheme: str | None = None, subsidy: str = "0.00") -> ContributionBill:
    enrollment = person.enrollments.get(status="active")
    existing = ContributionBill.objects.filter(person=person, coverage_year=year).first()
    if existing:
        return existing
    return ContributionBill.objects.create(
        person=person, enrollment=enrollment, district_id=enrollment.district_id, coverage_year=year,
        scheme=scheme or enrollment.scheme, due_amount=D("10000.00"), subsidy_amount=D(subsidy),
    )  # fmt: skip


def pay(person: Person, amount: str, paid_on: dt.date, *, year: int | None = None) -> ContributionPayment:
    return ContributionPayment.objects.create(
        bill=bill(person, year=year or paid_on.year), amount=D(amount), paid_on=paid_on,
        reference=f"REF-{next(_seq)}", channel="counter",
    )  # fmt: skip


def _policy(scheme: str) -> BenefitPolicy:
    policy, _ = BenefitPolicy.objects.get_or_create(
        year=2023, scheme=scheme, category="", tier=0, benefit_type="outpatient", institution_level=0, version=99,
        defaults={"deductible": D("0"), "deductible_per": "year", "ratio": D("0.5"), "annual_cap": D("100000")},
    )  # fmt: skip
    return policy


def settle(person, institution, day: dt.date, *, pooled="0.00", critical="0.00", aid="0.00", status="settled"):
    """A settlement row with exactly these fund amounts (the rest is out of pocket)."""
    enrollment = person.enrollments.get(status="active")
    pooled, critical, aid = D(pooled), D(critical), D(aid)
    total = pooled + critical + aid + D("100.00")
    return Settlement.objects.create(
        institution=institution, settlement_number=f"T{next(_seq)}", status=status, person=person,
        enrollment=enrollment, district_id=enrollment.district_id, scheme=enrollment.scheme,
        benefit_type="outpatient", service_date=day, year=day.year, total_cost=total, eligible_cost=total,
        deductible_applied=D("0"), pooled_paid=pooled, critical_paid=critical, aid_paid=aid,
        account_paid=D("0"), out_of_pocket=D("100.00"), policy=_policy(enrollment.scheme),
        settled_at=timezone.now(),
    )  # fmt: skip


def suspicion(settlement: Settlement, *, amount: str, status: str = "confirmed", rule_code: str = "T01") -> Suspicion:
    rule, _ = FraudRule.objects.get_or_create(
        code=rule_code, defaults={"name": "测试规则", "kind": "duplicate_settlement"}
    )
    return Suspicion.objects.create(
        rule=rule, settlement=settlement, person=settlement.person, institution=settlement.institution,
        district_id=settlement.district_id, service_date=settlement.service_date, amount=D(amount),
        detail="测试疑点", status=status,
    )  # fmt: skip
