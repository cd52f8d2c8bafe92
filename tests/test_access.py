"""Roles and district scope: another district's records are invisible (404), forbidden actions are 403."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from core.models import AuditEvent, JobRun
from core.roles import Role
from core.services import audit_event_record, job_run_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def event_in_each_district(districts, reviewer_yuzhong, reviewer_jiangbei):
    yz = audit_event_record(
        actor=reviewer_yuzhong,
        action=AuditEvent.Action.UPDATE,
        object_type="t.x",
        object_id=1,
        district_id=districts["500103"].pk,
        note="yuzhong-secret",
    )
    jb = audit_event_record(
        actor=reviewer_jiangbei,
        action=AuditEvent.Action.UPDATE,
        object_type="t.x",
        object_id=2,
        district_id=districts["500105"].pk,
        note="jiangbei-secret",
    )
    return yz, jb


def test_reviewer_sees_only_own_district_in_audit_list_ui(client_for, reviewer_yuzhong, event_in_each_district):
    # Given events in 渝中区 and 江北区, when the 渝中区 reviewer opens the trail
    response = client_for(reviewer_yuzhong).get(reverse("audit:event_list"), {"object_type": "t.x"})
    # then only the 渝中区 event is listed
    assert response.status_code == 200
    body = response.content.decode()
    assert "#1" in body
    assert "#2" not in body


def test_other_district_audit_event_is_404_in_api(client_for, reviewer_yuzhong, event_in_each_district):
    _, jiangbei_event = event_in_each_district
    client = client_for(reviewer_yuzhong)
    assert client.get(f"/api/v1/audit-events/{jiangbei_event.pk}/").status_code == 404
    assert client.get("/api/v1/audit-events/99999999/").status_code == 404
    listed = client.get("/api/v1/audit-events/", {"object_type": "t.x"}).json()["results"]
    assert [e["object_id"] for e in listed] == ["1"]


def test_city_wide_auditor_sees_every_district(client_for, auditor, event_in_each_district):
    listed = client_for(auditor).get("/api/v1/audit-events/", {"object_type": "t.x"}).json()["results"]
    assert sorted(e["object_id"] for e in listed) == ["1", "2"]


def test_clerk_may_not_read_audit_trail(client_for, clerk_yuzhong, event_in_each_district):
    client = client_for(clerk_yuzhong)
    assert client.get(reverse("audit:event_list")).status_code == 403
    assert client.get("/api/v1/audit-events/").status_code == 403


def test_auditor_is_read_only(client_for, auditor):
    response = client_for(auditor).post(reverse("core:job_start", args=["housekeeping"]))
    assert response.status_code == 403
    assert JobRun.objects.count() == 0


def test_job_run_of_other_district_is_404(client_for, districts, reviewer_yuzhong, reviewer_jiangbei):
    run = job_run_create(actor=reviewer_jiangbei, kind="housekeeping", district_id=districts["500105"].pk)
    client = client_for(reviewer_yuzhong)
    assert client.get(reverse("core:job_detail", args=[run.pk])).status_code == 404
    assert client.get(f"/api/v1/jobs/{run.pk}/").status_code == 404
    assert client_for(reviewer_jiangbei).get(f"/api/v1/jobs/{run.pk}/").status_code == 200


def test_anonymous_is_sent_to_login_and_refused_by_api(client, districts):
    assert client.get(reverse("audit:event_list")).status_code == 302
    assert client.get("/api/v1/districts/").status_code == 403


def test_user_without_role_sees_nothing(client_for, django_user_model, districts):
    nobody = django_user_model.objects.create_user(username="nobody", password="x-Long-enough-1")
    assert client_for(nobody).get("/api/v1/districts/").status_code == 403
    assert client_for(nobody).get(reverse("home")).status_code == 403


def test_me_endpoint_reports_role_and_scope(client_for, clerk_yuzhong):
    me = client_for(clerk_yuzhong).get("/api/v1/me/").json()
    assert me == {
        "username": "clerk_yz",
        "role": "district_clerk",
        "district_code": "500103",
        "capabilities": ["edit", "unmask", "view"],
    }


def test_district_roles_require_a_district_and_admins_are_city_wide(django_user_model, districts):
    with pytest.raises(IntegrityError):
        django_user_model.objects.create(username="c", role=Role.DISTRICT_CLERK, district=None)


def test_municipal_admin_cannot_be_bound_to_a_district(django_user_model, districts):
    with pytest.raises(IntegrityError):
        django_user_model.objects.create(username="a", role=Role.MUNICIPAL_ADMIN, district=districts["500103"])


def test_districts_api_lists_reference_data_with_zones(client_for, clerk_yuzhong):
    rows = client_for(clerk_yuzhong).get("/api/v1/districts/").json()
    by_name = {r["name"]: r for r in rows}
    assert len(rows) == 41
    assert by_name["渝中区"]["code"] == "500103"
    assert {"两江新区", "高新区", "万盛经开区"} <= by_name.keys()
    assert by_name["两江新区"]["gb2260"] is False


def test_portal_is_chinese_by_default_even_for_an_english_browser(client_for, clerk_yuzhong):
    client = client_for(clerk_yuzhong)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "工作台" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Home" in client.get(reverse("home")).content.decode()
