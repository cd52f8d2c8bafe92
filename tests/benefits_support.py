"""Shared builders for the benefits tests: insured people, API clients, settlement payloads, snapshots."""

import datetime as dt
from decimal import Decimal

from rest_framework.test import APIClient

from benefits.models import AccountEntry, AnnualAccumulator, FamilyBinding, PersonalAccount, Settlement
from contributions.models import ContributionBill
from core.api_tokens import api_token_create
from core.models import AuditEvent
from enrollment.models import Enrollment, Person
from tests.factories import PersonFactory, ResidentEnrollmentFactory

D = Decimal
SETTLEMENTS = "/api/v1/settlements/"


def token_client(user) -> APIClient:
    """An institution's system: a new API token in the Authorization header, no session."""
    _, key = api_token_create(actor=None, user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def staff_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def resident(*, tier=1, year=2023, category="adult", graduation_year=None, district=None, paid=True) -> Person:
    """A resident enrolled from 1 Sept of the year before, with the year's contribution paid."""
    person = PersonFactory(**({"district": district} if district else {}))
    enrollment = ResidentEnrollmentFactory(
        person=person, tier=tier, category=category, graduation_year=graduation_year,
        start_date=dt.date(year - 1, 9, 1),
    )  # fmt: skip
    if paid:
        ContributionBill.objects.create(
            person=person, enrollment=enrollment, district_id=enrollment.district_id, coverage_year=year,
            scheme="resident", due_amount=D("350.00"), paid_amount=D("350.00"), status="paid",
        )  # fmt: skip
    return person


def unpaid_bill(person: Person, *, year=2024, due="350.00") -> ContributionBill:
    enrollment = person.enrollments.get(status="active")
    return ContributionBill.objects.create(
        person=person, enrollment=enrollment, district_id=enrollment.district_id, coverage_year=year,
        scheme="resident", due_amount=D(due),
    )  # fmt: skip


def employee(*, category="active", base="6000.00", district=None, start=dt.date(2022, 1, 1)) -> Person:
    """An employee-scheme enrollee (employees settle without a yearly bill)."""
    person = PersonFactory(**({"district": district} if district else {}))
    Enrollment.objects.create(
        person=person, scheme="employee", category=category, tier=None,
        contribution_base=D(base) if base is not None else None, district=person.district, start_date=start,
    )  # fmt: skip
    return person


def fund_account(person: Person, balance: str) -> PersonalAccount:
    """Open the person's account with one credit line, so the ledger always sums to the balance."""
    account, _ = PersonalAccount.objects.get_or_create(person=person, defaults={"district_id": person.district_id})
    amount = D(balance)
    account.balance += amount
    account.save(update_fields=["balance", "updated_at"])
    AccountEntry.objects.create(
        account=account, kind="credit", amount=amount, balance_after=account.balance, period=202212
    )
    return account


def claim(person: Person, number: str = "S1", **overrides) -> dict:
    """A JSON body for POST /api/v1/settlements/: by default a level-2 inpatient stay in March 2023."""
    body = {
        "settlement_number": number,
        "id_number": person.id_number,
        "benefit_type": "inpatient",
        "service_date": "2023-03-01",
        "discharge_date": "2023-03-10",
        "total_cost": "12000.00",
        "eligible_cost": "10000.00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def outpatient(person: Person, number: str, eligible="200.00", total=None, day="2023-03-01", **overrides) -> dict:
    values = {"benefit_type": "outpatient", "service_date": day, "discharge_date": None}
    values.update(total_cost=total or eligible, eligible_cost=eligible, **overrides)
    return claim(person, number, **values)


def accumulator(person: Person, year: int = 2023) -> dict:
    """The year's totals as plain values (without the timestamp), or {} when there is no row."""
    row = AnnualAccumulator.objects.filter(person=person, year=year).values().first() or {}
    row.pop("updated_at", None)
    return row


def counts() -> dict[str, int]:
    """Row counts of everything a settlement or an account payment may write."""
    return {
        "settlements": Settlement.objects.count(),
        "accumulators": AnnualAccumulator.objects.count(),
        "entries": AccountEntry.objects.count(),
        "accounts": PersonalAccount.objects.count(),
        "bindings": FamilyBinding.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def ledger_sum(account: PersonalAccount) -> Decimal:
    return sum((e.amount for e in AccountEntry.objects.filter(account=account)), D("0.00"))
