"""Batch-job runs: recorded, progress reported, idempotent, started only by municipal admins."""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from core.jobs import job_run_execute
from core.models import AuditEvent, JobRun
from core.services import job_run_create

pytestmark = pytest.mark.django_db


def make_sessions(expired: int, live: int) -> None:
    for _ in range(expired + live):
        SessionStore().save()
    old = list(Session.objects.values_list("session_key", flat=True)[:expired])
    Session.objects.filter(session_key__in=old).update(expire_date=timezone.now() - dt.timedelta(minutes=1))


def test_admin_starts_housekeeping_and_it_records_counts(
    client_for, municipal_admin, django_capture_on_commit_callbacks
):
    make_sessions(expired=3, live=2)
    client = client_for(municipal_admin)  # its own session is live too
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("core:job_start", args=["housekeeping"]))
    assert len(callbacks) == 1
    run = JobRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job_detail", args=[run.pk])
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.started_by == municipal_admin
    assert run.counts == {"expired_sessions_deleted": 3, "stale_login_attempts_deleted": 0}
    assert (run.done, run.total, run.percent) == (2, 2, 100)
    assert Session.objects.count() == 3
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.JOB, object_id=str(run.pk), actor=municipal_admin
    ).exists()
    page = client.get(reverse("core:job_detail", args=[run.pk]))
    assert "成功" in page.content.decode()


def test_rerunning_a_succeeded_run_changes_nothing(municipal_admin):
    make_sessions(expired=2, live=0)
    run = job_run_create(actor=municipal_admin, kind="housekeeping")
    job_run_execute(run_id=run.pk)
    finished = JobRun.objects.get(pk=run.pk)
    make_sessions(expired=1, live=0)
    again = job_run_execute(run_id=run.pk)
    assert again.counts == finished.counts == {"expired_sessions_deleted": 2, "stale_login_attempts_deleted": 0}
    assert again.finished_at == finished.finished_at
    assert Session.objects.count() == 1


def test_district_clerk_cannot_start_jobs(client_for, clerk_yuzhong):
    response = client_for(clerk_yuzhong).post(reverse("core:job_start", args=["housekeeping"]))
    assert response.status_code == 403
    assert not JobRun.objects.exists()


def test_unknown_job_kind_is_404(client_for, municipal_admin):
    assert client_for(municipal_admin).post(reverse("core:job_start", args=["nope"])).status_code == 404
    assert not JobRun.objects.exists()


def test_failed_job_records_its_error(municipal_admin):
    from core.jobs import REGISTRY, JobKind, register_jobs

    def broken(*, run_id):
        raise ValueError("数据源不可用")

    register_jobs(JobKind("broken_for_test", broken, "broken"))
    try:
        run = job_run_create(actor=municipal_admin, kind="broken_for_test")
        with pytest.raises(ValueError):
            job_run_execute(run_id=run.pk)
    finally:
        del REGISTRY["broken_for_test"]
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    assert "数据源不可用" in run.error


def test_progress_partial_is_served_to_htmx(client_for, municipal_admin):
    run = job_run_create(actor=municipal_admin, kind="housekeeping")
    response = client_for(municipal_admin).get(reverse("core:job_detail", args=[run.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="job-progress"' in body and "<html" not in body
    assert 'hx-trigger="every 1s"' in body


def test_beat_schedule_registers_nightly_housekeeping(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="core.tasks.housekeeping")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "30", "Asia/Shanghai")
