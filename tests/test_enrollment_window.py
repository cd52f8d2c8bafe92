"""集中参保期 and 待遇等待期 (issue 15, finding 7): when a resident's cover starts, by the day the bill is paid.

Seed rule (渝医保发〔2022〕25号, 002): "集中参保期为文件下发之日起至2022年12月31日" (the notice is dated and
issued 2022年10月25日). The length of the waiting period is not in the seeds: a 可配置默认值 of 90 days.
"""

import datetime as dt
import importlib
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from assistance.models import AidRecipient
from contributions.collection import contribution_bills_issue
from contributions.importing import payment_batch_create
from contributions.models import ContributionBill, CoverageWindow
from contributions.selectors import cover_refusal
from contributions.services import contribution_bill_issue, cover_from_for, payment_record
from core.importing.reader import sample_csv
from tests.benefits_support import SETTLEMENTS, employee, outpatient, staff_client, token_client
from tests.factories import ResidentEnrollmentFactory

pytestmark = pytest.mark.django_db

WINDOW_RULE = "集中参保期为文件下发之日起至2022年12月31日"  # 002, section 一
AID_RULE = "确保应保尽保、应助尽助"  # 002, section 三


def _pay(bill: ContributionBill, on: str, amount: str | None = None, reference: str | None = None):
    payment_record(
        actor=None, bill=bill, amount=D(amount) if amount else bill.outstanding, paid_on=dt.date.fromisoformat(on),
        reference=reference or f"W-{bill.pk}-{on}", channel="counter",
    )  # fmt: skip
    bill.refresh_from_db()
    return bill


@pytest.fixture
def bill(districts):
    enrollment = ResidentEnrollmentFactory(tier=1, start_date=dt.date(2022, 9, 1))
    return contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)


def test_the_2023_window_is_seeded_from_002_and_the_waiting_period_is_a_labelled_default(db):
    window = CoverageWindow.objects.get(year=2023)
    # WINDOW_RULE: from the day the notice was issued (2022-10-25) to 2022-12-31.
    assert (window.window_start, window.window_end) == (dt.date(2022, 10, 25), dt.date(2022, 12, 31))
    assert "渝医保发〔2022〕25号" in window.source and WINDOW_RULE in window.source
    assert window.waiting_days == 90 and "可配置默认值" in window.waiting_source


def test_the_seed_migration_is_reversible(db):
    migration = importlib.import_module("contributions.migrations.0007_seed_coverage_window_2023")
    migration.unseed(apps, None)
    assert not CoverageWindow.objects.filter(year=2023).exists()
    migration.seed(apps, None)
    migration.seed(apps, None)  # twice: still one row
    assert CoverageWindow.objects.filter(year=2023).count() == 1


def test_paid_in_full_inside_the_window_covers_the_whole_year(bill):
    # WINDOW_RULE: paid by 2022-12-31, cover from 1 Jan of the coverage year.
    assert bill.cover_from is None  # not paid yet
    bill = _pay(bill, "2022-12-31")
    assert bill.cover_from == dt.date(2023, 1, 1)
    assert cover_refusal(person_id=bill.person_id, scheme="resident", on=dt.date(2023, 1, 1)) is None


def test_paid_after_the_window_cover_starts_after_the_waiting_period(bill):
    # WINDOW_RULE: paid on 2023-03-01, after the window: 90 days (可配置默认值) from the payment day.
    bill = _pay(bill, "2023-03-01")
    assert bill.cover_from == dt.date(2023, 5, 30)
    refusal = cover_refusal(person_id=bill.person_id, scheme="resident", on=dt.date(2023, 4, 1))
    assert refusal == "待遇等待期内（自2023-05-30起享受待遇）"
    assert cover_refusal(person_id=bill.person_id, scheme="resident", on=dt.date(2023, 5, 29)) == refusal
    assert cover_refusal(person_id=bill.person_id, scheme="resident", on=dt.date(2023, 5, 30)) is None
    # the caller may name the coverage year it already worked out
    assert cover_refusal(person_id=bill.person_id, scheme="resident", on=dt.date(2023, 4, 1), coverage_year=2023)


def test_the_day_the_bill_is_paid_in_full_counts_not_the_first_instalment(bill):
    bill = _pay(bill, "2022-12-20", amount="100.00")
    assert bill.cover_from is None
    bill = _pay(bill, "2023-01-10")
    assert bill.cover_from == dt.date(2023, 4, 10)


def test_students_paid_in_the_window_are_covered_from_1_september(districts):
    enrollment = ResidentEnrollmentFactory(tier=1, category="student", start_date=dt.date(2022, 9, 1))
    bill = _pay(contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023), "2022-11-01")
    assert bill.cover_from == dt.date(2022, 9, 1)
    assert cover_refusal(person_id=bill.person_id, scheme="resident", on=dt.date(2022, 10, 1)) is None


