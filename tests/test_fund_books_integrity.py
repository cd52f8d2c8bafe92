"""The fund books hold: the database refuses an unbalanced or edited journal, reconciliation finds any record
the books miss (and the backfill posts it once), manual entries need a reason, the nightly job says so in words.

基金分别建账、分账核算 (000): each fund is its own book, and each balances by itself."""

import datetime as dt
import re
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from audit.trail_display import event_changes
from benefits.services import account_credits_post, settlement_create, settlement_reverse
from contributions.collection import contribution_bills_issue
from core.failures import StaffError
from core.jobs import job_run_execute
from core.ledger import Difference, books_backfill, books_reconcile, manual_entry_post
from core.ledger_chart import ledger_chart_sync
from core.ledger_jobs import RECONCILE_KIND
from core.models import AuditEvent
from core.models.ledger import Fund, JournalEntry, JournalLine, LedgerAccount
from core.services import job_run_create
from tests.benefits_support import employee
from tests.factories import ResidentEnrollmentFactory
from tests.test_aid_subsidies import aid_policy_2023, recipient  # noqa: F401 (a fixture)
from tests.test_fund_books_posting import lines, pay, resident_bill
from tests.test_settlements import claim, paid_resident

pytestmark = pytest.mark.django_db
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the deferred balance trigger is PostgreSQL's (SQLite: checked in Python)"
)
DAY = dt.date(2023, 6, 30)


