"""Security base: lockout, idle timeout, deploy checks."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.urls import reverse
from django.utils import translation

from core.models import AuditEvent

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_five_failed_logins_lock_the_account(client, clerk_yuzhong, conftest_password):
    for _ in range(5):
        client.post(reverse("login"), {"username": "clerk_yz", "password": "wrong-password"})
    # The right password no longer helps once the account is locked.
    response = client.post(reverse("login"), {"username": "clerk_yz", "password": conftest_password})
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, actor_username="clerk_yz").count() == 6
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=clerk_yuzhong).exists()


def test_four_failures_then_success_resets_the_counter(client, clerk_yuzhong, conftest_password):
    for _ in range(4):
        client.post(reverse("login"), {"username": "clerk_yz", "password": "wrong-password"})
    assert client.post(reverse("login"), {"username": "clerk_yz", "password": conftest_password}).status_code == 302


@pytest.fixture(autouse=True)
def _real_idle_timeout(settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60  # test settings stretch it to ride out CI clock jumps


def _idle_for(client, minutes: int) -> None:
    session = client.session
    session["yibao_last_activity"] = time.time() - minutes * 60
    session.save()


def test_thirty_idle_minutes_log_the_user_out(client, clerk_yuzhong, conftest_password):
    client.post(reverse("login"), {"username": "clerk_yz", "password": conftest_password})
    _idle_for(client, 29)
    assert client.get(reverse("home")).status_code == 200  # 29 minutes: still signed in, and the clock restarts
    _idle_for(client, 31)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=clerk_yuzhong).exists()


def test_activity_is_stamped_at_most_once_a_minute(client, clerk_yuzhong, conftest_password, settings):
    """Each stamp is a session write (an UPDATE); a 30-minute timeout needs no finer clock."""
    settings.SESSION_IDLE_STAMP_SECONDS = 60  # production's (test settings stamp every request)
    client.post(reverse("login"), {"username": "clerk_yz", "password": conftest_password})
    _idle_for(client, 0)
    stamped = client.session["yibao_last_activity"]
    assert client.get(reverse("home")).status_code == 200
    assert client.session["yibao_last_activity"] == stamped  # seconds later: not written again
    _idle_for(client, 2)
    assert client.get(reverse("home")).status_code == 200
    assert time.time() - client.session["yibao_last_activity"] < 5  # two minutes later: stamped


def test_progress_polling_does_not_keep_an_idle_session_alive(client, municipal_admin, conftest_password):
    from core.services import job_run_create

    client.post(reverse("login"), {"username": "admin_city", "password": conftest_password})
    run = job_run_create(actor=municipal_admin, kind="housekeeping")  # queued for ever: the worker is down
    _idle_for(client, 20)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_X_YIBAO_POLL": "1"}
    for _ in range(3):
        assert client.get(reverse("core:job_detail", args=[run.pk]), **poll).status_code == 200
    assert time.time() - client.session["yibao_last_activity"] >= 20 * 60 - 5  # polls left the clock alone
    assert client.get(reverse("core:job_detail", args=[run.pk])).status_code == 200  # a real request does not
    assert time.time() - client.session["yibao_last_activity"] < 5
    _idle_for(client, 31)
    response = client.get(reverse("core:job_detail", args=[run.pk]), **poll)
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_check_deploy_is_clean_under_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-for-check-only-9f8e7d6c5b4a",
        "DJANGO_ALLOWED_HOSTS": "yibao.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_lockout_admin_pages_are_in_chinese():
    """django-axes ships no Chinese catalogue: its admin showed "Access Attempt" (issue 11, finding 12).
    locale/zh_Hans/LC_MESSAGES/django.po holds its strings."""
    with translation.override("zh-hans"):
        assert str(AccessAttempt._meta.verbose_name) == "登录尝试"
        assert str(AccessLog._meta.verbose_name) == "登录日志"
        assert str(AccessAttempt._meta.get_field("username").verbose_name) == "账号"
