"""个人账户 of the employee scheme: monthly credits (Python path on SQLite, one SQL statement on PostgreSQL,
the same numbers), settlement debits that never go below zero, 家庭共济, forbidden uses and refunds."""

import types

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction

from benefits.models import AccountEntry, AnnualAccumulator, FamilyBinding, PersonalAccount, Settlement
from benefits.services import account_credits_post, family_binding_create, family_binding_end
from contributions.models import ContributionBill, ContributionPayment
from core.models import AuditEvent, JobRun
from enrollment.models import Enrollment
from tests.benefits_support import (
    SETTLEMENTS,
    D,
    accumulator,
    counts,
    employee,
    fund_account,
    ledger_sum,
    outpatient,
    resident,
    staff_client,
    token_client,
    unpaid_bill,
)

pytestmark = pytest.mark.django_db
ON_SQLITE = connection.vendor == "sqlite"


@pytest.fixture(params=["python", "sql"])
def credit_path(request, monkeypatch):
    """Run the monthly credit through each implementation the database allows: SQLite has only the
    Python one; on PostgreSQL both run, and must give the same numbers."""
    if request.param == "sql" and ON_SQLITE:
        pytest.skip("the SQL credit statement is PostgreSQL only")
    if request.param == "python" and not ON_SQLITE:
        monkeypatch.setattr("benefits.services.accounts.connection", types.SimpleNamespace(vendor="sqlite"))
    return request.param


@pytest.fixture
def his(institution_user):
    return token_client(institution_user)


def _balance(person) -> D:
    return PersonalAccount.objects.get(person=person).balance


# --- monthly credits (个人账户划入) -------------------------------------------------------------------------------


def test_monthly_credit_2_percent_for_active_fixed_for_retired(districts, policy_2023, credit_path):
    active = employee(category="active", base="6000.00")
    retired = employee(category="retired", base="5000.00")  # the base plays no part for retirees
    flexible = employee(category="flexible", base="3000.25")  # 60.005 rounds half up to 60.01
    jiangbei = employee(category="active", base="8000.00", district=districts["500105"])
    topped_up = employee(category="active", base="6000.00")
    fund_account(topped_up, "50.00")
    resident_person = resident()
    suspended = employee(category="active")
    Enrollment.objects.filter(person=suspended).update(status="suspended")

    result = account_credits_post(actor=None, year=2023, month=1)

    assert result == {"credited": 5}
    assert _balance(active) == D("120.00")
    assert _balance(retired) == D("70.00")
    assert _balance(flexible) == D("60.01")
    assert _balance(jiangbei) == D("160.00")
    assert _balance(topped_up) == D("170.00")
    assert not PersonalAccount.objects.filter(person__in=[resident_person, suspended]).exists()
    line = AccountEntry.objects.get(account__person=active, kind="credit")
    assert (line.amount, line.balance_after, line.period) == (D("120.00"), D("120.00"), 202301)
    assert AccountEntry.objects.get(account__person=topped_up, period=202301).balance_after == D("170.00")
    for account in PersonalAccount.objects.all():
        assert ledger_sum(account) == account.balance
        assert account.district_id == account.person.district_id
    event = AuditEvent.objects.get(action="job", object_type="benefits.accountentry")
    assert event.new_values == {"period": 202301, "credited": 5}


def test_crediting_a_month_again_credits_nobody_twice(districts, policy_2023, credit_path):
    people = [employee(category="active"), employee(category="retired")]
    account_credits_post(actor=None, year=2023, month=1)
    before = {p.pk: _balance(p) for p in people}
    entries = AccountEntry.objects.count()

    assert account_credits_post(actor=None, year=2023, month=1) == {"credited": 0}

    assert {p.pk: _balance(p) for p in people} == before
    assert AccountEntry.objects.count() == entries == 2
    # the next month is a new credit
    assert account_credits_post(actor=None, year=2023, month=2) == {"credited": 2}
    assert [_balance(p) for p in people] == [D("240.00"), D("140.00")]


def test_a_district_run_credits_that_district_only_and_needs_rights_there(
    districts, policy_2023, credit_path, clerk_yuzhong, clerk_jiangbei, municipal_admin
):
    yz, jb = employee(), employee(district=districts["500105"])
    with pytest.raises(PermissionDenied):  # the whole city needs the administer capability
        account_credits_post(actor=clerk_yuzhong, year=2023, month=1)
    with pytest.raises(ValidationError) as refused:
        account_credits_post(actor=clerk_jiangbei, year=2023, month=1, district_id=districts["500103"].pk)
    assert "本人所属区县" in str(refused.value)
    assert not AccountEntry.objects.exists()

    assert account_credits_post(actor=clerk_yuzhong, year=2023, month=1, district_id=districts["500103"].pk) == {
        "credited": 1
    }
    assert _balance(yz) == D("120.00") and not PersonalAccount.objects.filter(person=jb).exists()
    assert account_credits_post(actor=municipal_admin, year=2023, month=1) == {"credited": 1}
    assert _balance(jb) == D("120.00") and _balance(yz) == D("120.00")


