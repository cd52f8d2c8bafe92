"""The audit trail: written by services in the same transaction, append-only in the database."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core.models import AuditEvent, District
from core.reference import district_load_reference

pytestmark = pytest.mark.django_db


def test_login_is_recorded_with_ip(client, clerk_yuzhong, conftest_password):
    response = client.post(
        reverse("login"), {"username": "clerk_yz", "password": conftest_password}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).latest("id")
    assert event.actor == clerk_yuzhong
    assert event.ip_address == "10.1.2.3"
    assert event.district_id == clerk_yuzhong.district_id


def test_failed_login_is_recorded_against_the_account_district(client, clerk_yuzhong):
    response = client.post(reverse("login"), {"username": "clerk_yz", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 200
    assert "正确的用户名和密码" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert (event.actor_username, event.ip_address, event.district_id) == (
        "clerk_yz",
        "10.9.9.9",
        clerk_yuzhong.district_id,
    )
    assert event.actor is None


def test_database_refuses_update_and_delete_of_audit_events(clerk_yuzhong):
    event = AuditEvent.objects.filter(object_type="core.user", object_id=str(clerk_yuzhong.pk)).first()
    assert event is not None
    for sql in (
        "UPDATE core_auditevent SET note = 'tampered' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.note == ""


def test_queryset_update_and_delete_are_refused_too(clerk_yuzhong):
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().update(note="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == count
    assert not AuditEvent.objects.filter(note="x").exists()


def test_model_save_of_existing_event_is_refused(clerk_yuzhong):
    event = AuditEvent.objects.first()
    event.note = "x"
    with pytest.raises(PermissionError):
        event.save()


def test_reference_load_is_audited_and_idempotent(db):
    first = district_load_reference(actor=None)
    events_after_first = AuditEvent.objects.count()
    second = district_load_reference(actor=None)
    assert first == {"created": 41, "updated": 0, "total": 41}
    assert second == {"created": 0, "updated": 0, "total": 41}
    assert events_after_first == 41
    assert AuditEvent.objects.count() == events_after_first


def test_reference_change_records_old_and_new_values(db):
    district_load_reference(actor=None)
    District.objects.filter(code="500103").update(name="旧名")
    counts = district_load_reference(actor=None)
    assert counts["updated"] == 1
    event = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, object_type="core.district").get()
    assert event.old_values["name"] == "旧名"
    assert event.new_values["name"] == "渝中区"


def test_admin_edit_of_a_user_is_audited(client_for, municipal_admin, clerk_yuzhong, districts):
    client = client_for(municipal_admin)
    url = reverse("admin:core_user_change", args=[clerk_yuzhong.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "username": "clerk_yz",
        "first_name": "张三",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "role": "district_clerk",
        "district": districts["500105"].pk,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(object_type="core.user", action=AuditEvent.Action.UPDATE).latest("id")
    assert event.actor == municipal_admin
    assert event.old_values["district_id"] == districts["500103"].pk
    assert event.new_values["district_id"] == districts["500105"].pk
    assert "password" not in event.new_values