def payment_behind_the_books(bill, amount: str, reference: str, on=dt.date(2023, 3, 1)) -> None:
    """A payment written by raw SQL, as a script or an old load would: the books never hear of it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contributions_contributionpayment (bill_id, amount, paid_on, reference, channel, recorded_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [bill.pk, D(amount), on, reference, "counter", timezone.now()],
        )


def journal_entry(lines_: list[tuple[LedgerAccount, str]]) -> JournalEntry:
    entry = JournalEntry.objects.create(source="manual", memo="测试", year=2023, accounting_date=DAY)
    for account, amount in lines_:
        JournalLine.objects.create(
            entry=entry, account=account, amount=D(amount), source="manual", year=2023, accounting_date=DAY
        )
    return entry


def account(fund: str, code: str) -> LedgerAccount:
    return LedgerAccount.objects.get(fund__code=fund, code=code)


# --- 4. the database keeps the books balanced and append-only ----------------------------------------------


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_at_commit_an_entry_that_does_not_balance_or_has_no_lines():
    """基金分别建账、分账核算 (000): a debit in one fund does not balance a credit in another."""
    ledger_chart_sync()  # transactional tests empty every table, the migrated chart included
    bank, interest = account("resident_pooled", "bank"), account("resident_pooled", "interest")
    other_bank = account("employee_pooled", "bank")

    for refused in ([(bank, "1.00")], [], [(bank, "5.00"), (other_bank, "-5.00")]):
        with pytest.raises(IntegrityError, match="does not balance|has no lines"), transaction.atomic():
            journal_entry(refused)  # each INSERT passes; COMMIT is refused
    assert not JournalEntry.objects.exists() and not JournalLine.objects.exists()

    with transaction.atomic():
        journal_entry([(bank, "5.00"), (interest, "-5.00")])
    assert lines() == {("resident_pooled", "bank"): D("5.00"), ("resident_pooled", "interest"): D("-5.00")}


def test_lines_and_entries_can_be_neither_updated_nor_deleted(municipal_admin):
    fund = Fund.objects.get(code="resident_pooled")
    entry = manual_entry_post(
        actor=municipal_admin, fund=fund, account=fund.accounts.get(code="interest"), district=None, year=2023,
        accounting_date=DAY, amount=D("10.00"), reason="利息",
    )  # fmt: skip
    line = entry.lines.first()
    attempts = [
        lambda: JournalLine.objects.filter(pk=line.pk).update(amount=D("99.00")),
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="改过"),
        lambda: line.delete(),
        lambda: connection.cursor().execute("DELETE FROM core_journalentry WHERE id = %s", [entry.pk]),
    ]
    # The trigger refuses it; with two roles (CI, production) the runtime role may not even try.
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only|permission denied"), transaction.atomic():
            attempt()
    assert lines(entry=entry) == {("resident_pooled", "bank"): D("10.00"), ("resident_pooled", "interest"): D("-10.00")}
    assert JournalEntry.objects.get().memo == "利息"


# --- 5. reconcile and backfill ------------------------------------------------------------------------------


@pytest.fixture
def money_moved(request, hospital_yz, institution_user):
    """Every kind of event and batch, each through its service: the books must agree with all of them."""
    for needed in ("standards_2023", "aid_policy_2023", "policy_2023"):
        request.getfixturevalue(needed)
    bill = resident_bill(tier=2)
    pay(bill, "300.00", "P-1")
    full = resident_bill(tier=1)
    pay(full, "350.00", "P-2", on=dt.date(2022, 12, 10))
    worker = employee(category="active", base="6000.00")
    account_credits_post(actor=None, year=2023, month=1)
    settlement_create(actor=institution_user, institution=hospital_yz, request=claim(worker, "W-1"))
    patient = paid_resident()
    recipient(patient, "destitute")
    big = claim(patient, "R-1", total_cost=D("60000.00"), eligible_cost=D("50000.00"))
    s, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=big)
    settlement_reverse(actor=institution_user, settlement=s, reason="重复上传")
    recipient(ResidentEnrollmentFactory().person, "destitute")
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 2}  # the worker and him
    assert {"payment", "fiscal_subsidy", "bill", "settlement", "reversal", "account_credit"} == set(
        JournalEntry.objects.values_list("source", flat=True)
    )
    return bill


def test_reconcile_finds_a_payment_the_books_miss_and_the_backfill_posts_it_once(money_moved, districts):
    assert books_reconcile() == []

    payment_behind_the_books(money_moved, "125.00", "SCRIPT-1")

    yuzhong = districts["500103"].pk
    assert books_reconcile() == [
        Difference("payment", "resident_pooled", "bank", yuzhong, 2023, books=D("650.00"), records=D("775.00")),
        Difference(
            "payment", "resident_pooled", "individual_contribution", yuzhong, 2023,
            books=D("-650.00"), records=D("-775.00"),
        ),
    ]  # fmt: skip
    assert books_reconcile(year=2022) == []  # the December payment is 2023 income
    out = StringIO()
    with pytest.raises(CommandError, match="2 differences") as failed:
        call_command("fund_books", "reconcile", stdout=out)
    assert failed.value.returncode == 1  # manage.py exits 1
    said = (
        "2023年度 渝中区 城乡居民基本医疗保险基金 科目 bank（来源：缴费）："
        "账簿 650.00 元，明细记录 775.00 元，差额 125.00 元"
    )
    assert said in out.getvalue()

    out = StringIO()
    call_command("fund_books", "backfill", stdout=out)

    assert "payment 1" in out.getvalue()
    posted = JournalEntry.objects.get(source="payment", source_id=None)
    assert (posted.year, posted.accounting_date) == (2023, dt.date(2023, 3, 1))  # dated as the record
    assert posted.memo == "补记：账簿与明细记录的差额"
    assert lines(entry=posted) == {
        ("resident_pooled", "bank"): D("125.00"),
        ("resident_pooled", "individual_contribution"): D("-125.00"),
    }
    assert books_reconcile() == []
    entries = JournalEntry.objects.count()
    again = StringIO()
    call_command("fund_books", "backfill", stdout=again)
    assert set(re.findall(r"[a-z_]+ (\d+)", again.getvalue())) == {"0"}
    assert JournalEntry.objects.count() == entries
    out = StringIO()
    call_command("fund_books", "reconcile", stdout=out)
    assert "fund books agree with their records" in out.getvalue()
    assert AuditEvent.objects.filter(object_type="core.journalentry", object_repr="基金账簿补记").count() == 2


# --- 6. manual entries --------------------------------------------------------------------------------------


def test_manual_entries_balance_on_the_bank_need_a_reason_and_are_audited(districts, municipal_admin):
    fund = Fund.objects.get(code="resident_pooled")
    yuzhong = districts["500103"]
    common = {"actor": municipal_admin, "fund": fund, "year": 2023, "accounting_date": DAY}

    interest = manual_entry_post(
        **common, account=fund.accounts.get(code="interest"), district=None, amount=D("1234.56"),
        reason="2023年二季度银行存款利息",
    )  # fmt: skip
    opening = manual_entry_post(
        **common, account=fund.accounts.get(code="opening_balance"), district=yuzhong, amount=D("1000000.00"),
        reason="2022年末结转结余",
    )  # fmt: skip

    assert (interest.source, interest.source_id, interest.memo, interest.created_by) == (
        "manual", None, "2023年二季度银行存款利息", municipal_admin
    )  # fmt: skip
    assert lines(entry=interest) == {
        ("resident_pooled", "bank"): D("1234.56"),
        ("resident_pooled", "interest"): D("-1234.56"),
    }
    assert lines(entry=opening) == {
        ("resident_pooled", "bank"): D("1000000.00"),
        ("resident_pooled", "opening_balance"): D("-1000000.00"),
    }
    assert set(opening.lines.values_list("district_id", "year", "accounting_date")) == {(yuzhong.pk, 2023, DAY)}
    event = AuditEvent.objects.get(object_type="core.journalentry", object_id=str(interest.pk))
    assert (event.action, event.actor, event.new_values["amount"], event.new_values["reason"]) == (
        "create", municipal_admin, "1234.56", "2023年二季度银行存款利息"
    )  # fmt: skip

    refusals = [
        ({"account": fund.accounts.get(code="interest"), "reason": "  "}, {"reason": ["请填写记账事由"]}),
        ({"account": fund.accounts.get(code="individual_contribution"), "reason": "冲账"},
         {"account": ["该科目不能手工记账"]}),
        ({"account": account("employee_pooled", "interest"), "reason": "别的基金"},
         {"account": ["该科目不能手工记账"]}),
    ]  # fmt: skip
    for kwargs, message in refusals:
        with pytest.raises(ValidationError) as refused:
            manual_entry_post(**common, district=None, amount=D("1.00"), **kwargs)
        assert refused.value.message_dict == message
    assert JournalEntry.objects.count() == 2
    assert AuditEvent.objects.filter(object_type="core.journalentry").count() == 2


def test_a_manual_amount_is_kept_to_the_fen_and_the_trail_reads_it_as_money(districts, municipal_admin):
    """DoD 2: money is rounded to the fen half-up. The demo posted Decimal("293000") and the trail read
    "金额：293000"; a third decimal rounds, and what rounds to 0.00 is no amount at all."""
    fund = Fund.objects.get(code="resident_pooled")
    common = {
        "actor": municipal_admin, "fund": fund, "year": 2023, "accounting_date": DAY, "district": None,
        "account": fund.accounts.get(code="opening_balance"), "reason": "2022年末结转结余",
    }  # fmt: skip
    whole = manual_entry_post(**common, amount=D("293000"))
    rounded = manual_entry_post(**common, amount=D("10.005"))
    assert lines(entry=whole)[("resident_pooled", "bank")] == D("293000.00")
    assert lines(entry=rounded)[("resident_pooled", "bank")] == D("10.01")
    for too_small in (D("0.004"), D("0"), D("-1.00")):
        with pytest.raises(ValidationError) as refused:
            manual_entry_post(**common, amount=too_small)
        assert refused.value.message_dict == {"amount": ["金额须大于0"]}
    assert JournalEntry.objects.count() == 2
    event = AuditEvent.objects.get(object_type="core.journalentry", object_id=str(whole.pk))
    assert event.new_values["amount"] == "293000.00"
    shown = {c.label: c.new for c in event_changes(event)}
    assert shown["金额"] == "293,000.00"


# --- 7. the nightly job -------------------------------------------------------------------------------------


@override_settings(YIBAO_CRITICAL_FINANCING={"default": "60.00"})
def test_the_nightly_reconciliation_fails_in_words_then_finishes_once_the_books_agree(districts):
    bill = resident_bill(tier=2)
    pay(bill, "100.00", "P-1")
    payment_behind_the_books(bill, "50.00", "SCRIPT-1")

    run = job_run_create(actor=None, kind=RECONCILE_KIND, params={"year": 2023})
    with pytest.raises(StaffError):
        job_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == (
        "基金账簿与明细记录不符，共 2 处："
        "2023年度 渝中区 城乡居民基本医疗保险基金 科目 bank（来源：缴费）："
        "账簿 100.00 元，明细记录 150.00 元，差额 50.00 元；"
        "2023年度 渝中区 城乡居民基本医疗保险基金 科目 individual_contribution（来源：缴费）："
        "账簿 -100.00 元，明细记录 -150.00 元，差额 -50.00 元"
    )

    assert books_backfill(actor=None) == {
        "payment": 1, "bill": 0, "fiscal_subsidy": 0, "settlement": 0, "reversal": 0, "account_credit": 0,
        "account_spending": 0, "aid_application": 0, "remote_inbound": 0, "remote_inbound_rev": 0, "clearing": 0,
    }  # fmt: skip
    done = job_run_execute(run_id=job_run_create(actor=None, kind=RECONCILE_KIND, params={"year": 2023}).pk)
    assert (done.status, done.counts, done.error) == ("succeeded", {"differences": 0}, "")
