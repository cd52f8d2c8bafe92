"""The yearly batches: annual_collection and annual_rollover, run as recorded, resumable jobs."""

import datetime as dt
import importlib
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from assistance.models import AidPolicy, AidRecipient
from benefits.account_selectors import account_credit_months_due
from benefits.models import AccountCreditRule, AccountEntry, BenefitPolicy
from benefits.services import account_credits_post
from contributions.collection import BILL_TABLE
from contributions.models import ContributionBill, ContributionStandard
from core.jobs import job_run_execute
from core.models import AuditEvent, JobRun
from core.partitions import year_partition_build
from core.services import job_run_create
from core.tasks import resolve_params
from enrollment.models import Enrollment
from tests.benefits_support import employee
from tests.factories import ResidentEnrollmentFactory
from yearend import jobs as annual
from yearend.models import YearEndSummary

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def aid_policy_2023(db):
    importlib.import_module("assistance.migrations.0003_seed_aid_policy_2023").seed(apps, None)


def run(kind: str, actor=None, **params) -> JobRun:
    job = job_run_create(actor=actor, kind=kind, params=params)
    return job_run_execute(run_id=job.pk)


def test_collection_bills_residents_with_subsidies_and_schedules_credits(
    standards_2023, aid_policy_2023, policy_2023, districts, municipal_admin
):
    residents = [ResidentEnrollmentFactory(tier=1 + i % 2) for i in range(5)]
    AidRecipient.objects.create(person=residents[0].person, category="destitute", valid_from=dt.date(2022, 1, 1),
                                source="civil_affairs", district_id=residents[0].district_id)  # fmt: skip
    worker = employee()
    done = run("annual_collection", actor=municipal_admin, year=2023)
    assert done.status == "succeeded"
    assert done.counts == {"bills_created": 5, "credit_months_scheduled": 12}
    bills = {b.person_id: b for b in ContributionBill.objects.all()}
    assert set(bills) == {e.person_id for e in residents} and worker.pk not in bills
    assert bills[residents[0].person_id].subsidy_amount == D("350.00")
    assert bills[residents[1].person_id].due_amount == D("725.00")
    tasks = PeriodicTask.objects.filter(name__startswith="个人账户划入 2023-")
    assert tasks.count() == 12 and all(t.one_off and t.clocked_id for t in tasks)
    january = tasks.get(name="个人账户划入 2023-01")
    assert timezone.localtime(january.clocked.clocked_time) == dt.datetime(2023, 2, 1, 1, 0, tzinfo=SHANGHAI)
    again = run("annual_collection", actor=municipal_admin, year=2023)
    assert again.counts == {"bills_created": 0, "credit_months_scheduled": 0}
    assert (
        ContributionBill.objects.count() == 5 and PeriodicTask.objects.filter(name__startswith="个人账户").count() == 12
    )


def _year_partition_attached(year: int) -> None:
    """On PostgreSQL, the year's bill partition exists (empty): the collection then issues in chunks."""
    if connection.vendor == "postgresql":
        year_partition_build(table=BILL_TABLE, column="coverage_year", year=year, load=lambda part: 0)


@pytest.fixture
def partition_2023_dropped_after(owner_db):
    """A transactional test's year partition outlives its flush (TRUNCATE empties tables, it does not drop
    them): drop it (it is the schema owner's), so that later tests find the year without one."""
    yield
    if connection.vendor == "postgresql":
        with owner_db.cursor() as c:
            c.execute(f"DROP TABLE IF EXISTS {BILL_TABLE}_y2023")


def _killed_after_checkpoints(monkeypatch, count: int) -> list:
    """The worker dies right after its `count`-th checkpoint; returns the checkpoints' arguments."""
    real_checkpoint, calls = annual.job_run_checkpoint, []

    def checkpoint_then_die(**kwargs):
        real_checkpoint(**kwargs)
        calls.append(kwargs)
        if len(calls) == count:
            raise SystemError("worker killed")

    monkeypatch.setattr(annual, "job_run_checkpoint", checkpoint_then_die)
    return calls