def test_a_run_in_many_chunks_inside_one_transaction_gives_the_same_numbers(
    districts, policy_2023, credit_path, monkeypatch
):
    """Regression: the SQL path's temporary table outlived a chunk whose transaction was only a savepoint
    (any caller already in a transaction), so the second chunk failed with "already exists"."""
    monkeypatch.setattr("benefits.services.accounts.CREDIT_CHUNK", 2)
    people = [employee(category=c) for c in ("active", "retired", "active", "flexible", "retired")]
    with transaction.atomic():
        assert account_credits_post(actor=None, year=2023, month=1) == {"credited": 5}
        assert account_credits_post(actor=None, year=2023, month=2) == {"credited": 5}
        assert account_credits_post(actor=None, year=2023, month=2) == {"credited": 0}
    assert [_balance(p) for p in people] == [D("240.00"), D("140.00"), D("240.00"), D("240.00"), D("140.00")]


def test_credit_refuses_a_bad_month_or_a_year_without_rules(districts, policy_2023):
    employee()
    with pytest.raises(ValidationError) as bad_month:
        account_credits_post(actor=None, year=2023, month=13)
    assert "月份" in str(bad_month.value)
    with pytest.raises(ValidationError) as no_rules:
        account_credits_post(actor=None, year=2031, month=1)
    assert "2031年度没有个人账户划入标准" in str(no_rules.value)
    assert not AccountEntry.objects.exists() and not PersonalAccount.objects.exists()


def test_the_account_credits_command_runs_a_recorded_job(
    districts, policy_2023, credit_path, django_capture_on_commit_callbacks
):
    active, retired = employee(category="active"), employee(category="retired")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("account_credits", "--year", "2023", "--month", "1")
    run = JobRun.objects.get(kind="account_credits")
    assert (run.status, run.counts, run.params["month"]) == ("succeeded", {"credited": 2}, 1)
    assert (_balance(active), _balance(retired)) == (D("120.00"), D("70.00"))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("account_credits", "--year", "2023", "--month", "1")
    rerun = JobRun.objects.filter(kind="account_credits").latest("id")
    assert rerun.pk != run.pk and (rerun.status, rerun.counts) == ("succeeded", {"credited": 0})
    assert (_balance(active), _balance(retired)) == (D("120.00"), D("70.00"))
    assert AccountEntry.objects.count() == 2


# --- settlements paid from the account ---------------------------------------------------------------------------


def test_an_employee_settlement_uses_the_account_up_to_the_balance_and_never_below_zero(districts, policy_2023, his):
    person = employee(category="active")
    account_credits_post(actor=None, year=2023, month=1)  # 120.00

    first = his.post(SETTLEMENTS, outpatient(person, "E-1", eligible="400.00", total="500.00"), format="json")

    assert first.status_code == 201
    # employee outpatient: deductible 200 a year, 50 %: (400 - 200) x 0.5 = 100; of the 400 left, the
    # account pays all it has (120) and the patient the rest
    body = first.json()
    assert (body["pooled_paid"], body["account_paid"], body["out_of_pocket"]) == ("100.00", "120.00", "280.00")
    assert _balance(person) == D("0.00")
    debit = AccountEntry.objects.get(kind="settlement")
    assert (debit.amount, debit.balance_after, debit.settlement_id, debit.beneficiary_id) == (
        D("-120.00"),
        D("0.00"),
        body["id"],
        person.pk,
    )

    second = his.post(SETTLEMENTS, outpatient(person, "E-2", eligible="300.00", day="2023-04-01"), format="json")

    # deductible already met: 300 x 0.5 = 150; the empty account pays nothing
    assert (second.json()["pooled_paid"], second.json()["account_paid"], second.json()["out_of_pocket"]) == (
        "150.00",
        "0.00",
        "150.00",
    )
    assert _balance(person) == D("0.00") and AccountEntry.objects.filter(kind="settlement").count() == 1
    account = PersonalAccount.objects.get(person=person)
    assert ledger_sum(account) == account.balance
    assert Settlement.objects.get(pk=second.json()["id"]).account_id is None


