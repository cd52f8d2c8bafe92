"""操作日志 viewer: filters (actor, action, object type, object id, district, Asia/Shanghai dates), scope, keyset."""

import datetime as dt
import zoneinfo

import pytest

from core.models import AuditEvent
from tests.benefits_support import staff_client

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
URL = "/audit/events/"
API = "/api/v1/audit-events/"


@pytest.fixture
def trail(districts, reviewer_yuzhong, reviewer_jiangbei, auditor):
    """Given: events of two districts either side of midnight in Shanghai (which is 16:00 UTC)."""

    def event(username, action, object_type, object_id, district, when):
        return AuditEvent.objects.create(
            actor_username=username, action=action, object_type=object_type, object_id=object_id,
            object_repr=f"{object_type} {object_id}", district=districts[district], occurred_at=when,
        )  # fmt: skip

    def at(day: int, hour: int, minute: int) -> dt.datetime:
        return dt.datetime(2023, 5, day, hour, minute, tzinfo=SH)

    return {
        "late_may1": event("alice", "update", "enrollment.person", "11", "500103", at(1, 23, 30)),
        "early_may2": event("alice", "create", "enrollment.person", "12", "500103", at(2, 0, 10)),
        "bob_yz": event("bob", "status", "audit.inspection", "7", "500103", at(3, 9, 0)),
        "bob_jb": event("bob", "status", "audit.inspection", "8", "500105", at(3, 10, 0)),
    }


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_api_filters_combine(trail, auditor):
    api = staff_client(auditor)
    t = {k: v.pk for k, v in trail.items()}
    assert ids(api.get(API, {"actor": "bob"})) == [t["bob_jb"], t["bob_yz"]]
    assert ids(api.get(API, {"actor": "bob", "district": "500105"})) == [t["bob_jb"]]
    assert ids(api.get(API, {"action": "create", "actor": "alice"})) == [t["early_may2"]]
    assert ids(api.get(API, {"object_type": "audit.inspection", "object_id": "7"})) == [t["bob_yz"]]
    # Dates are Shanghai days: 23:30 on 1 May is 1 May although it is 15:30 UTC; 00:10 on 2 May is 2 May.
    assert ids(api.get(API, {"date_from": "2023-05-01", "date_to": "2023-05-01"})) == [t["late_may1"]]
    assert ids(api.get(API, {"date_from": "2023-05-02", "date_to": "2023-05-02", "actor": "alice"})) == [
        t["early_may2"]
    ]
    assert ids(api.get(API, {"date_from": "2023-05-02", "actor": "bob"})) == [t["bob_jb"], t["bob_yz"]]


def test_district_user_sees_own_district_and_cannot_widen_it(trail, reviewer_yuzhong, reviewer_jiangbei):
    yz = staff_client(reviewer_yuzhong)
    assert ids(yz.get(API, {"actor": "bob"})) == [trail["bob_yz"].pk]
    assert ids(yz.get(API, {"actor": "bob", "district": "500105"})) == [trail["bob_yz"].pk]  # ignored
    assert yz.get(f"{API}{trail['bob_jb'].pk}/").status_code == 404
    assert ids(staff_client(reviewer_jiangbei).get(API, {"actor": "alice"})) == []


def test_bad_filters_get_a_field_message_and_no_rows(trail, auditor, client_for):
    api = staff_client(auditor)
    response = api.get(API, {"date_from": "2023-05-03", "date_to": "2023-05-01"})
    assert response.status_code == 400 and response.json() == {"date_to": ["截止日期不能早于起始日期。"]}
    assert api.get(API, {"district": "999999"}).json() == {"district": ["区县代码不存在"]}
    page = client_for(auditor).get(URL, {"date_from": "2023-13-01"})
    html = page.content.decode()
    assert page.status_code == 400 and 'class="has-error"' in html
    assert "没有符合条件的记录。" in html


def test_page_filters_and_keyset_pagination(trail, auditor, client_for, django_assert_max_num_queries):
    client = client_for(auditor)
    # session, user, district lookup and options, the object types present, rows, one lookup per object
    # type on the page for names and links: not per row
    with django_assert_max_num_queries(10):
        html = client.get(URL, {"actor": "bob", "district": "500105"}).content.decode()
    assert "audit.inspection 8" in html and "audit.inspection 7" not in html
    for n in range(55):
        AuditEvent.objects.create(actor_username="carol", action="update", object_type="x.y", object_id=str(n))
    first = client.get(URL, {"actor": "carol"})
    page = first.context["page"]
    assert len(page.items) == 50 and page.next_after == page.items[-1].pk
    assert f"?actor=carol&after={page.next_after}" in first.content.decode()
    second = client.get(URL, {"actor": "carol", "after": page.next_after}).context["page"]
    assert [e.object_id for e in second.items] == ["4", "3", "2", "1", "0"] and second.next_after is None


def test_district_user_form_has_no_district_field(trail, reviewer_yuzhong, client_for):
    html = client_for(reviewer_yuzhong).get(URL).content.decode()
    assert 'name="district"' not in html and 'name="actor"' in html and 'name="object_id"' in html
