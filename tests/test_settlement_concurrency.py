"""Parallel HTTP settlements for one person (PostgreSQL: real row locks, one connection per thread).

Each test fires N requests at once from N threads, each with its own API client and database connection,
started together by a barrier. Without the accumulator's row lock each request would read the same
year-to-date totals and the cap would be paid N times over; with it they run one after the other.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from benefits.models import AccountEntry, AnnualAccumulator, PersonalAccount, Settlement
from benefits.services import family_binding_create
from core.api_tokens import api_token_create
from tests.benefits_support import SETTLEMENTS, claim, employee, fund_account, ledger_sum, outpatient, resident

ON_SQLITE = connection.vendor == "sqlite"
N = 8
D = Decimal

pytestmark = [
    pytest.mark.skipif(ON_SQLITE, reason="needs row locks and concurrent sessions (PostgreSQL)"),
    pytest.mark.django_db(transaction=True),
]


def _post_in_parallel(user, bodies: list[dict]) -> list:
    """POST every body at the same moment, one thread and one connection each. Returns the responses,
    or the exception a request raised (the test client re-raises a view's exception: a 500)."""
    _, key = api_token_create(actor=None, user=user)
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def send(i: int, body: dict) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            barrier.wait(timeout=30)
            answers[i] = client.post(SETTLEMENTS, body, format="json")
        except Exception as exc:  # handed back to the test
            answers[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    errors = [a for a in answers if isinstance(a, BaseException)]
    if errors:
        raise errors[0]
    assert not [a.status_code for a in answers if a.status_code >= 500]
    return answers


def test_parallel_claims_of_one_person_never_pass_the_annual_cap(districts, policy_2023, institution_user):
    """Tier-1 resident outpatient pooling: 50 %, 300 a year. Eight claims of 200 eligible would pay 100 each,
    800 in all, if they read the totals at the same time; locked, the fund pays exactly 300.00."""
    person = resident(tier=1)
    bodies = [outpatient(person, f"PAR-{i}", eligible="200.00") for i in range(N)]

    answers = _post_in_parallel(institution_user, bodies)

    assert [a.status_code for a in answers] == [201] * N
    paid = sorted(D(a.json()["pooled_paid"]) for a in answers)
    assert sum(paid) == D("300.00")
    assert paid == [D("0.00")] * (N - 3) + [D("100.00")] * 3
    settlements = Settlement.objects.filter(person=person)
    assert settlements.count() == N
    assert sum(s.pooled_paid for s in settlements) == D("300.00")
    assert sum(s.out_of_pocket for s in settlements) == D("200.00") * N - D("300.00")
    acc = AnnualAccumulator.objects.get(person=person, year=2023)
    assert (acc.pooled_outpatient, acc.settlement_count, acc.total_cost) == (D("300.00"), N, D("200.00") * N)
    assert AnnualAccumulator.objects.count() == 1


def test_the_same_settlement_number_sent_in_parallel_settles_once(districts, policy_2023, institution_user):
    person = resident(tier=1)
    body = outpatient(person, "SAME-1", eligible="200.00")

    answers = _post_in_parallel(institution_user, [dict(body) for _ in range(N)])

    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * (N - 1) + [201], codes
    assert len({a.json()["id"] for a in answers}) == 1
    assert {a.json()["pooled_paid"] for a in answers} == {"100.00"}
    assert Settlement.objects.count() == 1
    acc = AnnualAccumulator.objects.get(person=person, year=2023)
    assert (acc.pooled_outpatient, acc.settlement_count) == (D("100.00"), 1)


def test_the_same_number_for_different_people_in_parallel_settles_once_and_refuses_the_rest(
    districts, policy_2023, institution_user
):
    people = [resident(tier=1) for _ in range(4)]
    bodies = [outpatient(p, "CLASH-1", eligible="200.00") for p in people]

    answers = _post_in_parallel(institution_user, bodies)

    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409], codes
    assert Settlement.objects.count() == 1
    winner = Settlement.objects.get()
    # only the winner's year was touched; the refused requests left no accumulator row behind
    assert list(AnnualAccumulator.objects.values_list("person_id", "settlement_count")) == [(winner.person_id, 1)]


def test_parallel_settlements_on_one_personal_account_never_take_it_below_zero(
    districts, policy_2023, institution_user, clerk_yuzhong
):
    """The holder and three bound relatives (家庭共济) all draw on one account of 300.00 at once, with
    costs the fund does not cover (eligible 0): the account pays exactly 300.00 and not a fen more."""
    holder = employee(category="active")
    account = fund_account(holder, "300.00")
    relatives = [resident(tier=1) for _ in range(3)]
    for relative, relation in zip(relatives, ["child", "spouse", "parent"], strict=True):
        family_binding_create(
            actor=clerk_yuzhong, holder=holder, member_id_number=relative.id_number, relation=relation
        )
    bodies = [outpatient(holder, f"ACC-H{i}", eligible="0.00", total="100.00") for i in range(2)]
    for relative in relatives:
        bodies += [
            outpatient(relative, f"ACC-{relative.pk}-{i}", eligible="0.00", total="100.00",
                       account_holder_id_number=holder.id_number)
            for i in range(2)
        ]  # fmt: skip

    answers = _post_in_parallel(institution_user, bodies)

    assert [a.status_code for a in answers] == [201] * N
    account.refresh_from_db()
    assert account.balance == D("0.00")
    settlements = Settlement.objects.all()
    assert sum(s.account_paid for s in settlements) == D("300.00")
    assert sum(s.out_of_pocket for s in settlements) == D("500.00")
    assert all(s.account_paid + s.out_of_pocket == D("100.00") for s in settlements)
    assert ledger_sum(account) == account.balance
    # every line was written under the account lock: each one's balance follows from the one before
    running = D("0.00")
    for entry in AccountEntry.objects.filter(account=account).order_by("pk"):
        running += entry.amount
        assert entry.balance_after == running >= 0
    debits = AccountEntry.objects.filter(account=account, kind="settlement")
    assert debits.count() == settlements.filter(account_paid__gt=0).count()
    assert PersonalAccount.objects.count() == 1


def test_parallel_reversals_of_one_settlement_restore_the_year_once(districts, policy_2023, institution_user):
    person = resident(tier=1)
    first = APIClient()
    token = api_token_create(actor=None, user=institution_user)[1]
    first.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    kept = first.post(SETTLEMENTS, claim(person, "KEEP"), format="json").json()
    target = first.post(
        SETTLEMENTS, claim(person, "UNDO", service_date="2023-05-01", discharge_date="2023-05-03"), format="json"
    ).json()
    barrier = threading.Barrier(N)
    codes: list = []

    def reverse() -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            barrier.wait(timeout=30)
            codes.append(client.post(f"{SETTLEMENTS}{target['id']}/reversal/", {"reason": "并发冲正"}).status_code)
        except Exception as exc:
            codes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reverse) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert codes == [200] * N
    acc = AnnualAccumulator.objects.get(person=person)
    assert (acc.pooled_inpatient, acc.settlement_count) == (D(kept["pooled_paid"]), 1)
    assert Settlement.objects.get(pk=target["id"]).status == "reversed"