def test_use_account_false_leaves_the_account_alone(districts, policy_2023, his):
    person = employee()
    fund_account(person, "500.00")
    body = his.post(SETTLEMENTS, outpatient(person, "E-1", total="300.00", use_account=False), format="json").json()
    assert (body["account_paid"], body["out_of_pocket"]) == ("0.00", "300.00")
    assert _balance(person) == D("500.00")


def test_reversal_of_an_account_paid_settlement_refunds_the_account(districts, policy_2023, his, reviewer_yuzhong):
    person = employee()
    fund_account(person, "150.00")
    paid = his.post(SETTLEMENTS, outpatient(person, "E-1", eligible="0.00", total="100.00"), format="json").json()
    assert paid["account_paid"] == "100.00" and _balance(person) == D("50.00")

    reviewer = staff_client(reviewer_yuzhong)
    response = reviewer.post(f"{SETTLEMENTS}{paid['id']}/reversal/", {"reason": "退费"}, format="json")

    assert response.status_code == 200
    assert _balance(person) == D("150.00")
    refund = AccountEntry.objects.get(kind="reversal")
    assert (refund.amount, refund.balance_after, refund.settlement_id) == (D("100.00"), D("150.00"), paid["id"])
    assert refund.created_by == reviewer_yuzhong
    # reversing again refunds nothing more
    assert reviewer.post(f"{SETTLEMENTS}{paid['id']}/reversal/", {"reason": "again"}, format="json").status_code == 200
    assert _balance(person) == D("150.00") and AccountEntry.objects.filter(kind="reversal").count() == 1
    assert ledger_sum(PersonalAccount.objects.get(person=person)) == D("150.00")


# --- 家庭共济 (family use) -------------------------------------------------------------------------------------


def test_a_bound_child_is_paid_for_from_the_holders_account(districts, policy_2023, his, clerk_yuzhong):
    holder = employee()
    account = fund_account(holder, "500.00")
    child = resident()
    binding = family_binding_create(actor=clerk_yuzhong, holder=holder, member_id_number=child.id_number,
                                    relation="child")  # fmt: skip
    event = AuditEvent.objects.get(object_type="benefits.familybinding", object_id=str(binding.pk))
    assert (event.action, event.actor, event.new_values["relation"]) == ("create", clerk_yuzhong, "child")
    assert child.id_number not in str(event.new_values) + event.object_repr

    response = his.post(
        SETTLEMENTS,
        outpatient(child, "F-1", eligible="200.00", total="300.00", account_holder_id_number=holder.id_number),
        format="json",
    )

    assert response.status_code == 201
    # resident tier 1: 200 x 0.5 = 100 from the fund; the holder's account pays the other 200
    assert (response.json()["pooled_paid"], response.json()["account_paid"], response.json()["out_of_pocket"]) == (
        "100.00",
        "200.00",
        "0.00",
    )
    account.refresh_from_db()
    assert account.balance == D("300.00")
    debit = AccountEntry.objects.get(kind="settlement")
    assert (debit.account_id, debit.beneficiary_id, debit.amount) == (account.pk, child.pk, D("-200.00"))
    assert Settlement.objects.get().account_id == account.pk
    # the year's totals are the patient's, not the holder's
    assert accumulator(child)["pooled_outpatient"] == D("100.00") and accumulator(holder) == {}


def test_an_unbound_or_unbound_again_person_cannot_use_the_account(districts, policy_2023, his, clerk_yuzhong):
    holder = employee()
    fund_account(holder, "500.00")
    stranger = resident()
    before = counts()

    response = his.post(
        SETTLEMENTS, outpatient(stranger, "F-1", account_holder_id_number=holder.id_number), format="json"
    )

    assert response.status_code == 400
    assert "家庭共济仅限已绑定的配偶、父母、子女使用" in response.json()["account_holder_id_number"][0]
    assert counts() == before and accumulator(stranger) == {}

    binding = family_binding_create(actor=clerk_yuzhong, holder=holder, member_id_number=stranger.id_number,
                                    relation="spouse")  # fmt: skip
    family_binding_end(actor=clerk_yuzhong, binding=binding)
    assert AuditEvent.objects.filter(object_type="benefits.familybinding", action="status").count() == 1
    before = counts()
    again = his.post(SETTLEMENTS, outpatient(stranger, "F-2", account_holder_id_number=holder.id_number), format="json")
    assert again.status_code == 400 and "account_holder_id_number" in again.json()
    assert counts() == before and _balance(holder) == D("500.00")


def test_a_holder_without_an_account_is_named(districts, policy_2023, his):
    patient, not_an_employee = resident(), resident()
    response = his.post(
        SETTLEMENTS, outpatient(patient, "F-1", account_holder_id_number=not_an_employee.id_number), format="json"
    )
    assert response.status_code == 400
    assert response.json()["account_holder_id_number"] == ["该人员没有职工医保个人账户"]
    assert not Settlement.objects.exists()


