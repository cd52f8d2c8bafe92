"""Medical-aid pages and API: what staff see and do, and what another district never sees."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistance.models import AidApplication, AidRecipient, HighCostAlert
from assistance.services import aid_application_submit, aid_application_transition, aid_recipient_register
from core.importing.reader import sample_csv
from core.models import AuditEvent, ImportBatch
from tests.benefits_support import staff_client
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
S = AidApplication.Status


@pytest.fixture
def person(districts):
    return PersonFactory(name="王五")


@pytest.fixture
def recipient(clerk_yuzhong, person):
    return aid_recipient_register(
        actor=clerk_yuzhong, person=person, category="destitute", valid_from=dt.date(2023, 1, 1)
    )


@pytest.fixture
def application(clerk_yuzhong, person):
    return aid_application_submit(
        actor=clerk_yuzhong, person=person, year=2023, requested_amount=Decimal("3000.00"), reason="大病住院"
    )


@pytest.fixture
def alert(person):
    return HighCostAlert.objects.create(
        person=person, district_id=person.district_id, year=2023, out_of_pocket="25000.00", threshold="20000.00"
    )


def test_pages_show_own_district_records_with_masked_ids(client_for, reviewer_yuzhong, recipient, application, alert):
    client = client_for(reviewer_yuzhong)
    for url in ("/assistance/", "/assistance/applications/", "/assistance/alerts/"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "王五" in body and recipient.person.masked_id_number in body
        assert recipient.person.id_number not in body
    assert "医疗救助" in body and "依申请救助" in body  # navigation entries
    assert client.get(f"/assistance/recipients/{recipient.pk}/").status_code == 200
    assert client.get("/assistance/?category=subsistence").content.decode().count("王五") == 0
    assert "王五" in client.get(f"/assistance/?q={recipient.person.id_number[:10]}").content.decode()


def test_another_district_sees_nothing_and_gets_404(client_for, reviewer_jiangbei, recipient, application, alert):
    client = client_for(reviewer_jiangbei)
    for url in ("/assistance/", "/assistance/applications/", "/assistance/alerts/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "王五" not in response.content.decode()
    assert client.get(f"/assistance/recipients/{recipient.pk}/").status_code == 404
    assert client.get(f"/assistance/applications/{application.pk}/").status_code == 404
    response = client.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "reviewed"})
    assert response.status_code == 404
    assert (
        client.post(f"/assistance/alerts/{alert.pk}/handle/", {"to_status": "closed", "note": "x"}).status_code == 404
    )
    application.refresh_from_db()
    alert.refresh_from_db()
    assert (application.status, alert.status) == (S.SUBMITTED, "open")

    api = staff_client(reviewer_jiangbei)
    for url in ("/api/v1/aid-recipients/", "/api/v1/aid-applications/", "/api/v1/high-cost-alerts/"):
        response = api.get(url)
        assert response.status_code == 200 and response.json()["results"] == []
    assert api.get(f"/api/v1/aid-applications/{application.pk}/").status_code == 404
    response = api.post(f"/api/v1/aid-applications/{application.pk}/transition/", {"to_status": "reviewed"})
    assert response.status_code == 404
    # Submitting for a person of another district reads like an unknown number.
    response = api.post(
        "/api/v1/aid-applications/",
        {"id_number": recipient.person.id_number, "year": 2023, "requested_amount": "10.00", "reason": "x"},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {"id_number": ["该身份证号未参保登记"]}


def test_register_recipient_page(client_for, clerk_yuzhong, person):
    client = client_for(clerk_yuzhong)
    form = {
        "id_number": "500103199001011234",
        "category": "subsistence",
        "valid_from": "2023-01-01",
        "source": "bureau",
    }
    response = client.post("/assistance/recipients/new/", form)
    assert response.status_code == 200 and "该身份证号未参保登记" in response.content.decode()
    form.update(id_number=person.id_number, valid_to="2022-01-01")
    response = client.post("/assistance/recipients/new/", form)
    assert "认定截止日期不能早于认定开始日期" in response.content.decode()
    assert AidRecipient.objects.count() == 0
    form["valid_to"] = ""
    response = client.post("/assistance/recipients/new/", form)
    recipient = AidRecipient.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assistance/recipients/{recipient.pk}/"
    response = client.post(f"/assistance/recipients/{recipient.pk}/", {"valid_to": "2023-06-30", "note": "退出低保"})
    assert response.status_code == 302
    recipient.refresh_from_db()
    assert recipient.valid_to == dt.date(2023, 6, 30)
    assert AuditEvent.objects.filter(object_type="assistance.aidrecipient", action="update").count() == 1


def test_auditor_cannot_register_or_submit(client_for, auditor):
    client = client_for(auditor)
    assert client.get("/assistance/recipients/new/").status_code == 403
    assert client.get("/assistance/applications/new/").status_code == 403
    assert client.get("/assistance/").status_code == 200


def test_application_workflow_through_pages(client_for, clerk_yuzhong, reviewer_yuzhong, person):
    clerk = client_for(clerk_yuzhong)
    response = clerk.post(
        "/assistance/applications/new/",
        {"id_number": person.id_number, "year": 2023, "requested_amount": "0", "reason": "x"},
    )
    assert "申请金额应大于0" in response.content.decode()
    response = clerk.post(
        "/assistance/applications/new/",
        {"id_number": person.id_number, "year": 2023, "requested_amount": "2000.00", "reason": "住院"},
    )
    application = AidApplication.objects.get()
    assert response.status_code == 302
    # The clerk sees no decision buttons and is refused if she posts one anyway.
    page = clerk.get(f"/assistance/applications/{application.pk}/").content.decode()
    assert 'value="reviewed"' not in page
    response = clerk.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "reviewed"})
    assert response.status_code == 403

    reviewer = client_for(reviewer_yuzhong)
    page = reviewer.get(f"/assistance/applications/{application.pk}/").content.decode()
    assert 'value="reviewed"' in page and 'value="rejected"' in page and 'value="paid"' not in page
    response = reviewer.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "paid"})
    assert response.status_code == 400 and "不能从「已提交」变为「已支付」" in response.content.decode()
    response = reviewer.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "rejected"})
    assert response.status_code == 400 and "驳回须填写理由" in response.content.decode()
    reviewer.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "reviewed"})
    response = reviewer.post(
        f"/assistance/applications/{application.pk}/transition/", {"to_status": "approved", "approved_amount": "1500"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.approved_amount) == (S.APPROVED, Decimal("1500.00"))
    clerk.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "paid"})
    application.refresh_from_db()
    assert application.status == S.PAID and application.paid_on is not None
    assert "已支付" in clerk.get("/assistance/applications/?status=paid").content.decode()


def test_alert_handle_page(client_for, clerk_yuzhong, alert):
    client = client_for(clerk_yuzhong)
    response = client.post(f"/assistance/alerts/{alert.pk}/handle/", {"to_status": "handled", "note": ""}, follow=True)
    assert "跟进情况" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open"
    client.post(f"/assistance/alerts/{alert.pk}/handle/", {"to_status": "handled", "note": "已上门核实"})
    alert.refresh_from_db()
    assert (alert.status, alert.note) == ("handled", "已上门核实")
    assert AuditEvent.objects.filter(object_type="assistance.highcostalert", object_id=str(alert.pk)).count() == 1


def test_list_page_queries_do_not_grow_with_rows(client_for, reviewer_yuzhong, clerk_yuzhong, districts):
    client = client_for(reviewer_yuzhong)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/assistance/applications/").status_code == 200
        return len(captured)

    aid_application_submit(actor=clerk_yuzhong, person=PersonFactory(), year=2023, requested_amount="1", reason="x")
    one = queries()
    for _ in range(4):
        aid_application_submit(actor=clerk_yuzhong, person=PersonFactory(), year=2023, requested_amount="1", reason="x")
    assert queries() == one


def test_api_register_submit_transition_and_alerts(reviewer_yuzhong, clerk_yuzhong, make_user, person, alert):
    clerk = staff_client(clerk_yuzhong)
    response = clerk.post(
        "/api/v1/aid-recipients/",
        {"id_number": person.id_number, "category": "monitored", "valid_from": "2023-01-01"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id_number_masked"] == person.masked_id_number and body["source"] == "bureau"
    assert person.id_number not in response.content.decode()
    assert clerk.get("/api/v1/aid-recipients/?category=monitored").json()["results"][0]["id"] == body["id"]

    response = clerk.post(
        "/api/v1/aid-applications/",
        {"id_number": person.id_number, "year": 2023, "requested_amount": "800.00", "reason": ""},
        format="json",
    )
    assert response.status_code == 400 and "reason" in response.json()
    response = clerk.post(
        "/api/v1/aid-applications/",
        {"id_number": person.id_number, "year": 2023, "requested_amount": "800.00", "reason": "门诊慢病"},
        format="json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    url = f"/api/v1/aid-applications/{pk}/transition/"
    assert clerk.post(url, {"to_status": "reviewed"}, format="json").status_code == 403

    reviewer = staff_client(reviewer_yuzhong)
    response = reviewer.post(url, {"to_status": "approved", "approved_amount": "100"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"to_status": ["不能从「已提交」变为「已批准」"]}
    assert reviewer.post(url, {"to_status": "reviewed"}, format="json").json()["status"] == "reviewed"
    response = reviewer.post(url, {"to_status": "approved", "approved_amount": "900.00"}, format="json")
    assert response.json() == {"approved_amount": ["批准金额不能超过申请金额（800.00 元）"]}
    response = reviewer.post(url, {"to_status": "approved", "approved_amount": "800.00"}, format="json")
    assert response.status_code == 200 and response.json()["approved_amount"] == "800.00"
    response = clerk.post(url, {"to_status": "paid", "paid_on": "2023-07-01"}, format="json")
    assert response.json()["status"] == "paid" and response.json()["paid_on"] == "2023-07-01"
    statuses = [
        e.new_values["status"]
        for e in AuditEvent.objects.filter(object_type="assistance.aidapplication", object_id=str(pk)).order_by("id")
    ]
    assert statuses == ["submitted", "reviewed", "approved", "paid"]

    alerts = reviewer.get("/api/v1/high-cost-alerts/?status=open").json()["results"]
    assert [(a["id"], a["id_number_masked"]) for a in alerts] == [(alert.pk, person.masked_id_number)]


def test_api_import(clerk_yuzhong, person, django_capture_on_commit_callbacks):
    data = sample_csv(
        ["姓名", "身份证号", "救助类别", "认定开始日期"],
        [[person.name, person.id_number, "低保", "2023-01-01"], ["别人", person.id_number, "特困", "2023-01-01"]],
    )
    client = staff_client(clerk_yuzhong)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/aid-recipients/import/",
            {"file": SimpleUploadedFile("list.csv", data), "mode": "skip_invalid", "source": "rural"},
            format="multipart",
        )
    assert response.status_code == 202
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert (batch.kind, batch.status, batch.error_rows) == ("aid_recipients", "imported", 1)
    errors = client.get(f"/api/v1/imports/{batch.pk}/errors/").json()["results"]
    assert [(e["row_number"], e["field"], e["message"]) for e in errors] == [(3, "姓名", "姓名与登记信息不符")]
    assert AidRecipient.objects.get().source == "rural"
    # The batch page of the enrollment import shows the result.
    page = staff_client(clerk_yuzhong).get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="recipients-created">1<' in page


def test_import_upload_page(client_for, clerk_yuzhong, person, django_capture_on_commit_callbacks):
    client = client_for(clerk_yuzhong)
    assert client.get("/assistance/recipients/import/").status_code == 200
    data = sample_csv(
        ["姓名", "身份证号", "救助类别", "认定开始日期"], [[person.name, person.id_number, "脱贫", "2023-01-01"]]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/assistance/recipients/import/",
            {"file": SimpleUploadedFile("list.csv", data), "mode": "atomic", "source": "civil_affairs",
             "district": person.district_id},
        )  # fmt: skip
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    assert AidRecipient.objects.get().category == "lifted_poor"
    assert "list.csv" in client.get("/assistance/recipients/import/").content.decode()


def test_reviewer_cannot_approve_what_they_submitted_via_api(reviewer_yuzhong, person):
    application = aid_application_submit(
        actor=reviewer_yuzhong, person=person, year=2023, requested_amount="50", reason="x"
    )
    aid_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.REVIEWED)
    response = staff_client(reviewer_yuzhong).post(
        f"/api/v1/aid-applications/{application.pk}/transition/",
        {"to_status": "approved", "approved_amount": "50"},
        format="json",
    )
    assert response.status_code == 403


# Issue 11: buttons name the action; the application form from the person page; labelled alert rows.


def test_decision_buttons_name_the_action_not_the_resulting_status(
    client_for, clerk_yuzhong, reviewer_yuzhong, make_user, application
):
    def buttons(client) -> dict[str, str]:
        page = client.get(f"/assistance/applications/{application.pk}/").content.decode()
        return dict(re.findall(r'<button type="submit" name="to_status" value="(\w+)"[^>]*>([^<]+)</button>', page))

    reviewer = client_for(reviewer_yuzhong)
    assert buttons(reviewer) == {"reviewed": "初审通过", "rejected": "驳回"}
    response = reviewer.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "reviewed"})
    assert response.status_code == 302
    second = client_for(make_user("reviewer_yz2", "district_reviewer", "500103"))
    assert buttons(second) == {"approved": "批准", "rejected": "驳回"}
    page = second.get(f"/assistance/applications/{application.pk}/").content.decode()
    assert "（驳回时必填）" in page and "（批准时必填）" in page  # the conditional fields say when
    missing = second.post(f"/assistance/applications/{application.pk}/transition/", {"to_status": "approved"})
    assert missing.status_code == 400 and "批准须填写批准金额" in missing.content.decode()
    second.post(
        f"/assistance/applications/{application.pk}/transition/", {"to_status": "approved", "approved_amount": "100"}
    )
    assert buttons(client_for(clerk_yuzhong)) == {"paid": "确认支付"}
    done = client_for(clerk_yuzhong).post(
        f"/assistance/applications/{application.pk}/transition/", {"to_status": "paid"}, follow=True
    )
    assert "已办理：确认支付。当前状态：已支付" in done.content.decode()


def test_application_form_from_the_person_page(client_for, clerk_yuzhong, person):
    client = client_for(clerk_yuzhong)
    url = f"/assistance/applications/new/?person={person.pk}"
    page = client.get(url).content.decode()
    assert "王五" in page and person.masked_id_number in page
    assert person.id_number not in page and 'name="id_number"' not in page
    response = client.post(url, {"year": 2023, "requested_amount": "2000.00", "reason": "住院"})
    assert response.status_code == 302
    assert AidApplication.objects.get().person == person
    assert not AuditEvent.objects.filter(action="view_sensitive").exists()


def test_application_form_for_another_districts_person_is_404(client_for, clerk_jiangbei, person):
    client = client_for(clerk_jiangbei)
    url = f"/assistance/applications/new/?person={person.pk}"  # 王五 lives in Yuzhong
    assert client.get(url).status_code == 404
    assert client.post(url, {"year": 2023, "requested_amount": "2000.00", "reason": "住院"}).status_code == 404
    assert client.get("/assistance/applications/new/?person=x").status_code == 404
    assert not AidApplication.objects.exists()


def test_alert_rows_have_their_own_labelled_fields(client_for, clerk_yuzhong, alert, districts):
    other = HighCostAlert.objects.create(
        person=PersonFactory(district=alert.person.district), district_id=alert.district_id, year=2023,
        out_of_pocket="30000.00", threshold="20000.00",
    )  # fmt: skip
    page = client_for(clerk_yuzhong).get("/assistance/alerts/").content.decode()
    ids = re.findall(r'<(?:select|input)[^>]* id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # no id twice on the page
    for row in (alert, other):
        for name in ("to_status", "note"):
            field_id = f"id_alert{row.pk}_{name}"
            assert field_id in ids
            assert re.search(rf'<label for="{field_id}">[^<]+</label>', page)
