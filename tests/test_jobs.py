"""Batch-job runs: recorded, progress reported, idempotent, started only by municipal admins."""

import datetime as dt
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
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


def test_failed_job_records_an_error_staff_can_read(municipal_admin, caplog):
    """An unexpected failure reads as a sentence with an error number; the detail is in the log, not the page."""
    from core.jobs import REGISTRY, JobKind, register_jobs

    def broken(*, run_id):
        raise ValueError("数据源不可用")

    register_jobs(JobKind("broken_for_test", broken, "broken"))
    try:
        run = job_run_create(actor=municipal_admin, kind="broken_for_test")
        with caplog.at_level("ERROR", logger="yibao.jobs"), pytest.raises(ValueError):
            job_run_execute(run_id=run.pk)
    finally:
        del REGISTRY["broken_for_test"]
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    match = re.fullmatch(r"作业失败，请联系系统管理员（错误编号 ([0-9A-F]{8})）", run.error)
    assert match, run.error
    assert "ValueError" not in run.error and "数据源不可用" not in run.error
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert len(logged) == 1 and "数据源不可用" in str(logged[0].exc_info[1])


def test_refused_job_reads_as_the_refusal(municipal_admin):
    """A ValidationError reads as its messages, not as "ValidationError: {'year': [...]}"."""
    from core.jobs import REGISTRY, JobKind, register_jobs

    def refuses(*, run_id, year):
        raise ValidationError({"year": f"未设置{year}年度居民医保筹资标准，请先在管理后台设置"})

    register_jobs(JobKind("refuses_for_test", refuses, "refuses"))
    try:
        run = job_run_create(actor=municipal_admin, kind="refuses_for_test", params={"year": 2031})
        with pytest.raises(ValidationError):
            job_run_execute(run_id=run.pk)
    finally:
        del REGISTRY["refuses_for_test"]
    run.refresh_from_db()
    assert run.error == "未设置2031年度居民医保筹资标准，请先在管理后台设置"


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


# Issue 11, findings 6 and 7: job records read in words, and the start forms are clean rows.

DEVELOPER_TEXT = re.compile(r"[{}]|_deleted|expired_|housekeeping|annual_|Error\b|\bException\b")


def test_job_pages_show_labels_and_counts_in_words(client_for, municipal_admin, django_capture_on_commit_callbacks):
    make_sessions(expired=3, live=0)
    client = client_for(municipal_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:job_start", args=["housekeeping"]))
    run = JobRun.objects.get()
    for url in (reverse("core:job_detail", args=[run.pk]), reverse("core:job_list"), reverse("home")):
        body = client.get(url).content.decode()
        assert "系统清理（过期会话与登录失败计数）" in body, url
        visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", body.split("<main", 1)[1], flags=re.S)
        found = DEVELOPER_TEXT.search(visible)
        assert found is None, (url, found and found.group())
    detail = client.get(reverse("core:job_detail", args=[run.pk])).content.decode()
    assert re.search(r"<dt>清除的过期会话</dt><dd>3</dd>", detail)
    assert re.search(r"<dt>清除的过期登录失败记录</dt><dd>0</dd>", detail)
    listing = client.get(reverse("core:job_list")).content.decode()
    assert "清除的过期会话 3；清除的过期登录失败记录 0" in listing


def test_count_labels_per_kind_and_unknown_keys_read_as_words():
    from core.jobs import job_counts_display, job_label, register_count_labels

    register_count_labels(
        {"widgets": "部件"}, kind="labels_for_test", resolve=lambda k: "规则甲" if k == "R1" else None
    )
    shown = job_counts_display({"widgets": 1200, "R1": 2, "after": 99, "mystery_key": 1}, kind="labels_for_test")
    assert shown == [("部件", "1,200"), ("规则甲", "2"), ("其他计数", "1")]  # checkpoint bookkeeping left out
    assert job_counts_display({"year": 2023, "rated": 4}, kind="credit_rating") == [
        ("年度", "2023"),
        ("评价的机构", "4"),
    ]
    assert job_label("no_such_kind") == "批处理任务"


def test_start_forms_are_rows_with_the_registered_default_year(client_for, municipal_admin):
    from core.jobs import REGISTRY, JobKind, register_jobs

    def noop(*, run_id, year):
        return {}

    register_jobs(
        JobKind("year_for_test", noop, "年度测试任务", start="year", default_year=lambda: 2023),
        JobKind("plain_year_for_test", noop, "无默认年度任务", start="year"),
    )
    try:
        body = client_for(municipal_admin).get(reverse("core:job_list")).content.decode()
    finally:
        del REGISTRY["year_for_test"], REGISTRY["plain_year_for_test"]
    rows = dict(re.findall(r'<tr data-testid="start-([a-z_]+)">(.*?)</tr>', body, flags=re.S))
    # One row per job: its name, its year field (with the job's default) and its button, together.
    assert "年度测试任务" in rows["year_for_test"] and 'value="2023"' in rows["year_for_test"]
    this_year = timezone.localdate().year
    assert f'value="{this_year}"' in rows["plain_year_for_test"]
    assert 'form="start-form-year_for_test"' in rows["year_for_test"]
    assert 'id="start-form-year_for_test"' in rows["year_for_test"] and "启动" in rows["year_for_test"]
    assert 'name="year"' not in rows["housekeeping"] and "启动" in rows["housekeeping"]


def test_failed_jobs_filter(client_for, municipal_admin):
    ok = job_run_create(actor=municipal_admin, kind="housekeeping")
    bad = job_run_create(actor=municipal_admin, kind="housekeeping")
    JobRun.objects.filter(pk=bad.pk).update(
        status=JobRun.Status.FAILED, error="作业失败，请联系系统管理员（错误编号 ABCD1234）"
    )
    body = client_for(municipal_admin).get(reverse("core:job_list") + "?status=failed&days=7").content.decode()
    assert reverse("core:job_detail", args=[bad.pk]) in body
    assert reverse("core:job_detail", args=[ok.pk]) not in body
    assert "只显示近 7 天状态为“失败”的任务" in body
