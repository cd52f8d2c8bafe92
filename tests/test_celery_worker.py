"""A task sent through the real broker and executed by a real Celery worker process."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from core.models import JobRun
from core.services import job_run_create
from core.tasks import run_job
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(transactional_db):
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker or connection.vendor != "postgresql":
        skip_or_fail("needs CELERY_BROKER_URL (Redis) and DATABASE_URL (PostgreSQL)")
    queue = f"yibao-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),  # the test database, so the worker sees our rows
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = eager
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        print(output[-5000:])


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