def test_a_killed_collection_resumes_without_duplicates_or_gaps(
    standards_2023, aid_policy_2023, policy_2023, districts, monkeypatch
):
    residents = [ResidentEnrollmentFactory() for _ in range(7)]
    monkeypatch.setattr("contributions.collection.BILL_CHUNK", 2)
    _year_partition_attached(2023)  # so that the year goes in chunks
    calls = _killed_after_checkpoints(monkeypatch, 2)  # two chunks
    job = job_run_create(actor=None, kind="annual_collection", params={"year": 2023})
    with pytest.raises(SystemError):
        job_run_execute(run_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.counts["bills_created"] == 4
    assert ContributionBill.objects.count() == 4
    first_resumed_chunk = len(calls)
    call_command("annual_collection", "--year", "2023", "--resume", str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded" and job.counts["bills_created"] == 7
    assert sorted(ContributionBill.objects.values_list("person_id", flat=True)) == sorted(
        e.person_id for e in residents
    )
    # the resumed run started after the checkpoint: the two done chunks were not walked again
    resumed, before = calls[first_resumed_chunk]["counts"], calls[first_resumed_chunk - 1]["counts"]
    assert resumed["after"] == before["after"] + 2 and len(calls) == first_resumed_chunk + 2


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="chunks side by side need committed data and several connections"
)
@pytest.mark.django_db(transaction=True)
def test_chunks_side_by_side_resume_after_a_kill_without_gaps(
    standards_2023, aid_policy_2023, policy_2023, districts, monkeypatch, settings, partition_2023_dropped_after
):
    settings.YIBAO_BATCH_WORKERS = 2
    residents = [ResidentEnrollmentFactory() for _ in range(9)]
    AidRecipient.objects.create(person=residents[8].person, category="destitute", valid_from=dt.date(2022, 1, 1),
                                source="civil_affairs", district_id=residents[8].district_id)  # fmt: skip
    monkeypatch.setattr("contributions.collection.BILL_CHUNK", 2)
    _year_partition_attached(2023)  # so that the year goes in chunks
    _killed_after_checkpoints(monkeypatch, 2)  # two waves
    job = job_run_create(actor=None, kind="annual_collection", params={"year": 2023})
    with pytest.raises(SystemError):
        job_run_execute(run_id=job.pk)
    job.refresh_from_db()
    # two waves of two chunks of two enrollments each committed before the kill
    assert job.status == "failed" and job.counts["bills_created"] == 8 == ContributionBill.objects.count()
    assert job.counts["after"] == residents[7].pk
    call_command("annual_collection", "--year", "2023", "--resume", str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded" and job.counts["bills_created"] == 9
    bills = ContributionBill.objects.order_by("enrollment_id")
    assert [b.enrollment_id for b in bills] == [e.pk for e in residents]
    assert bills.last().subsidy_amount == D("350.00")


def test_rollover_closes_the_year_and_opens_the_next(standards_2023, aid_policy_2023, policy_2023, municipal_admin):
    graduate = ResidentEnrollmentFactory(category="student", graduation_year=2023)
    student = ResidentEnrollmentFactory(category="student", graduation_year=2025)
    retiree = employee(category="retired", base=None, start=dt.date(2020, 1, 1))
    done = run("annual_rollover", actor=municipal_admin, year=2023)
    assert done.status == "succeeded", done.error
    graduate.refresh_from_db(), student.refresh_from_db()
    assert (graduate.status, graduate.end_date, graduate.end_reason) == (
        "terminated",
        dt.date(2023, 12, 31),
        "graduated",
    )
    assert student.status == "active"
    credits = AccountEntry.objects.filter(account__person=retiree, kind="credit")
    assert credits.count() == 12 and sum(e.amount for e in credits) == D("840.00")  # 12 x 70.00
    assert done.counts["graduates_closed"] == 1 and done.counts["account_credits_made_good"] == 12
    assert (
        ContributionStandard.objects.filter(year=2024).count() == ContributionStandard.objects.filter(year=2023).count()
    )
    assert AidPolicy.objects.filter(year=2024).count() == 6
    assert AccountCreditRule.objects.filter(year=2024).count() == 3
    assert BenefitPolicy.objects.filter(year=2024).count() == BenefitPolicy.objects.filter(year=2023).count()
    assert all("待确认" in p.source for p in BenefitPolicy.objects.filter(year=2024))
    summary = YearEndSummary.objects.get(year=2023)
    assert summary.data["residents_unpaid_for_next_year"] == 1  # the student still enrolled, no 2024 bill
    stamp = summary.updated_at
    again = run("annual_rollover", actor=municipal_admin, year=2023)
    assert set(again.counts.values()) == {0}
    summary.refresh_from_db()
    assert summary.updated_at == stamp
    assert AuditEvent.objects.filter(object_type="yearend.yearendsummary", action="job").count() == 2
    assert Enrollment.objects.filter(status="terminated").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite answers every month (see the selector)")
def test_rollover_makes_good_only_the_months_some_employee_lacks(
    standards_2023, aid_policy_2023, policy_2023, municipal_admin
):
    """A month already credited to everyone is not run again at year end (it cost one probe per employee and
    month); a month someone lacks is, whoever it is: a back-dated enrolment, a mid-year starter's first months.
    An employee whose credit is zero (no base, no fixed amount) is owed nothing and makes no month due."""
    steady = employee(start=dt.date(2020, 1, 1))
    june = employee(start=dt.date(2023, 6, 15))
    employee(base=None)  # 2% of nothing: account_credits_post writes no line for them
    assert account_credit_months_due(year=2023) == list(range(1, 13))
    for month in range(1, 12):
        account_credits_post(actor=None, year=2023, month=month)
    assert account_credit_months_due(year=2023) == [12]
    account_credits_post(actor=None, year=2023, month=12)
    assert account_credit_months_due(year=2023) == []  # june is owed June-December only, and has them
    late = employee(start=dt.date(2023, 3, 1))  # enrolled in December, back-dated to March
    assert account_credit_months_due(year=2023) == list(range(3, 13))

    done = run("annual_rollover", actor=municipal_admin, year=2023)
    assert done.counts["account_credits_made_good"] == 10
    assert AccountEntry.objects.filter(account__person=late, kind="credit").count() == 10
    assert AccountEntry.objects.filter(account__person=steady, kind="credit").count() == 12
    assert AccountEntry.objects.filter(account__person=june, kind="credit").count() == 7
    assert account_credit_months_due(year=2023) == []
    assert run("annual_rollover", actor=municipal_admin, year=2023).counts["account_credits_made_good"] == 0
    # A year without credit rules: every month is asked for, and account_credits_post names what is missing.
    assert account_credit_months_due(year=2031) == list(range(1, 13))
    job = job_run_create(actor=municipal_admin, kind="annual_rollover", params={"year": 2031})
    with pytest.raises(Exception, match="2031年度没有个人账户划入标准"):
        job_run_execute(run_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "个人账户划入标准" in job.error


def test_schedules_resolve_years_and_windows_when_they_fire():
    today = dt.date(2026, 1, 1)
    assert resolve_params({"year": "previous_year"}, today=today) == {"year": 2025}
    assert resolve_params({"year": "next_year", "x": 1}, today=today) == {"year": 2027, "x": 1}
    assert resolve_params({"last_days": 7}, today=today) == {"start": "2025-12-25", "end": "2025-12-31"}


def test_batch_schedules_are_seeded_and_run_recorded_jobs(policy_2023, districts):
    from core.tasks import scheduled_job

    names = set(PeriodicTask.objects.filter(task="core.tasks.scheduled_job").values_list("name", flat=True))
    assert {"夜间疑点筛查 nightly fraud scan", "夜间高额费用负担预警 nightly high-cost alerts",
            "年度缴费征收 annual collection", "年度结转 annual rollover"} <= names  # fmt: skip
    assert scheduled_job("high_cost_alerts", {"year": "current_year"}) == "succeeded"
    job = JobRun.objects.get(kind="high_cost_alerts")
    assert job.params == {"year": timezone.localdate().year} and job.started_by is None


def test_admin_starts_a_year_job_from_the_jobs_page(
    standards_2023, aid_policy_2023, policy_2023, districts, municipal_admin, clerk_yuzhong, client_for
):
    ResidentEnrollmentFactory()
    admin = client_for(municipal_admin)
    page = admin.get("/jobs/")
    assert 'data-testid="start-annual_collection"' in page.content.decode()
    bad = admin.post("/jobs/start/annual_collection/", {"year": "23"}, follow=True)
    assert "年度应为四位年份" in bad.content.decode() and not JobRun.objects.exists()
    with_year = admin.post("/jobs/start/annual_collection/", {"year": "2023"})
    job = JobRun.objects.get(kind="annual_collection")
    assert with_year.status_code == 302 and job.params == {"year": 2023} and job.started_by == municipal_admin
    assert client_for(clerk_yuzhong).post("/jobs/start/annual_rollover/", {"year": "2023"}).status_code == 403


def test_collection_refuses_a_year_without_standards(districts, policy_2023):
    job = job_run_create(actor=None, kind="annual_collection", params={"year": 2031})
    with pytest.raises(Exception, match="2031年度居民医保筹资标准"):
        job_run_execute(run_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "筹资标准" in job.error and not ContributionBill.objects.exists()


# Finding 4: the yearly collection billed people whose enrollment starts after the coverage year, while
# the person page's 生成缴费单 refused them. Both follow one rule now (billable_enrollments).

START_DATES = {
    "all_year": dt.date(2023, 1, 1),
    "mid_year": dt.date(2023, 7, 1),
    "last_day": dt.date(2023, 12, 31),
    "next_year": dt.date(2024, 2, 1),
    "far_future": dt.date(2026, 11, 27),
}


def _enrollments_by_start() -> dict[str, Enrollment]:
    return {key: ResidentEnrollmentFactory(start_date=start) for key, start in START_DATES.items()}


def _single_bill_allowed(enrollment: Enrollment, year: int) -> bool:
    from django.core.exceptions import ValidationError

    from contributions.services import contribution_bill_issue

    try:
        with transaction.atomic():
            contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=year)
            transaction.set_rollback(True)  # only ask; the batch below writes
    except ValidationError:
        return False
    return True


def test_collection_bills_only_enrollments_started_by_the_end_of_the_year(
    standards_2023, aid_policy_2023, policy_2023, districts, municipal_admin
):
    enrollments = _enrollments_by_start()
    allowed = {key for key, e in enrollments.items() if _single_bill_allowed(e, 2023)}
    assert allowed == {"all_year", "mid_year", "last_day"}
    done = run("annual_collection", actor=municipal_admin, year=2023)
    assert done.status == "succeeded" and done.counts["bills_created"] == 3
    billed = set(ContributionBill.objects.filter(coverage_year=2023).values_list("enrollment_id", flat=True))
    assert billed == {enrollments[key].pk for key in allowed}  # the same rule as the person page's button


@pytest.mark.parametrize("path", ["sql", "python"])
def test_both_bill_paths_skip_enrollments_starting_after_the_year(standards_2023, districts, path):
    from contributions import collection as contribution_services

    if path == "sql" and connection.vendor != "postgresql":
        pytest.skip("the set-based path is PostgreSQL's")
    enrollments = _enrollments_by_start()
    chunk = contribution_services._issue_chunk_sql if path == "sql" else contribution_services._issue_chunk_python
    after = min(e.pk for e in enrollments.values()) - 1  # one chunk holds them all
    with transaction.atomic():
        created = chunk(year=2023, after=after, district_id=None, scheme=None, now=timezone.now())
    assert created == 3
    billed = set(ContributionBill.objects.values_list("enrollment_id", flat=True))
    assert billed == {enrollments[k].pk for k in ("all_year", "mid_year", "last_day")}


def test_issue_bills_command_follows_the_rule_too(standards_2023, districts):
    enrollments = _enrollments_by_start()
    call_command("issue_bills")  # no --year: the latest year with a standard, 2023
    assert set(ContributionBill.objects.values_list("enrollment_id", "coverage_year")) == {
        (enrollments[k].pk, 2023) for k in ("all_year", "mid_year", "last_day")
    }
