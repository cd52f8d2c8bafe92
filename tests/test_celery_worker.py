"""A task sent through the real broker and executed by a real Celery worker process."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from core.models import ImportBatch, JobRun
from core.services import job_run_create
from core.tasks import run_job
from enrollment.importing.pipeline import import_batch_confirm
from enrollment.models import Enrollment, Person
from tests.conftest import skip_or_fail
from tests.test_stuck_jobs import upload_checked

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def start_worker(transactional_db):
    """Start real `celery worker` processes (each in its own process group, so a test can kill -9 it whole)
    on a queue of the test's own; `env` adds settings of that worker. Stopped at the end of the test."""
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker or connection.vendor != "postgresql":
        skip_or_fail("needs CELERY_BROKER_URL (Redis) and DATABASE_URL (PostgreSQL)")
    started: list[subprocess.Popen] = []

    def start(queue: str, **env: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),  # the test database, so the worker sees our rows
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started.append(proc)
        return proc

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = eager
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
            try:
                output, _ = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                output, _ = proc.communicate()
            print(output[-5000:])


@pytest.fixture
def worker(start_worker):
    queue = f"yibao-test-{uuid.uuid4().hex[:8]}"
    start_worker(queue)
    return queue


def wait_for_finish(run_id: int, timeout: float = 90) -> JobRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = JobRun.objects.get(pk=run_id)
        if run.is_finished:
            return run
        time.sleep(0.5)
    pytest.fail(f"job run {run_id} did not finish within {timeout}s (status {run.status})")


@pytest.mark.services
def test_housekeeping_runs_in_a_real_worker_and_is_idempotent(worker):
    for _ in range(4):
        SessionStore().save()
    expired = list(Session.objects.values_list("session_key", flat=True)[:3])
    Session.objects.filter(session_key__in=expired).update(expire_date=timezone.now() - timezone.timedelta(hours=1))
    run = job_run_create(actor=None, kind="housekeeping")

    run_job.apply_async(args=[run.pk], queue=worker)
    done = wait_for_finish(run.pk)

    assert done.status == JobRun.Status.SUCCEEDED, done.error
    assert done.counts == {"expired_sessions_deleted": 3, "stale_login_attempts_deleted": 0}
    assert Session.objects.count() == 1

    # Delivered twice (a retry, a duplicate message): the second delivery changes nothing.
    # The solo worker takes messages in order, so once a later sentinel run has finished, the
    # duplicate before it has certainly been processed.
    run_job.apply_async(args=[run.pk], queue=worker)
    sentinel = job_run_create(actor=None, kind="housekeeping")
    run_job.apply_async(args=[sentinel.pk], queue=worker)
    assert wait_for_finish(sentinel.pk).status == JobRun.Status.SUCCEEDED
    again = JobRun.objects.get(pk=run.pk)
    assert (again.finished_at, again.counts) == (done.finished_at, done.counts)


# Stuck work: kill -9 the worker in the middle of an import apply (the finding of issue 13).


def wait_until(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {timeout}s: {what}")


@pytest.fixture
def apply_killed_mid_way(start_worker, clerk_yuzhong, settings, monkeypatch):
    """An enrollee batch confirmed and being applied by a real worker, which is then killed with kill -9.

    To be mid-job on any machine, the test holds the batch row locked (FOR UPDATE, in another connection)
    before the worker starts: the worker starts the run (运行中) and its apply waits on the row. The worker's
    process group is killed, then the lock is released; the killed worker's PostgreSQL session finds its
    client gone and rolls back. Yields (queue, batch, run)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False  # enqueue through the broker, as in production
    queue = f"yibao-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(run_job, "delay", lambda *args: run_job.apply_async(args=args, queue=queue))
    batch = upload_checked(clerk_yuzhong, ROWS, lambda **kw: contextlib.nullcontext())
    run = import_batch_confirm(actor=clerk_yuzhong, batch=batch)  # queued in Redis; no worker yet
    blocker = connection.copy()
    with blocker.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SELECT id FROM core_importbatch WHERE id = %s FOR UPDATE", [batch.pk])
    try:
        first = start_worker(queue)
        wait_until(
            lambda: JobRun.objects.get(pk=run.pk).status == JobRun.Status.RUNNING, timeout=30, what="run started"
        )
        time.sleep(0.5)  # the apply is now waiting on the row
        batch.refresh_from_db()
        assert (batch.status, Person.objects.count()) == (ImportBatch.Status.IMPORTING, 0)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("ROLLBACK")
        blocker.close()
    assert JobRun.objects.get(pk=run.pk).status == JobRun.Status.RUNNING  # nobody said anything: stuck
    return queue, batch, run


ROWS = 300


@pytest.mark.services
def test_a_killed_apply_is_reaped_in_words_confirmed_again_and_imported_exactly_once(
    apply_killed_mid_way, start_worker, client_for, clerk_yuzhong, settings
):
    queue, batch, run = apply_killed_mid_way
    settings.YIBAO_JOB_STALE_SECONDS = 1  # production: 300
    client = client_for(clerk_yuzhong)
    page = client.get(reverse("core:import_detail", args=[batch.pk]))  # reaps on view once silent for 1 s

    def reaped():
        nonlocal page
        page = client.get(reverse("core:import_detail", args=[batch.pk]))
        return ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.VALIDATED

    wait_until(reaped, timeout=20, what="the batch given back to staff")
    run.refresh_from_db()
    body = page.content.decode()
    assert run.status == JobRun.Status.FAILED
    assert run.error.startswith("处理该任务的进程已中断（最后心跳") and "数据未受影响，可重试" in run.error
    assert "待确认" in body and "导入进程已中断" in body and 'data-testid="confirm-import"' in body
    assert Person.objects.count() == 0  # the killed apply was one transaction: nothing written

    client.post(reverse("core:import_confirm", args=[batch.pk]))  # 确认导入 again: a new run, queued
    start_worker(queue)
    batch.refresh_from_db()
    assert batch.job_run_id != run.pk
    assert wait_for_finish(batch.job_run_id, timeout=60).status == JobRun.Status.SUCCEEDED
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and batch.error == ""
    assert Person.objects.count() == ROWS
    assert Enrollment.objects.filter(import_batch_id=batch.pk).count() == ROWS
    assert JobRun.objects.get(pk=run.pk).status == JobRun.Status.FAILED  # the old message ran nothing


@pytest.mark.services
def test_a_killed_apply_is_redelivered_to_a_new_worker_and_finishes_exactly_once(apply_killed_mid_way, start_worker):
    queue, batch, run = apply_killed_mid_way
    # Redis hands an unacknowledged message out again once its visibility timeout has passed (production:
    # 6 hours, above the longest job; here 1 second, so the new worker takes it back at start).
    start_worker(queue, YIBAO_CELERY_VISIBILITY_TIMEOUT="1")
    done = wait_for_finish(run.pk, timeout=60)  # the same run, resumed
    assert done.status == JobRun.Status.SUCCEEDED, done.error
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert Person.objects.count() == ROWS
    assert Enrollment.objects.filter(import_batch_id=batch.pk).count() == ROWS
    assert done.counts["created_persons"] == ROWS
