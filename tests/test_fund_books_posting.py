"""The fund books as money moves: every event and batch posts balanced lines per fund and account, read back
from core_journalline to the fen (core/ledger.py, contributions/postings.py, benefits/postings.py)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from benefits.models import AccountEntry
from benefits.services import account_credits_post, settlement_create, settlement_reverse
from contributions.collection import contribution_bills_issue
from contributions.models import ContributionBill, ContributionPayment
from contributions.services import contribution_bill_issue, payment_record
from core.models.ledger import JournalEntry, JournalLine
from tests.benefits_support import employee
from tests.factories import ResidentEnrollmentFactory
from tests.test_aid_subsidies import aid_policy_2023, recipient  # noqa: F401 (a fixture)
from tests.test_payment_import import upload
from tests.test_personal_accounts import credit_path  # noqa: F401 (a fixture)
from tests.test_settlements import claim, paid_resident

pytestmark = pytest.mark.django_db
CRITICAL = {"2023": "65.50"}  # 大病保险筹资 per insured resident, a figure no seed gives: set here


def lines(**filters) -> dict[tuple[str, str], D]:
    """The books as stored: core_journalline summed per (fund, account), zero sums left out."""
    grouped = (
        JournalLine.objects.filter(**filters)
        .values("account__fund__code", "account__code")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(g["account__fund__code"], g["account__code"]): g["total"] for g in grouped if g["total"]}


def balanced(**filters) -> bool:
    """Each fund's and district's lines sum to zero."""
    per_fund = JournalLine.objects.filter(**filters).values("account__fund", "district").annotate(t=Sum("amount"))
    return all(g["t"] == 0 for g in per_fund.order_by())


def resident_bill(tier=1, year=2023) -> ContributionBill:
    return contribution_bill_issue(actor=None, enrollment=ResidentEnrollmentFactory(tier=tier), coverage_year=year)


def pay(bill, amount, reference, on=dt.date(2023, 1, 5)):
    return payment_record(actor=None, bill=bill, amount=D(amount), paid_on=on, reference=reference, channel="counter")


# --- 1. counter payments -------------------------------------------------------------------------------------


@override_settings(YIBAO_CRITICAL_FINANCING=CRITICAL)
def test_a_resident_payment_posts_its_entry_and_full_payment_the_fiscal_subsidy(districts):
    bill = resident_bill(tier=2)  # 725.00 due, 610.00 fiscal subsidy per resident (seed)
    assert not JournalEntry.objects.exists()  # an unpaid bill without 资助参保 posts nothing yet

    payment, created = pay(bill, "300.00", "P-1")

    entry = JournalEntry.objects.get()
    assert (entry.source, entry.source_id, entry.year, entry.accounting_date) == (
        "payment", payment.pk, 2023, dt.date(2023, 1, 5)
    )  # fmt: skip
    assert lines(entry=entry) == {
        ("resident_pooled", "bank"): D("300.00"),
        ("resident_pooled", "individual_contribution"): D("-300.00"),
    }
    assert set(entry.lines.values_list("district_id", flat=True)) == {bill.district_id}

    assert pay(bill, "300.00", "P-1")[1] is False  # a replay of the same reference
    assert JournalEntry.objects.count() == 1 and JournalLine.objects.count() == 2

    last, _ = pay(bill, "425.00", "P-2", on=dt.date(2023, 2, 1))

    assert lines(entry__source="payment", entry__source_id=last.pk) == {
        ("resident_pooled", "bank"): D("425.00"),
        ("resident_pooled", "individual_contribution"): D("-425.00"),
    }
    fiscal = JournalEntry.objects.get(source="fiscal_subsidy")
    assert (fiscal.source_id, fiscal.year, fiscal.accounting_date) == (bill.pk, 2023, dt.date(2023, 2, 1))
    bill.refresh_from_db()
    assert bill.fiscal_subsidy == D("610.00")
    assert lines(entry=fiscal) == {
        ("resident_pooled", "bank"): D("544.50"),  # 610.00 in, 65.50 passed on to 大病保险
        ("resident_pooled", "fiscal_subsidy"): D("-610.00"),
        ("resident_pooled", "critical_financing_expense"): D("65.50"),
        ("resident_critical", "bank"): D("65.50"),
        ("resident_critical", "critical_financing_income"): D("-65.50"),
    }
    assert balanced() and JournalEntry.objects.count() == 3


def test_the_payment_and_its_entry_commit_or_roll_back_together(districts):
    bill = resident_bill()
    with transaction.atomic():
        pay(bill, "100.00", "P-1")
        assert JournalEntry.objects.filter(source="payment").count() == 1  # already posted, inside
        transaction.set_rollback(True)
    assert not ContributionPayment.objects.exists() and not JournalLine.objects.exists()


def test_an_employee_payment_splits_employer_and_individual_to_the_fen(districts):
    worker = employee(base="6000.00")
    bill = contribution_bill_issue(actor=None, enrollment=worker.enrollments.get(), coverage_year=2023)
    assert (bill.due_amount, bill.employer_due) == (D("7200.00"), D("5760.00"))  # 10 % and 8 % of 12 x 6000

    first, _ = pay(bill, "333.33", "E-1")
    second, _ = pay(bill, "6866.67", "E-2", on=dt.date(2023, 3, 1))

    # 333.33 x 5760 / 7200 = 266.664 -> 266.66; 6866.67 x 0.8 = 5493.336 -> 5493.34
    assert lines(entry__source="payment", entry__source_id=first.pk) == {
        ("employee_pooled", "bank"): D("333.33"),
        ("employee_pooled", "employer_contribution"): D("-266.66"),
        ("employee_pooled", "individual_contribution"): D("-66.67"),
    }
    assert lines(entry__source="payment", entry__source_id=second.pk) == {
        ("employee_pooled", "bank"): D("6866.67"),
        ("employee_pooled", "employer_contribution"): D("-5493.34"),
        ("employee_pooled", "individual_contribution"): D("-1373.33"),
    }
    assert lines(source="payment")[("employee_pooled", "employer_contribution")] == -bill.employer_due
    assert not JournalEntry.objects.filter(source="fiscal_subsidy").exists()  # no subsidy for employees


@override_settings(YIBAO_CRITICAL_FINANCING=CRITICAL)
def test_a_contribution_paid_in_december_is_next_years_income_received_this_year(districts):
    bill = resident_bill(tier=1)  # 2023 coverage, 350.00

    pay(bill, "350.00", "EARLY-1", on=dt.date(2022, 12, 10))

    dated = set(JournalLine.objects.values_list("source", "year", "accounting_date"))
    assert dated == {("payment", 2023, dt.date(2022, 12, 10)), ("fiscal_subsidy", 2023, dt.date(2022, 12, 10))}
    assert lines(year=2023, accounting_date__year=2022)[("resident_pooled", "individual_contribution")] == D("-350.00")


# --- 2. settlements and their reversal ----------------------------------------------------------------------


@pytest.mark.usefixtures("policy_2023", "aid_policy_2023")
def test_a_settlement_posts_each_tier_to_its_fund_and_a_reversal_negates_it(hospital_yz, institution_user):
    person = paid_resident()
    recipient(person, "destitute")
    request = claim(person, total_cost=D("60000.00"), eligible_cost=D("50000.00"))

    s, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=request)

    original = JournalEntry.objects.get(source="settlement")
    today = timezone.localdate()
    assert (original.source_id, original.year, original.accounting_date) == (s.pk, 2023, today)
    # the tiers as tests/test_aid_subsidies.py works them out: 34650.00, 4484.68, 9778.79
    paid = {
        ("resident_pooled", "pooled_inpatient"): D("34650.00"),
        ("resident_pooled", "bank"): D("-34650.00"),
        ("resident_critical", "critical_payment"): D("4484.68"),
        ("resident_critical", "bank"): D("-4484.68"),
        ("medical_aid", "aid_payment"): D("9778.79"),
        ("medical_aid", "bank"): D("-9778.79"),
    }
    assert lines(entry=original) == paid
    assert (s.pooled_paid, s.critical_paid, s.aid_paid) == (D("34650.00"), D("4484.68"), D("9778.79"))

    settlement_reverse(actor=institution_user, settlement=s, reason="重复上传")
    settlement_reverse(actor=institution_user, settlement=s, reason="again")  # changes nothing

    reversal = JournalEntry.objects.get(source="reversal")
    assert (reversal.source_id, reversal.reverses_id, reversal.memo) == (s.pk, original.pk, "重复上传")
    assert lines(entry=reversal) == {key: -amount for key, amount in paid.items()}
    original_lines = sorted(JournalLine.objects.filter(entry=original).values_list("account_id", "amount"))
    reversal_lines = sorted(JournalLine.objects.filter(entry=reversal).values_list("account_id", "amount"))
    assert reversal_lines == sorted((a, -amount) for a, amount in original_lines)
    assert lines(entry=original) == paid  # the original stays as it was
    assert lines() == {} and JournalEntry.objects.count() == 2


@pytest.mark.usefixtures("policy_2023", "credit_path")
def test_an_employee_settlement_posts_the_account_and_supplementary_parts(hospital_yz, institution_user):
    person = employee(category="active", base="6000.00")
    account_credits_post(actor=None, year=2023, month=1)  # 120.00 into the account
    request = claim(person, total_cost=D("250000.00"), eligible_cost=D("250000.00"))

    s, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=request)

    # pooled up to its 200000 cap; 大额医疗互助 (50000 - 20000) x 80 %; the account all it holds
    assert (s.pooled_paid, s.critical_paid, s.account_paid) == (D("200000.00"), D("24000.00"), D("120.00"))
    assert lines(entry__source="settlement", entry__source_id=s.pk) == {
        ("employee_pooled", "pooled_inpatient"): D("200000.00"),
        ("employee_pooled", "bank"): D("-200000.00"),
        ("employee_supplementary", "critical_payment"): D("24000.00"),
        ("employee_supplementary", "bank"): D("-24000.00"),
        ("employee_accounts", "account_spending_medical"): D("120.00"),
        ("employee_accounts", "bank"): D("-120.00"),
    }


# --- 3. batches post summaries ------------------------------------------------------------------------------


@override_settings(YIBAO_CRITICAL_FINANCING=CRITICAL)
@pytest.mark.usefixtures("standards_2023", "aid_policy_2023")
def test_annual_collection_posts_summary_entries_equal_to_the_sum_over_its_bills(districts):
    destitute, subsistence, plain, jiangbei = (ResidentEnrollmentFactory(tier=1) for _ in range(4))
    jiangbei.district = districts["500105"]
    jiangbei.save(update_fields=["district"])
    recipient(destitute.person, "destitute")  # 350.00 of 350.00: paid by 资助参保, so subsidised now
    recipient(subsistence.person, "subsistence")  # 280.00

    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 4}

    entries = JournalEntry.objects.all()
    assert {(e.source, e.source_id, e.year) for e in entries} == {("bill", None, 2023), ("fiscal_subsidy", None, 2023)}
    bills = ContributionBill.objects.aggregate(subsidy=Sum("subsidy_amount"))
    assert bills["subsidy"] == D("630.00")
    assert lines(source="bill") == {
        ("medical_aid", "aid_subsidy_expense"): D("630.00"),
        ("medical_aid", "bank"): D("-630.00"),
        ("resident_pooled", "bank"): D("630.00"),
        ("resident_pooled", "aid_subsidy_income"): D("-630.00"),
    }
    # only the destitute bill is paid in full: one resident's fiscal subsidy and 大病保险 financing
    assert lines(source="fiscal_subsidy") == {
        ("resident_pooled", "bank"): D("544.50"),
        ("resident_pooled", "fiscal_subsidy"): D("-610.00"),
        ("resident_pooled", "critical_financing_expense"): D("65.50"),
        ("resident_critical", "bank"): D("65.50"),
        ("resident_critical", "critical_financing_income"): D("-65.50"),
    }
    yuzhong = districts["500103"].pk
    assert set(JournalLine.objects.values_list("district_id", flat=True)) == {yuzhong}  # jiangbei: no subsidy
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 0}
    assert JournalEntry.objects.count() == 2 and balanced()


@pytest.mark.usefixtures("policy_2023", "credit_path")
def test_account_credits_post_per_district_apart_for_retirees_and_only_once(districts):
    """退休人员个人账户原则上由统筹基金按定额划入 (001): the retirees' credits are their own line of the
    pooled fund's expense, apart from the active employees' credits out of contributions."""
    employee(category="active", base="6000.00")  # 120.00
    employee(category="retired", base="5000.00")  # 70.00, fixed
    employee(category="active", base="8000.00", district=districts["500105"])  # 160.00

    assert account_credits_post(actor=None, year=2023, month=1) == {"credited": 3}

    entries = JournalEntry.objects.filter(source="account_credit")
    # a batch's summary: one entry per district (and day), no source record
    assert sorted((e.source_id, e.year) for e in entries) == [(None, 2023), (None, 2023)]
    yuzhong, jiangbei = districts["500103"].pk, districts["500105"].pk
    assert lines(district_id=yuzhong) == {
        ("employee_pooled", "account_credit_active"): D("120.00"),
        ("employee_pooled", "account_credit_retiree"): D("70.00"),
        ("employee_pooled", "bank"): D("-190.00"),
        ("employee_accounts", "bank"): D("190.00"),
        ("employee_accounts", "account_credit_income"): D("-190.00"),
    }
    assert lines(district_id=jiangbei) == {
        ("employee_pooled", "account_credit_active"): D("160.00"),
        ("employee_pooled", "bank"): D("-160.00"),
        ("employee_accounts", "bank"): D("160.00"),
        ("employee_accounts", "account_credit_income"): D("-160.00"),
    }
    credited = AccountEntry.objects.aggregate(total=Sum("amount"))["total"]
    assert lines()[("employee_accounts", "account_credit_income")] == -credited == D("-350.00")

    assert account_credits_post(actor=None, year=2023, month=1) == {"credited": 0}
    assert JournalEntry.objects.count() == 2 and JournalLine.objects.count() == 9


@override_settings(YIBAO_CRITICAL_FINANCING=CRITICAL)
def test_a_payments_import_posts_one_summary_per_chunk(clerk_yuzhong, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("core.importing.rowfile.CHUNK", 1)
    tier1, tier2 = resident_bill(tier=1), resident_bill(tier=2)
    rows = [
        [tier1.person.id_number, "2023", "350.00", "TAX-1", "2023-01-05", "税务代征"],
        [tier2.person.id_number, "2023", "700.00", "TAX-2", "2023-01-06", ""],
    ]

    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)

    assert batch.counts["payments_created"] == 2
    chunks = JournalEntry.objects.filter(source="payment").order_by("id")
    assert [(e.source_id, e.accounting_date, e.memo) for e in chunks] == [
        (None, dt.date(2023, 1, 5), f"缴费记录导入 第{batch.pk}批"),
        (None, dt.date(2023, 1, 6), f"缴费记录导入 第{batch.pk}批"),
    ]
    assert [lines(entry=e) for e in chunks] == [
        {("resident_pooled", "bank"): D(a), ("resident_pooled", "individual_contribution"): -D(a)}
        for a in ("350.00", "700.00")
    ]
    fiscal = JournalEntry.objects.get(source="fiscal_subsidy")  # tier 1 paid in full, tier 2 not
    assert fiscal.source_id is None and lines(entry=fiscal)[("resident_pooled", "fiscal_subsidy")] == D("-610.00")

    again = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert again.counts["unchanged"] == 2 and JournalEntry.objects.count() == 3