def test_a_year_without_a_window_has_no_waiting_period():
    assert cover_from_for(
        scheme="resident", category="adult", coverage_year=2024, status="paid", paid_on=dt.date(2024, 6, 1),
        subsidised=False, window=None,
    ) == dt.date(2024, 1, 1)  # fmt: skip


def test_employees_are_not_bound_by_the_resident_window(districts):
    # The seeds give employees no window (001 and 002 set none): cover follows the enrollment.
    person = employee()
    bill = contribution_bill_issue(actor=None, enrollment=person.enrollments.get(), coverage_year=2023)
    bill = _pay(bill, "2023-06-01")
    assert bill.cover_from == dt.date(2023, 1, 1)
    assert cover_refusal(person_id=person.pk, scheme="employee", on=dt.date(2023, 6, 2)) is None


@pytest.fixture
def aid_policy_2023(db):
    importlib.import_module("assistance.migrations.0003_seed_aid_policy_2023").seed(apps, None)


def _recipient(person, category):
    AidRecipient.objects.create(
        person=person, category=category, valid_from=dt.date(2022, 6, 1), source="civil_affairs",
        district_id=person.district_id,
    )  # fmt: skip


def test_fully_subsidised_people_are_covered_from_1_january(districts, aid_policy_2023):
    # AID_RULE: 资助参保 people are enrolled by the aid, whenever the bill is issued.
    one, many = ResidentEnrollmentFactory(tier=1), ResidentEnrollmentFactory(tier=1)
    _recipient(one.person, "destitute")
    _recipient(many.person, "destitute")
    single = contribution_bill_issue(actor=None, enrollment=one, coverage_year=2023)
    assert (single.status, single.cover_from) == ("paid", dt.date(2023, 1, 1))
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 1}  # the SQL / batch path
    assert ContributionBill.objects.get(person=many.person).cover_from == dt.date(2023, 1, 1)


def test_partly_subsidised_people_paying_late_are_covered_from_1_january(districts, aid_policy_2023):
    # AID_RULE: 低保 pay the rest themselves; their timing does not cost them the cover.
    enrollment = ResidentEnrollmentFactory(tier=1)
    _recipient(enrollment.person, "subsistence")
    bill = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    assert bill.subsidy_amount > 0 and bill.status == "unpaid"
    assert _pay(bill, "2023-05-01").cover_from == dt.date(2023, 1, 1)


def test_the_payments_import_sets_the_start_of_cover_like_the_counter(
    clerk_yuzhong, districts, django_capture_on_commit_callbacks
):
    in_time, late = (ResidentEnrollmentFactory(tier=1) for _ in range(2))
    bills = [contribution_bill_issue(actor=None, enrollment=e, coverage_year=2023) for e in (in_time, late)]
    rows = [
        [in_time.person.id_number, "2023", "350.00", "WIN-1", "2022-12-15", "税务代征"],
        [late.person.id_number, "2023", "350.00", "WIN-2", "2023-02-01", "税务代征"],
    ]
    data = sample_csv(["身份证号", "参保年度", "缴费金额", "缴费流水号", "缴费日期", "缴费渠道"], rows)
    with django_capture_on_commit_callbacks(execute=True):
        payment_batch_create(
            actor=clerk_yuzhong, fileobj=SimpleUploadedFile("缴费.csv", data), original_name="缴费.csv",
            district_id=clerk_yuzhong.district_id, mode="skip_invalid",
        )  # fmt: skip
    for b in bills:
        b.refresh_from_db()
    assert [b.cover_from for b in bills] == [dt.date(2023, 1, 1), dt.date(2023, 5, 2)]


def test_the_bills_panel_and_the_bill_api_show_the_start_of_cover(bill, clerk_yuzhong, client_for):
    bill = _pay(bill, "2023-03-01")
    page = client_for(clerk_yuzhong).get(f"/enrollment/people/{bill.person_id}/")
    assert page.status_code == 200
    assert 'data-testid="cover-from">2023-05-30<' in page.content.decode()
    listed = staff_client(clerk_yuzhong).get("/api/v1/bills/", {"person": bill.person_id})
    assert listed.json()["results"][0]["cover_from"] == "2023-05-30"


def test_a_settlement_inside_the_waiting_period_is_refused(bill, policy_2023, institution_user):
    _pay(bill, "2023-03-01")
    his = token_client(institution_user)
    refused = his.post(SETTLEMENTS, outpatient(bill.person, "WAIT-1", day="2023-04-01"), format="json")
    assert refused.status_code == 400
    assert refused.json()["service_date"] == ["待遇等待期内（自2023-05-30起享受待遇）"]
    settled = his.post(SETTLEMENTS, outpatient(bill.person, "WAIT-2", day="2023-06-01"), format="json")
    assert settled.status_code == 201
