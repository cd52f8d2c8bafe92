"""API authentication hardening (issue 13, finding 7): lockout per user name and address, rate limits,
hashed tokens with expiry and revocation, and the command that issues them."""

import base64
import datetime as dt
import hashlib
import importlib
import io
import json
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.api_tokens import api_token_create, api_token_revoke
from core.models import ApiToken, AuditEvent
from tests.benefits_support import SETTLEMENTS, token_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
OFFICE, STRANGER, HOME = "10.20.30.40", "198.51.100.66", "10.20.99.1"


def _login(client, username, password, ip, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _basic(username, password) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _rates(settings, **rates) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    cache.clear()


# --- Lockout: the pair (user name, client address) ------------------------------------------------


def test_five_failures_lock_the_name_from_that_address_only(clerk_yuzhong, conftest_password):
    stranger = Client()
    codes = [_login(stranger, "clerk_yz", "wrong-password", STRANGER).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # the fifth failure locks
    locked = _login(stranger, "clerk_yz", conftest_password, STRANGER)
    assert locked.status_code == 429 and "账号已锁定" in locked.content.decode()
    assert "_auth_user_id" not in stranger.session

    office = Client()
    assert _login(office, "clerk_yz", conftest_password, OFFICE).status_code == 302
    assert office.session["_auth_user_id"] == str(clerk_yuzhong.pk)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("clerk_yz", STRANGER) and attempt.failures_since_start >= 5


def test_api_basic_auth_failures_lock_the_same_way_and_not_the_office(clerk_yuzhong, conftest_password):
    stranger = APIClient(REMOTE_ADDR=STRANGER)
    answers = [stranger.get(ME, HTTP_AUTHORIZATION=_basic("clerk_yz", "wrong-password")) for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert answers[0]["WWW-Authenticate"] == 'Basic realm="api"'
    assert [a.json()["detail"] for a in answers[:4]] == ["用户名或密码错误。"] * 4
    assert "已暂时锁定" in answers[4].json()["detail"]  # the fifth failure locks
    # The right password from the stranger's address no longer helps, over the API or the login page.
    response = stranger.get(ME, HTTP_AUTHORIZATION=_basic("clerk_yz", conftest_password))
    assert response.status_code == 401 and "已暂时锁定" in response.json()["detail"]
    assert _login(Client(), "clerk_yz", conftest_password, STRANGER).status_code == 429

    # The clerk, from the office, over the API and the login page alike.
    office = APIClient(REMOTE_ADDR=OFFICE)
    response = office.get(ME, HTTP_AUTHORIZATION=_basic("clerk_yz", conftest_password))
    assert response.status_code == 200 and response.json()["username"] == "clerk_yz"
    assert _login(Client(), "clerk_yz", conftest_password, OFFICE).status_code == 302
    assert AccessAttempt.objects.filter(ip_address=OFFICE).count() == 0
    assert AuditEvent.objects.filter(action="login_failed", actor_username="clerk_yz", ip_address=STRANGER).count() >= 5


def test_behind_our_proxy_the_lockout_is_keyed_on_the_real_client(settings, clerk_yuzhong, conftest_password):
    settings.YIBAO_TRUSTED_PROXIES = ["10.0.0.1"]
    proxy = "10.0.0.1"
    for _ in range(5):
        _login(Client(), "clerk_yz", "wrong", proxy, HTTP_X_FORWARDED_FOR=STRANGER)
    assert AccessAttempt.objects.get().ip_address == STRANGER
    assert _login(Client(), "clerk_yz", conftest_password, proxy, HTTP_X_FORWARDED_FOR=STRANGER).status_code == 429
    # Everyone else behind the same proxy still gets in.
    assert _login(Client(), "clerk_yz", conftest_password, proxy, HTTP_X_FORWARDED_FOR=HOME).status_code == 302


def test_a_client_cannot_escape_its_lockout_by_sending_forwarded_for(clerk_yuzhong, conftest_password):
    for i in range(5):
        _login(Client(), "clerk_yz", "wrong", STRANGER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    forged = _login(Client(), "clerk_yz", conftest_password, STRANGER, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert forged.status_code == 429


# --- Rate limits -----------------------------------------------------------------------------------


def test_anonymous_requests_get_429_in_chinese_after_the_rate(settings, districts):
    _rates(settings, anon="3/min", staff="100/min", token="100/min")
    client = APIClient(REMOTE_ADDR=STRANGER)
    # Without credentials (403, as ever), with a made-up token (401): all count for the address.
    assert client.get(ME).status_code == 403
    assert client.get(ME, HTTP_AUTHORIZATION="Token made-up-token-0123456789").status_code == 401
    # A forged X-Forwarded-For from an address that is not our proxy changes nothing.
    assert client.get(ME, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 403
    response = client.get(ME, HTTP_X_FORWARDED_FOR="192.0.2.2")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail.startswith("请求过于频繁，请在 ") and detail.endswith(" 秒后重试")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another address has its own count.
    assert APIClient(REMOTE_ADDR=OFFICE).get(ME).status_code == 403


def test_staff_and_institution_tokens_have_separate_rates(settings, clerk_yuzhong, reviewer_yuzhong, institution_user):
    _rates(settings, anon="100/min", staff="2/min", token="5/min")
    clerk = APIClient()
    clerk.force_login(clerk_yuzhong)
    assert [clerk.get(ME).status_code for _ in range(2)] == [200, 200]
    throttled = clerk.get(ME)
    assert throttled.status_code == 429 and "请求过于频繁" in throttled.json()["detail"]
    # Counted per account: a colleague is not slowed down.
    colleague = APIClient()
    colleague.force_login(reviewer_yuzhong)
    assert colleague.get(ME).status_code == 200

    his = token_client(institution_user)
    assert [his.get(SETTLEMENTS).status_code for _ in range(5)] == [200] * 5
    response = his.get(SETTLEMENTS)
    assert response.status_code == 429 and "请求过于频繁" in response.json()["detail"]


def test_the_default_rates_give_institutions_more_than_staff():
    from config.settings import base

    rates = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    per_minute = {scope: int(rate.split("/")[0]) for scope, rate in rates.items()}
    assert per_minute["token"] > per_minute["staff"] > per_minute["anon"] > 0
    assert all(rate.endswith("/min") for rate in rates.values())


# --- Tokens: hashed, expiring, revocable -----------------------------------------------------------


def _all_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (constant table names)
        return json.dumps(cursor.fetchall(), default=str, ensure_ascii=False)


def test_a_token_is_stored_only_as_its_hash(institution_user):
    token, key = api_token_create(actor=None, user=institution_user)
    assert len(key) >= 50
    assert token.digest == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:8]
    assert key not in _all_text("core_apitoken")
    assert key not in _all_text(AuditEvent._meta.db_table)
    # ...and it works.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(SETTLEMENTS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_expired_revoked_and_wrong_tokens_answer_401_in_chinese(institution_user, municipal_admin):
    expired, expired_key = api_token_create(actor=None, user=institution_user, days=1)
    now = timezone.now()
    ApiToken.objects.filter(pk=expired.pk).update(created_at=now - dt.timedelta(days=2), expires_at=now)
    revoked, revoked_key = api_token_create(actor=None, user=institution_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {revoked_key}")
    assert client.get(SETTLEMENTS).status_code == 200  # works until revoked...
    api_token_revoke(actor=municipal_admin, token_id=revoked.pk)
    response = client.get(SETTLEMENTS)  # ...and is refused on the very next request
    assert response.status_code == 401 and response.json() == {"detail": "令牌已吊销，请向医保局申请新令牌。"}
    assert response["WWW-Authenticate"] == "Token"

    client.credentials(HTTP_AUTHORIZATION=f"Token {expired_key}")
    response = client.get(SETTLEMENTS)
    assert response.status_code == 401 and response.json() == {"detail": "令牌已过期，请向医保局申请新令牌。"}

    # The right prefix with a wrong rest is just a wrong token.
    client.credentials(HTTP_AUTHORIZATION=f"Token {revoked_key[:8]}{'x' * 46}")
    response = client.get(SETTLEMENTS)
    assert response.status_code == 401 and response.json() == {"detail": "令牌无效。"}

    event = AuditEvent.objects.get(object_type="core.apitoken", object_id=str(revoked.pk), action="status")
    assert event.actor == municipal_admin and event.new_values["revoked_at"]
    assert AuditEvent.objects.filter(object_type="core.apitoken", action="create").count() == 2


def _command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("institution_api_account", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_the_key_once_and_can_list_rotate_and_revoke(hospital_yz, municipal_admin):
    out, err = _command(hospital_yz.code, "--days", "30", "--user", "admin_city")
    username, key = out.split()
    assert username == f"inst_{hospital_yz.code.lower()}" and "shown this once" in err
    token = ApiToken.objects.get()
    assert token.prefix == key[:8] and token.created_by == municipal_admin
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(SETTLEMENTS).status_code == 200

    again, _ = _command(hospital_yz.code)  # a second run does not (cannot) show the key again
    assert key not in again and "already has a working token" in again and ApiToken.objects.count() == 1

    listing, _ = _command(hospital_yz.code, "--list")
    assert token.prefix in listing and key not in listing and "active" in listing
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in listing

    rotated, _ = _command(hospital_yz.code, "--rotate")
    new_key = rotated.split()[1]
    assert new_key != key
    assert client.get(SETTLEMENTS).status_code == 401  # the old key is revoked
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_key}")
    assert client.get(SETTLEMENTS).status_code == 200

    revoked, _ = _command(hospital_yz.code, "--revoke")
    assert "revoked 1 token(s)" in revoked
    assert client.get(SETTLEMENTS).status_code == 401
    listing, _ = _command("--list")
    assert listing.count("revoked") == 2 and new_key not in listing

    events = AuditEvent.objects.filter(object_type="core.apitoken")
    assert sorted(events.values_list("action", flat=True)) == ["create", "create", "status", "status"]
    assert all(key not in json.dumps(e.new_values) and new_key not in json.dumps(e.new_values) for e in events)


@pytest.mark.django_db(transaction=True)
def test_old_plaintext_tokens_are_hashed_and_deleted_by_the_migration(institution_user, owner_db):
    """Migration 0007 carries DRF authtoken keys over as hashes that expire in 90 days (a naive `created`,
    as SQLite hands it back, included: upgrading a demo database failed on it)."""
    legacy_key = "0123456789abcdef0123456789abcdef01234567"  # authtoken's format: 40 hex digits
    created = "authtoken_token" not in connection.introspection.table_names()  # app already uninstalled
    if created:  # as the owner: the runtime role may not CREATE (the owner's default privileges grant rows)
        with owner_db.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id bigint)"
            )
    try:
        _migrate_legacy_token(legacy_key, institution_user)
    finally:
        if created:
            with owner_db.cursor() as cursor:
                cursor.execute("DROP TABLE authtoken_token")


def _migrate_legacy_token(legacy_key: str, institution_user) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [legacy_key, timezone.now() - dt.timedelta(days=400), institution_user.pk],
        )
    migration = importlib.import_module("core.migrations.0007_api_tokens")
    migration.hash_plaintext_tokens(django_apps, SimpleNamespace(connection=connection))

    assert legacy_key not in _all_text("authtoken_token") and legacy_key not in _all_text("core_apitoken")
    token = ApiToken.objects.get(user=institution_user)
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {legacy_key}")
    assert client.get(SETTLEMENTS).status_code == 200
