"""Finding 5: /admin/ is for municipal admins only; privilege flags are not grantable there; role changes
are audited."""

import datetime as dt

import pytest

from core.models import AuditEvent, User
from core.roles import Role
from enrollment.services import person_register
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def jiangbei_person(districts):
    return person_register(
        actor=None,
        id_number=make_id_number(area="500105", birth=dt.date(1980, 5, 1), seq=17),
        name="江北人甲",
        district_id=districts["500105"].pk,
    )


def _change_form(user: User, **overrides) -> dict:
    """What the user admin's change form posts for `user`, with `overrides`."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "role": user.role,
        "district": user.district_id or "",
        "institution": "",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "08:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_district_clerk_with_staff_flag_gets_no_admin_page(client_for, clerk_yuzhong, jiangbei_person):
    User.objects.filter(pk=clerk_yuzhong.pk).update(is_staff=True)
    clerk_yuzhong.refresh_from_db()
    client = client_for(clerk_yuzhong)
    for url in ("/admin/", "/admin/enrollment/person/", f"/admin/enrollment/person/{jiangbei_person.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
        followed = client.get(response["Location"])
        assert "江北人甲" not in followed.content.decode()
    # The admin's own login form does not let the flag in either.
    response = client.post("/admin/login/", {"username": "clerk_yz", "password": "Test-password-2026"})
    assert client.get("/admin/enrollment/person/").status_code == 302


def test_municipal_admin_reaches_admin_and_sees_all_districts(client_for, municipal_admin, jiangbei_person):
    client = client_for(municipal_admin)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/enrollment/person/")
    assert response.status_code == 200
    assert "江北人甲" in response.content.decode()


def test_municipal_admin_cannot_grant_superuser_or_staff(client_for, municipal_admin, clerk_yuzhong):
    client = client_for(municipal_admin)
    page = client.get(f"/admin/core/user/{clerk_yuzhong.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    response = client.post(
        f"/admin/core/user/{clerk_yuzhong.pk}/change/",
        _change_form(clerk_yuzhong, is_superuser="on", is_staff="on", user_permissions="1"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk_yuzhong.refresh_from_db()
    assert clerk_yuzhong.is_superuser is False
    assert clerk_yuzhong.is_staff is False
    assert clerk_yuzhong.user_permissions.count() == 0
    assert client_for(clerk_yuzhong).get("/admin/").status_code == 302


def test_role_change_in_admin_is_audited_and_moves_admin_access(client_for, municipal_admin, clerk_yuzhong, districts):
    client = client_for(municipal_admin)
    response = client.post(
        f"/admin/core/user/{clerk_yuzhong.pk}/change/",
        _change_form(clerk_yuzhong, role=Role.DISTRICT_REVIEWER, district=districts["500105"].pk),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk_yuzhong.refresh_from_db()
    assert clerk_yuzhong.role == Role.DISTRICT_REVIEWER
    event = AuditEvent.objects.filter(object_type="core.user", object_id=str(clerk_yuzhong.pk), note="admin").get()
    assert event.actor_id == municipal_admin.pk
    assert event.action == AuditEvent.Action.UPDATE
    assert event.old_values["role"] == Role.DISTRICT_CLERK and event.new_values["role"] == Role.DISTRICT_REVIEWER
    assert event.old_values["district_id"] == districts["500103"].pk
    assert event.new_values["district_id"] == districts["500105"].pk

    # Promoted to municipal admin: the flag follows the role, and the change is in the trail.
    response = client.post(
        f"/admin/core/user/{clerk_yuzhong.pk}/change/",
        _change_form(clerk_yuzhong, role=Role.MUNICIPAL_ADMIN, district=""),
    )
    assert response.status_code == 302
    clerk_yuzhong.refresh_from_db()
    assert clerk_yuzhong.role == Role.MUNICIPAL_ADMIN and clerk_yuzhong.is_staff is True
    latest = AuditEvent.objects.filter(object_type="core.user", object_id=str(clerk_yuzhong.pk)).latest("id")
    assert latest.new_values["role"] == Role.MUNICIPAL_ADMIN and latest.new_values["is_staff"] is True
    assert client_for(clerk_yuzhong).get("/admin/").status_code == 200


def test_command_line_superuser_can_grant_staff(client_for, districts, clerk_yuzhong):
    root = User.objects.create_superuser("root_cli", password="Root-password-2026")
    client = client_for(root)
    page = client.get(f"/admin/core/user/{clerk_yuzhong.pk}/change/").content.decode()
    assert 'name="is_superuser"' in page
    response = client.post(f"/admin/core/user/{clerk_yuzhong.pk}/change/", _change_form(clerk_yuzhong, is_staff="on"))
    assert response.status_code == 302
    clerk_yuzhong.refresh_from_db()
    assert clerk_yuzhong.is_staff is True
    # The flag alone still opens nothing: the role decides.
    assert client_for(clerk_yuzhong).get("/admin/").status_code == 302