@pytest.mark.parametrize("relation", ["sibling", "grandparent", "friend", ""])
def test_only_spouse_parents_and_children_may_be_bound(districts, clerk_yuzhong, relation):
    holder, other = employee(), resident()
    before = counts()
    with pytest.raises(ValidationError) as refused:
        family_binding_create(actor=clerk_yuzhong, holder=holder, member_id_number=other.id_number, relation=relation)
    assert refused.value.message_dict == {"relation": ["家庭共济仅限配偶、父母、子女"]}
    assert counts() == before


def test_binding_through_the_api_is_scoped_and_explains_refusals(districts, clerk_yuzhong, clerk_jiangbei):
    holder, sibling, child = employee(), resident(), resident()
    url = f"/api/v1/persons/{holder.pk}/account/family/"
    yz, jb = staff_client(clerk_yuzhong), staff_client(clerk_jiangbei)
    before = counts()

    refused = yz.post(url, {"member_id_number": sibling.id_number, "relation": "sibling"}, format="json")
    assert refused.status_code == 400 and refused.json() == {"relation": ["家庭共济仅限配偶、父母、子女"]}
    other_district = jb.post(url, {"member_id_number": child.id_number, "relation": "child"}, format="json")
    assert other_district.status_code == 404
    self_binding = yz.post(url, {"member_id_number": holder.id_number, "relation": "child"}, format="json")
    assert self_binding.status_code == 400 and "member_id_number" in self_binding.json()
    assert counts() == before

    created = yz.post(url, {"member_id_number": child.id_number, "relation": "child"}, format="json")

    assert created.status_code == 201
    assert (created.json()["relation"], created.json()["active"]) == ("child", True)
    assert child.id_number not in created.content.decode()
    twice = yz.post(url, {"member_id_number": child.id_number, "relation": "child"}, format="json")
    assert twice.status_code == 400 and twice.json() == {"member_id_number": ["该人员已绑定"]}
    assert FamilyBinding.objects.count() == 1
    account = yz.get(f"/api/v1/persons/{holder.pk}/account/").json()
    assert [m["relation"] for m in account["family"]] == ["child"]
    assert jb.get(f"/api/v1/persons/{holder.pk}/account/").status_code == 404
    assert jb.get(f"/api/v1/persons/{holder.pk}/account/entries/").status_code == 404


