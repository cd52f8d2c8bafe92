"""Stuck work: heartbeats, the reaper of runs whose worker died, and 重试/继续 from the pages."""

import datetime as dt
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.importing.reader import sample_csv
from core.jobs import REGISTRY, JobKind, job_run_execute, job_runs_reap, register_jobs
from core.models import AuditEvent, ImportBatch, JobRun
from core.services import job_run_create, job_run_progress
from core.tasks import run_job
from enrollment.importing.columns import HEADERS
from enrollment.importing.pipeline import import_batch_confirm, import_batch_create
from enrollment.models import Enrollment, Person
from tests.factories import make_id_number

START = dt.date(2023, 1, 1)


def enrollee_rows(n: int) -> list[list[str]]:
    """n valid resident rows; names are Chinese characters only (names with digits are refused)."""
    rows = []
    for i in range(n):
        number = make_id_number(birth=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), seq=100 + i)
        gender = "男" if int(number[16]) % 2 else "女"
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        rows.append(
            ["张" + chr(0x4E00 + i), number, gender, birth, "500103", "居民医保", "成年居民", "一档", "", "", ""]
        )
    return rows


def upload_checked(actor, n: int, capture) -> ImportBatch:
    """An enrollee list checked in-process (待确认)."""
    with capture(execute=True):
        batch = import_batch_create(
            actor=actor,
            fileobj=SimpleUploadedFile("名单.csv", sample_csv(list(HEADERS), enrollee_rows(n))),
            original_name="名单.csv",
            district_id=actor.district_id,
            mode="atomic",
            effective_date=START,
            inline=True,
        )
    batch.refresh_from_db()
    assert (batch.status, batch.valid_rows) == (ImportBatch.Status.VALIDATED, n)
    return batch


def as_if_its_worker_died(run: JobRun, *, seconds_ago: int = 600) -> None:
    """The run was picked up and started, then its worker was killed: running, silent since then."""
    then = timezone.now() - dt.timedelta(seconds=seconds_ago)
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.RUNNING, started_at=then, heartbeat_at=then)


@pytest.mark.django_db
def test_progress_and_start_are_the_heartbeat():
    run = job_run_create(actor=None, kind="housekeeping")
    assert run.heartbeat_at is None
    before = timezone.now()
    job_run_progress(run_id=run.pk, done=5, total=10)
    run.refresh_from_db()
    assert run.done == 5 and run.heartbeat_at >= before


@pytest.fixture
def slow_job():
    def slow(*, run_id, seconds):
        time.sleep(seconds)  # no progress report in between: only the heartbeat thread speaks
        return {"written": 1}

    register_jobs(JobKind("slow_for_test", slow, "slow"))
    yield "slow_for_test"
    REGISTRY.pop("slow_for_test", None)


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_without_progress_reports(slow_job, settings):
    settings.YIBAO_JOB_HEARTBEAT_SECONDS = 0.2
    run = job_run_create(actor=None, kind=slow_job, params={"seconds": 1.2})
    beats = []

    def watch():
        for _ in range(10):
            time.sleep(0.1)
            beats.append(JobRun.objects.get(pk=run.pk).heartbeat_at)
        connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    done = job_run_execute(run_id=run.pk)
    watcher.join()
    assert done.status == JobRun.Status.SUCCEEDED
    seen = {b for b in beats if b is not None}
    assert len(seen) >= 3, seen  # the start, then beats every 0.2 s while the job sleeps


@pytest.mark.django_db
def test_the_reaper_fails_a_silent_run_in_words_and_leaves_live_ones(municipal_admin):
    dead = job_run_create(actor=municipal_admin, kind="housekeeping")
    alive = job_run_create(actor=municipal_admin, kind="housekeeping")
    as_if_its_worker_died(dead)
    as_if_its_worker_died(alive, seconds_ago=10)

    assert job_runs_reap() == [dead.pk]

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == JobRun.Status.FAILED and dead.finished_at is not None
    assert dead.error.startswith("处理该任务的进程已中断（最后心跳 ")
    assert dead.error.endswith("），数据未受影响，可重试")
    assert "Error" not in dead.error
    assert alive.status == JobRun.Status.RUNNING
    event = AuditEvent.objects.get(object_type="core.jobrun", object_id=str(dead.pk), action=AuditEvent.Action.STATUS)
    assert event.new_values == {"status": "failed"} and "进程已中断" in event.note
    assert job_runs_reap() == []  # nothing left to reap: one query, nothing written


