"""Security base: lockout, idle timeout, deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AuditEvent

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


def test_session_expires_after_30_idle_minutes_and_slides(client, clerk_yuzhong, conftest_password):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.post(reverse("login"), {"username": "clerk_yz", "password": conftest_password})
    first_expiry = client.session.get_expiry_date()
    client.get(reverse("home"))
    # Every request pushes the expiry forward: the timeout counts idle time, not session age.
    assert client.session.get_expiry_date() >= first_expiry
    age = client.session.get_expiry_age()
    assert 29 * 60 < age <= 30 * 60


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
