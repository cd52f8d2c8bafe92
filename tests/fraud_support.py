"""Builders for the fund-supervision tests: settlements written directly (the scan must also catch data
the settlement service would refuse, e.g. after death), and the seeded fraud rules."""

import datetime as dt
import importlib
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from audit.models import FraudRule, Suspicion
from benefits.models import BenefitPolicy, Settlement
from enrollment.models import Enrollment, Person
from tests.factories import PersonFactory

D = Decimal
YEAR = ("2023-01-01", "2023-12-31")


def seed_rules() -> dict[str, FraudRule]:
    """The rules migration 0006 seeds (again, for transactional tests that empty every table)."""
    importlib.import_module("audit.migrations.0004_seed_fraud_rules").seed(apps, None)
    return {r.code: r for r in FraudRule.objects.all()}


def person(*, gender="F", birth=dt.date(1980, 1, 1), scheme="resident", start=dt.date(2022, 9, 1), end=None,
           died=None, district=None) -> Person:  # fmt: skip
    extra = {"district": district} if district else {}
    p = PersonFactory(gender=gender, birth_date=birth, death_date=died, **extra)
    resident = scheme == "resident"
    Enrollment.objects.create(
        person=p, scheme=scheme, category="adult" if resident else "active", tier=1 if resident else None,
        contribution_base=None if resident else D("6000.00"), district=p.district, start_date=start, end_date=end,
        status="terminated" if end else "active", end_reason="other" if end else "",
    )  # fmt: skip
    return p


def settle(p: Person, institution, number: str, day: str, *, kind="outpatient", discharge=None, total="100.00",
           pooled="0.00", account="0.00", diag="", status="settled", policy=None) -> Settlement:  # fmt: skip
    enrollment = p.enrollments.order_by("-start_date").first()
    policy = policy or BenefitPolicy.objects.filter(year=2023, scheme=enrollment.scheme, benefit_type=kind).first()
    total, pooled, account = D(total), D(pooled), D(account)
    service = dt.date.fromisoformat(day)
    return Settlement.objects.create(
        institution=institution, settlement_number=number, person=p, enrollment=enrollment,
        district_id=enrollment.district_id, scheme=enrollment.scheme, benefit_type=kind,
        institution_level=institution.level, diagnosis_code=diag, service_date=service,
        discharge_date=dt.date.fromisoformat(discharge) if discharge else None, year=service.year,
        total_cost=total, eligible_cost=total, deductible_applied=D(0), pooled_paid=pooled, critical_paid=D(0),
        aid_paid=D(0), account_paid=account, out_of_pocket=total - pooled - account, policy=policy,
        settled_at=timezone.now(), status=status,
    )  # fmt: skip


def hits() -> set[tuple[str, str]]:
    """Every suspicion as (rule code, settlement number)."""
    return set(Suspicion.objects.values_list("rule__code", "settlement__settlement_number"))
