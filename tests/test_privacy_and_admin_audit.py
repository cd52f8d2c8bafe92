"""Personal data stays masked, client IPs cannot be forged, and admin-site changes are audited."""

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, ImportBatch, ImportRowError
from enrollment.models import Employer
from tests.factories import ResidentEnrollmentFactory, make_credit_code

pytestmark = pytest.mark.django_db


def test_no_page_or_api_shows_the_birth_date_beside_a_masked_number(client_for, auditor, districts):
    person = ResidentEnrollmentFactory().person
    client = client_for(auditor)
    full_date = person.birth_date.isoformat()
    for body in (
        client.get(reverse("enrollment:person_detail", args=[person.pk])).content.decode(),
        client.get(reverse("enrollment:person_list")).content.decode(),
        client.get(f"/api/v1/persons/{person.pk}/").content.decode(),
        client.get("/api/v1/audit-events/", {"object_type": "enrollment.person"}).content.decode(),
    ):
        assert person.id_number not in body
        assert full_date not in body and person.id_number[6:14] not in body
    assert str(person.birth_date.year) in client.get(f"/api/v1/persons/{person.pk}/").content.decode()


def test_forwarded_for_is_ignored_unless_it_comes_through_a_trusted_proxy(settings, clerk_yuzhong, conftest_password):
    client = Client()
    client.post(
        reverse("login"),
        {"username": "clerk_yz", "password": conftest_password},
        REMOTE_ADDR="10.0.0.7",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    assert AuditEvent.objects.filter(action="login").latest("id").ip_address == "10.0.0.7"

    settings.YIBAO_TRUSTED_PROXIES = ["10.0.0.1"]
    Client().post(
        reverse("login"),
        {"username": "clerk_yz", "password": conftest_password},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 172.16.5.9",  # the client may prepend anything; our proxy appended the last
    )
    assert AuditEvent.objects.filter(action="login").latest("id").ip_address == "172.16.5.9"


def test_garbage_in_forwarded_for_does_not_break_failed_login_records(settings, clerk_yuzhong):
    settings.YIBAO_TRUSTED_PROXIES = ["10.0.0.1"]
    response = Client().post(
        reverse("login"),
        {"username": "clerk_yz", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="not-an-ip",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="login_failed")
    assert event.ip_address is None


def test_admin_bulk_delete_and_password_reset_are_audited(client_for, municipal_admin, clerk_yuzhong, districts):
    client = client_for(municipal_admin)
    employers = [
        Employer.objects.create(credit_code=make_credit_code(700 + i), name=f"单位{i}", district=districts["500103"])
        for i in range(2)
    ]
    response = client.post(
        reverse("admin:enrollment_employer_changelist"),
        {"action": "delete_selected", "_selected_action": [e.pk for e in employers], "post": "yes"},
    )
    assert response.status_code == 302 and not Employer.objects.exists()
    deleted = AuditEvent.objects.filter(action="delete", object_type="enrollment.employer", actor=municipal_admin)
    assert deleted.count() == 2

    url = reverse("admin:auth_user_password_change", args=[clerk_yuzhong.pk])
    response = client.post(url, {"password1": "New-password-2026!", "password2": "New-password-2026!"})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(object_type="core.user", object_id=str(clerk_yuzhong.pk)).latest("id")
    assert (event.actor, event.note) == (municipal_admin, "admin: 重置密码")


def test_celery_beat_schedule_edits_are_audited_and_bulk_run_is_gone(client_for, municipal_admin):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="core.tasks.housekeeping")
    client = client_for(municipal_admin)
    changelist = client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    assert "run_tasks" not in changelist and "disable_tasks" not in changelist
    client.post(
        reverse("admin:django_celery_beat_periodictask_changelist"),
        {"action": "delete_selected", "_selected_action": [task.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(action="delete", object_type="django_celery_beat.periodictask").exists()


def test_unlocking_an_account_in_the_admin_is_audited(client_for, municipal_admin, clerk_yuzhong):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(username="clerk_yz", failures_since_start=5, ip_address="10.0.0.9")
    client_for(municipal_admin).post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(action="delete", object_type="axes.accessattempt", actor=municipal_admin).exists()


def test_api_schema_and_docs_need_a_staff_login(client, client_for, auditor):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code in (401, 403)
    assert client_for(auditor).get("/api/schema/").status_code == 200


def test_error_csv_cells_cannot_run_as_formulas(client_for, clerk_yuzhong, districts):
    batch = ImportBatch.objects.create(original_name="x.csv", sha256="0" * 64, district=districts["500103"], file="x")
    ImportRowError.objects.create(batch=batch, row_number=2, field="姓名", value="=HYPERLINK(1)", message="m")
    response = client_for(clerk_yuzhong).get(reverse("core:import_errors_csv", args=[batch.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK(1)" in body
