"""飞行检查: open, record findings and money, link confirmed suspicions, close; pages and API; roles and districts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit import inspection_services as services
from audit.models import Inspection
from core.models import AuditEvent
from core.roles import Role
from tests.benefits_support import resident, staff_client
from tests.supervision_support import settle, suspicion

D = Decimal
API = "/api/v1/inspections/"


@pytest.fixture
def sup_yz(make_user):
    return make_user("sup_yz", Role.FUND_SUPERVISOR, "500103")


@pytest.fixture
def sup_jb(make_user):
    return make_user("sup_jb", Role.FUND_SUPERVISOR, "500105")


@pytest.fixture
def hospital_jb(districts):
    from benefits.services import institution_register

    return institution_register(
        actor=None, name="江北区中医院", kind="hospital", level=3, district_id=districts["500105"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip


@pytest.fixture
def case(sup_yz, hospital_yz):
    return services.inspection_open(
        actor=sup_yz, institution=hospital_yz, started_on=dt.date(2023, 5, 8), inspectors="张三、李四"
    )


def events(obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="audit.inspection", object_id=str(obj.pk)).order_by("id"))


def test_supervisor_opens_a_case_from_the_page(client_for, sup_yz, hospital_yz):
    client = client_for(sup_yz)
    assert client.get("/audit/inspections/new/").status_code == 200
    response = client.post(
        "/audit/inspections/new/",
        {
            "institution_code": hospital_yz.code.lower(),
            "started_on": "2023-05-08",
            "inspectors": "张三",
            "findings": "病历不全",
        },
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == f"/audit/inspections/{inspection.pk}/"
    assert (inspection.district_id, inspection.status, inspection.created_by) == (
        hospital_yz.district_id,
        "open",
        sup_yz,
    )
    [event] = events(inspection)
    assert (event.action, event.actor, event.district_id) == ("create", sup_yz, hospital_yz.district_id)
    assert event.new_values["inspectors"] == "张三" and event.new_values["findings"] == "病历不全"
    page = client.get("/audit/inspections/").content.decode()
    assert f"/audit/inspections/{inspection.pk}/" in page and "渝中区人民医院" in page


def test_another_district_sees_nothing_and_changes_nothing(client_for, sup_jb, case, hospital_yz):
    client = client_for(sup_jb)
    response = client.post(
        "/audit/inspections/new/",
        {"institution_code": hospital_yz.code, "started_on": "2023-05-08", "inspectors": "王五"},
    )
    assert response.status_code == 400
    assert "机构编码不存在或不在您的管辖范围内" in response.content.decode()
    assert client.get(f"/audit/inspections/{case.pk}/").status_code == 404
    assert (
        client.post(f"/audit/inspections/{case.pk}/", {"action": "close", "closed_on": "2023-06-01"}).status_code == 404
    )
    assert "渝中区人民医院" not in client.get("/audit/inspections/").content.decode()
    api = staff_client(sup_jb)
    assert api.get(API).json()["results"] == []
    assert api.get(f"{API}{case.pk}/").status_code == 404
    assert api.patch(f"{API}{case.pk}/", {"recovered_amount": "1.00"}, format="json").status_code == 404
    with pytest.raises(PermissionDenied):
        services.inspection_update(actor=sup_jb, inspection=case, findings="x")
    assert Inspection.objects.count() == 1 and len(events(case)) == 1
    case.refresh_from_db()
    assert (case.status, case.recovered_amount, case.findings) == ("open", D("0.00"), "")


def test_roles_without_supervise_cannot_open(client_for, make_user, auditor, case, hospital_yz):
    clerk = make_user("ck", Role.DISTRICT_CLERK, "500103")
    assert client_for(clerk).get("/audit/inspections/").status_code == 403
    assert client_for(auditor).get("/audit/inspections/new/").status_code == 403
    assert client_for(auditor).get(f"/audit/inspections/{case.pk}/").status_code == 200  # auditors read
    body = {"institution_code": hospital_yz.code, "started_on": "2023-05-08", "inspectors": "x"}
    assert staff_client(auditor).post(API, body, format="json").status_code == 403
    assert Inspection.objects.count() == 1


def test_record_findings_amounts_and_link_confirmed_suspicions(
    client_for, sup_yz, case, hospital_yz, hospital_jb, policy_2023
):
    person = resident()
    confirmed = suspicion(settle(person, hospital_yz, dt.date(2023, 3, 1), pooled="800.00"), amount="800.00")
    still_open = suspicion(
        settle(person, hospital_yz, dt.date(2023, 3, 2), pooled="10.00"), amount="10.00", status="open"
    )
    elsewhere = suspicion(settle(person, hospital_jb, dt.date(2023, 3, 3), pooled="20.00"), amount="20.00")
    client = client_for(sup_yz)
    url = f"/audit/inspections/{case.pk}/"
    assert f"#{confirmed.pk}" in client.get(url).content.decode()  # offered as a candidate
    form = {"action": "update", "inspectors": "张三", "findings": "串换药品", "recovered_amount": "12345.67",
            "penalty_amount": "0.10", "suspicion_ids": f"{confirmed.pk}"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    case.refresh_from_db()
    assert (case.recovered_amount, case.penalty_amount, case.findings) == (D("12345.67"), D("0.10"), "串换药品")
    assert list(case.suspicions.values_list("pk", flat=True)) == [confirmed.pk]
    update = events(case)[-1]
    assert update.action == "update" and update.actor == sup_yz
    assert update.old_values["recovered_amount"] == "0.00" and update.new_values["recovered_amount"] == "12345.67"
    assert update.new_values["suspicion_ids"] == [confirmed.pk]

    before = len(events(case))
    for bad, field_message in [
        ({"recovered_amount": "-1"}, "追回金额不能为负数"),
        ({"penalty_amount": "1.234"}, "罚款金额最多精确到分（两位小数）"),
        ({"suspicion_ids": f"{still_open.pk},{elsewhere.pk}"}, f"疑点 {still_open.pk}、{elsewhere.pk} 不存在"),
        ({"suspicion_ids": "abc"}, "疑点编号须为数字"),
    ]:  # fmt: skip
        response = client.post(url, {**form, "recovered_amount": "1.00", **bad})
        assert response.status_code == 400
        assert field_message in response.content.decode()
    case.refresh_from_db()
    assert (case.recovered_amount, case.penalty_amount) == (D("12345.67"), D("0.10"))
    assert list(case.suspicions.values_list("pk", flat=True)) == [confirmed.pk]
    assert len(events(case)) == before


def test_service_rejects_bad_money_with_field_messages(sup_yz, case):
    for value, message in [
        ("-0.01", "追回金额不能为负数"),
        ("1.001", "追回金额最多精确到分"),
        ("abc", "追回金额须为金额"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.inspection_update(actor=sup_yz, inspection=case, recovered_amount=value)
        assert message in error.value.message_dict["recovered_amount"][0]
    with pytest.raises(ValidationError) as error:
        services.inspection_update(actor=sup_yz, inspection=case, inspectors="  ")
    assert error.value.message_dict == {"inspectors": ["请填写检查人员"]}


def test_close_needs_a_date_not_before_the_start_and_freezes_the_case(client_for, sup_yz, case):
    client = client_for(sup_yz)
    url = f"/audit/inspections/{case.pk}/"
    response = client.post(url, {"action": "close", "closed_on": "2023-05-07"})
    assert response.status_code == 400 and "结案日期不能早于检查日期（2023-05-08）" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("open", None)
    assert client.post(url, {"action": "close", "closed_on": "2023-05-08"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("closed", dt.date(2023, 5, 8))
    closing = events(case)[-1]
    assert (closing.action, closing.old_values, closing.new_values) == (
        "status", {"status": "open", "closed_on": None}, {"status": "closed", "closed_on": "2023-05-08"},
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.inspection_update(actor=sup_yz, inspection=case, findings="late")
    assert error.value.message_dict == {"status": ["该检查已结案，不能再修改"]}
    assert 'data-testid="update-form"' not in client.get(url).content.decode()


def test_api_create_patch_and_close(sup_yz, municipal_admin, hospital_yz, hospital_jb, policy_2023):
    api = staff_client(sup_yz)
    bad = api.post(
        API, {"institution_code": hospital_jb.code, "started_on": "2023-05-08", "inspectors": "x"}, format="json"
    )
    assert bad.status_code == 400 and bad.json() == {"institution_code": ["机构编码不存在或不在您的管辖范围内"]}
    created = api.post(API, {"institution_code": hospital_yz.code, "started_on": "2023-05-08", "inspectors": "张三"},
                       format="json")  # fmt: skip
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["district_code"] == "500103" and created.json()["recovered_amount"] == "0.00"
    confirmed = suspicion(settle(resident(), hospital_yz, dt.date(2023, 3, 1), pooled="80.00"), amount="80.00")
    patched = api.patch(f"{API}{pk}/", {"recovered_amount": "800.50", "suspicion_ids": [confirmed.pk]}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["recovered_amount"], patched.json()["suspicion_ids"]) == ("800.50", [confirmed.pk])
    # Findings and a bad closing date in one request: neither lands.
    rejected = api.patch(f"{API}{pk}/", {"findings": "new", "closed_on": "2023-01-01"}, format="json")
    assert rejected.status_code == 400 and "结案日期不能早于检查日期" in rejected.json()["closed_on"][0]
    assert Inspection.objects.get(pk=pk).findings == ""
    negative = api.patch(f"{API}{pk}/", {"penalty_amount": "-5"}, format="json")
    assert negative.status_code == 400 and "penalty_amount" in negative.json()
    closed = api.patch(f"{API}{pk}/", {"closed_on": "2023-06-30"}, format="json").json()
    assert (closed["status"], closed["closed_on"]) == ("closed", "2023-06-30")
    # A city-wide supervisor opens a case in any district.
    city = staff_client(municipal_admin).post(
        API, {"institution_code": hospital_jb.code, "started_on": "2023-07-01", "inspectors": "市局"}, format="json"
    )
    assert city.status_code == 201 and city.json()["district_code"] == "500105"
    assert [r["id"] for r in staff_client(sup_yz).get(API, {"status": "closed"}).json()["results"]] == [pk]


def test_list_filters_by_status_with_a_fixed_number_of_queries(
    client_for, sup_yz, hospital_yz, django_assert_max_num_queries
):
    for day in range(1, 6):
        services.inspection_open(
            actor=sup_yz, institution=hospital_yz, started_on=dt.date(2023, 5, day), inspectors="x"
        )
    last = Inspection.objects.order_by("id").last()
    services.inspection_close(actor=sup_yz, inspection=last, closed_on=dt.date(2023, 6, 1))
    client = client_for(sup_yz)
    with django_assert_max_num_queries(7):  # session, user, nav, rows (with institution and district): not per row
        client.get("/audit/inspections/")
    with django_assert_max_num_queries(7):
        html = client.get("/audit/inspections/", {"status": "closed"}).content.decode()
    assert html.count("/audit/inspections/") - html.count("/audit/inspections/new/") - 1 >= 1
    assert f'href="/audit/inspections/{last.pk}/"' in html
    first = Inspection.objects.order_by("id").first()
    assert f'href="/audit/inspections/{first.pk}/"' not in html