@pytest.mark.django_db(transaction=True)
def test_a_silent_run_whose_executor_still_holds_its_lock_is_not_reaped():
    if connection.vendor != "postgresql":
        pytest.skip("the execution lock is PostgreSQL's")
    run = job_run_create(actor=None, kind="housekeeping")
    as_if_its_worker_died(run)
    # Another connection is executing it (e.g. inside one long transaction whose heartbeats nobody sees yet).
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [0x59424A, run.pk])
        assert job_runs_reap() == []
        assert JobRun.objects.get(pk=run.pk).status == JobRun.Status.RUNNING
    finally:
        other.close()  # the executor's connection goes, with its lock, as when its worker dies
    assert job_runs_reap() == [run.pk]


@pytest.mark.django_db
def test_an_interrupted_import_apply_goes_back_to_the_preview_and_imports_exactly_once(
    client_for, clerk_yuzhong, django_capture_on_commit_callbacks
):
    batch = upload_checked(clerk_yuzhong, 4, django_capture_on_commit_callbacks)
    run = import_batch_confirm(actor=clerk_yuzhong, batch=batch)  # queued; its worker is killed mid-apply
    as_if_its_worker_died(run)
    client = client_for(clerk_yuzhong)

    page = client.get(reverse("core:import_detail", args=[batch.pk])).content.decode()

    batch.refresh_from_db()
    run.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and run.status == JobRun.Status.FAILED
    assert "待确认" in page and "导入进程已中断" in page and "数据未受影响" in page
    assert 'data-testid="confirm-import"' in page  # the user can act: confirm again (or cancel)
    assert Person.objects.count() == 0  # the apply is one transaction: a killed one wrote nothing
    job_page = client.get(reverse("core:job_detail", args=[run.pk])).content.decode()
    assert "处理该任务的进程已中断" in job_page and reverse("core:import_detail", args=[batch.pk]) in job_page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:import_confirm", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and batch.error == ""
    assert (Person.objects.count(), Enrollment.objects.filter(import_batch_id=batch.pk).count()) == (4, 4)
    assert batch.job_run_id != run.pk