# --- payments outside a settlement ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "name"),
    [
        ("fitness", "体育健身消费"),
        ("wellness", "养生保健消费"),
        ("public_health", "公共卫生费用"),
        ("cash", "提取现金"),
    ],
)
def test_forbidden_uses_are_refused_by_name_and_write_nothing(districts, clerk_yuzhong, purpose, name):
    holder = employee()
    fund_account(holder, "500.00")
    client = staff_client(clerk_yuzhong)
    before = counts()

    response = client.post(
        f"/api/v1/persons/{holder.pk}/account/payments/", {"purpose": purpose, "amount": "100.00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"purpose": [f"个人账户不得用于{name}"]}
    assert counts() == before and _balance(holder) == D("500.00")


def test_an_unknown_purpose_is_refused_too(districts, clerk_yuzhong):
    holder = employee()
    fund_account(holder, "500.00")
    response = staff_client(clerk_yuzhong).post(
        f"/api/v1/persons/{holder.pk}/account/payments/", {"purpose": "medical", "amount": "10.00"}, format="json"
    )
    assert response.status_code == 400 and "purpose" in response.json()
    assert _balance(holder) == D("500.00") and AccountEntry.objects.count() == 1


def test_the_account_pays_a_bound_relatives_resident_contribution(districts, clerk_yuzhong, clerk_jiangbei):
    holder = employee()
    account = fund_account(holder, "500.00")
    mother = resident(district=districts["500105"])  # the relative may be insured in another district
    family_binding_create(actor=clerk_yuzhong, holder=holder, member_id_number=mother.id_number, relation="parent")
    bill = unpaid_bill(mother, year=2024)
    url = f"/api/v1/persons/{holder.pk}/account/payments/"
    client = staff_client(clerk_yuzhong)
    assert staff_client(clerk_jiangbei).post(url, {}, format="json").status_code == 404

    response = client.post(
        url,
        {"purpose": "resident_contribution", "amount": "350.00", "beneficiary_id_number": mother.id_number,
         "bill_id": bill.pk},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["balance_after"]) == ("-350.00", "150.00")
    account.refresh_from_db()
    assert account.balance == D("150.00") and ledger_sum(account) == D("150.00")
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.status) == (D("350.00"), "paid")
    entry = AccountEntry.objects.get(kind="payment")
    payment = ContributionPayment.objects.get(bill=bill)
    assert (payment.amount, payment.reference) == (D("350.00"), f"ACCOUNT-{entry.pk}")
    assert (entry.purpose, entry.beneficiary_id, entry.created_by) == (
        "resident_contribution",
        mother.pk,
        clerk_yuzhong,
    )
    assert AuditEvent.objects.filter(object_type="benefits.accountentry", object_id=str(entry.pk)).exists()


def test_a_contribution_payment_that_cannot_be_made_changes_nothing(districts, clerk_yuzhong):
    holder = employee()
    account = fund_account(holder, "300.00")
    child, stranger = resident(), resident()
    family_binding_create(actor=clerk_yuzhong, holder=holder, member_id_number=child.id_number, relation="child")
    bill, strangers_bill = unpaid_bill(child, year=2024), unpaid_bill(stranger, year=2024)
    url = f"/api/v1/persons/{holder.pk}/account/payments/"
    client = staff_client(clerk_yuzhong)
    before = counts()

    def pay(**body):
        return client.post(url, {"purpose": "resident_contribution", **body}, format="json")

    over_balance = pay(amount="350.00", beneficiary_id_number=child.id_number, bill_id=bill.pk)
    assert over_balance.status_code == 400 and "余额不足" in over_balance.json()["amount"][0]
    unbound = pay(amount="100.00", beneficiary_id_number=stranger.id_number, bill_id=strangers_bill.pk)
    assert unbound.status_code == 400 and "beneficiary_id_number" in unbound.json()
    wrong_bill = pay(amount="100.00", beneficiary_id_number=child.id_number, bill_id=strangers_bill.pk)
    assert wrong_bill.status_code == 400 and "bill_id" in wrong_bill.json()
    # the account holds enough, but the bill owes less: the bill refuses, the debit is rolled back
    ContributionBill.objects.filter(pk=bill.pk).update(paid_amount=D("200.00"), status="partial")
    over_bill = pay(amount="200.00", beneficiary_id_number=child.id_number, bill_id=bill.pk)
    assert over_bill.status_code == 400 and "amount" in over_bill.json()
    for amount in ("0", "-5.00", "1.234"):
        assert pay(amount=amount, beneficiary_id_number=child.id_number, bill_id=bill.pk).status_code == 400

    assert counts() == before
    account.refresh_from_db()
    assert account.balance == D("300.00") and ledger_sum(account) == D("300.00")
    assert not ContributionPayment.objects.exists()


def test_the_critical_illness_premium_is_for_retirees_only(districts, clerk_yuzhong):
    retired, active = employee(category="retired"), employee(category="active")
    fund_account(retired, "500.00")
    fund_account(active, "500.00")
    client = staff_client(clerk_yuzhong)
    refused = client.post(
        f"/api/v1/persons/{active.pk}/account/payments/",
        {"purpose": "critical_contribution", "amount": "100.00"},
        format="json",
    )
    assert refused.status_code == 400 and "退休人员" in refused.json()["purpose"][0]
    paid = client.post(
        f"/api/v1/persons/{retired.pk}/account/payments/",
        {"purpose": "critical_contribution", "amount": "100.00"},
        format="json",
    )
    assert paid.status_code == 201
    assert (_balance(retired), _balance(active)) == (D("400.00"), D("500.00"))


def test_the_account_and_its_ledger_are_readable_in_district_only(districts, policy_2023, his, reviewer_yuzhong):
    person = employee()
    account_credits_post(actor=None, year=2023, month=1)
    his.post(SETTLEMENTS, outpatient(person, "E-1", eligible="0.00", total="20.00"), format="json")
    client = staff_client(reviewer_yuzhong)
    assert client.get(f"/api/v1/persons/{person.pk}/account/").json()["balance"] == "100.00"
    lines = client.get(f"/api/v1/persons/{person.pk}/account/entries/").json()["results"]
    assert [(line["kind"], line["amount"], line["balance_after"]) for line in lines] == [
        ("settlement", "-20.00", "100.00"),
        ("credit", "120.00", "120.00"),
    ]
    assert his.get(f"/api/v1/persons/{person.pk}/account/").status_code == 403
    no_account = resident()
    missing = client.get(f"/api/v1/persons/{no_account.pk}/account/")
    assert missing.status_code == 400 and "个人账户" in missing.json()["person"][0]
    assert AnnualAccumulator.objects.filter(person=person).count() == 1