@pytest.mark.django_db
def test_an_interrupted_check_fails_the_batch_and_retry_checks_it_again(
    client_for, clerk_yuzhong, clerk_jiangbei, django_capture_on_commit_callbacks
):
    batch = import_batch_create(
        actor=clerk_yuzhong,
        fileobj=SimpleUploadedFile("名单.csv", sample_csv(list(HEADERS), enrollee_rows(3))),
        original_name="名单.csv",
        district_id=clerk_yuzhong.district_id,
        mode="atomic",
        effective_date=START,
    )  # queued, not run: its worker dies mid-check
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.VALIDATING)
    as_if_its_worker_died(batch.job_run)
    reaped = job_runs_reap()  # the scheduled sweep this time
    assert reaped == [batch.job_run_id]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "校验进程已中断" in batch.error
    page = client_for(clerk_yuzhong).get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="batch-retry"' in page

    # Another district's clerk cannot touch it; the batch's own district can.
    assert client_for(clerk_jiangbei).post(reverse("core:import_revalidate", args=[batch.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client_for(clerk_yuzhong).post(reverse("core:import_revalidate", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.valid_rows, batch.error) == (ImportBatch.Status.VALIDATED, 3, "")


@pytest.mark.django_db
def test_retry_on_the_job_page_is_for_municipal_admins_and_audited(
    client_for, municipal_admin, clerk_yuzhong, auditor, django_capture_on_commit_callbacks
):
    run = job_run_create(actor=municipal_admin, kind="housekeeping")
    as_if_its_worker_died(run)
    admin = client_for(municipal_admin)
    page = admin.get(reverse("core:job_detail", args=[run.pk])).content.decode()
    assert "处理该任务的进程已中断" in page and 'data-testid="job-retry"' in page and "重试" in page

    # Those who may not start jobs cannot retry them (a district clerk does not even see a city-wide run).
    for user, answer in ((clerk_yuzhong, 404), (auditor, 403)):
        assert client_for(user).post(reverse("core:job_detail", args=[run.pk])).status_code == answer
    assert JobRun.objects.filter(kind="housekeeping").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("core:job_detail", args=[run.pk]))
    again = JobRun.objects.exclude(pk=run.pk).get(kind="housekeeping")
    assert response["Location"] == reverse("core:job_detail", args=[again.pk])
    assert again.status == JobRun.Status.SUCCEEDED and again.params == run.params
    assert AuditEvent.objects.filter(object_id=str(run.pk), note="重试", actor=municipal_admin).exists()


@pytest.mark.django_db
def test_a_run_with_a_checkpoint_continues_as_the_same_run(client_for, municipal_admin):
    run = job_run_create(actor=municipal_admin, kind="annual_collection", params={"year": 2023})
    JobRun.objects.filter(pk=run.pk).update(counts={"bills_created": 40000, "after": 40000})
    as_if_its_worker_died(run)
    assert job_runs_reap() == [run.pk]
    admin = client_for(municipal_admin)
    page = admin.get(reverse("core:job_detail", args=[run.pk])).content.decode()
    assert "继续（从检查点）" in page

    admin.post(reverse("core:job_detail", args=[run.pk]))  # queued (its worker would run it)

    run.refresh_from_db()
    assert (run.status, run.attempt, run.error) == (JobRun.Status.QUEUED, 2, "")
    assert run.counts == {"bills_created": 40000, "after": 40000}  # the checkpoint it resumes from
    assert AuditEvent.objects.filter(object_id=str(run.pk), note="从检查点继续").exists()


@pytest.mark.django_db
def test_a_late_message_of_a_reaped_or_requeued_run_runs_nothing():
    reaped = job_run_create(actor=None, kind="housekeeping")
    as_if_its_worker_died(reaped)
    job_runs_reap()
    # Redis hands the dead worker's message out again after the visibility timeout: nothing runs.
    assert run_job.apply(args=[reaped.pk, 1]).get() == JobRun.Status.FAILED
    assert JobRun.objects.get(pk=reaped.pk).status == JobRun.Status.FAILED

    requeued = job_run_create(actor=None, kind="housekeeping")
    JobRun.objects.filter(pk=requeued.pk).update(attempt=2)
    assert run_job.apply(args=[requeued.pk, 1]).get() == "superseded"
    assert JobRun.objects.get(pk=requeued.pk).status == JobRun.Status.QUEUED
    assert run_job.apply(args=[requeued.pk, 2]).get() == JobRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_the_reaper_is_scheduled_every_minute():
    task = PeriodicTask.objects.get(task="core.tasks.reap_stale_jobs")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "minutes")


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_delivery_waits_for_the_live_executor_and_then_runs_nothing(slow_job):
    if connection.vendor != "postgresql":
        pytest.skip("the execution lock is PostgreSQL's")
    run = job_run_create(actor=None, kind=slow_job, params={"seconds": 0})
    executor = connection.copy()  # the live worker executing the run
    with executor.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [0x59424A, run.pk])
    outcome = {}

    def duplicate():
        outcome["status"] = run_job.apply(args=[run.pk, 1]).get()
        connection.close()

    thread = threading.Thread(target=duplicate)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the executor
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.SUCCEEDED, counts={"written": 7})
    executor.close()
    thread.join(timeout=10)
    assert outcome["status"] == JobRun.Status.SUCCEEDED
    assert JobRun.objects.get(pk=run.pk).counts == {"written": 7}  # the duplicate wrote nothing
