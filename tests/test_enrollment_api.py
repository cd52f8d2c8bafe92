"""REST API under /api/v1/: status codes, JSON shapes, masking, district scope and idempotent payments.

Records of another district answer 404, actions a role lacks answer 403, and service refusals
come back as 400 {field: [Chinese message]}.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from contributions.models import ContributionBill, ContributionPayment
from core.models import AuditEvent
from enrollment.models import (
    Employer,
    Enrollment,
    Person,
    Transfer,
)
from enrollment.services import enrollment_register, person_register
from tests.factories import EmployerFactory, make_credit_code, make_id_number

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _masked(number: str) -> str:
    return number[:6] + "*" * 8 + number[14:]


def _person_payload(number: str, **overrides) -> dict:
    payload = {
        "id_number": number,
        "name": "张三丰",
        "phone": "13800138000",
        "district_code": "500103",
        "scheme": "resident",
        "category": "adult",
        "tier": 1,
        "start_date": "2023-01-01",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def yz_client(client_for, clerk_yuzhong) -> Client:
    return client_for(clerk_yuzhong)


@pytest.fixture
def person(districts):
    """A 渝中区 resident, tier 1 adult, enrolled from 2023-01-01."""
    p = person_register(
        actor=None,
        id_number=make_id_number(area="500103", birth=dt.date(1985, 3, 9), seq=234),
        name="张三丰",
        district_id=districts["500103"].pk,
    )
    enrollment_register(
        actor=None,
        person=p,
        scheme="resident",
        category="adult",
        tier=1,
        district_id=districts["500103"].pk,
        start_date=dt.date(2023, 1, 1),
    )
    return p


@pytest.fixture
def enrollment(person) -> Enrollment:
    return person.enrollments.get()


# --- POST /api/v1/persons/ -------------------------------------------------------------------------------------


def test_register_person_answers_201_with_masked_number_only(yz_client, districts):
    number = make_id_number(area="500103", birth=dt.date(1980, 5, 17), seq=123)
    assert number == "500103198005171239"

    response = yz_client.post("/api/v1/persons/", _person_payload(number), content_type=JSON)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number_masked"] == "500103********1239" == _masked(number)
    assert number not in response.content.decode()
    assert "id_number" not in body
    assert (body["name"], body["gender"], body["birth_year"], body["district_code"]) == ("张三丰", "M", 1980, "500103")
    # The full birth date would rebuild the masked number, so the API never sends it.
    assert "1980-05-17" not in response.content.decode() and "19800517" not in response.content.decode()
    [enrolled] = body["enrollments"]
    assert (enrolled["scheme"], enrolled["category"], enrolled["tier"], enrolled["status"]) == (
        "resident",
        "adult",
        1,
        "active",
    )
    assert "bills" not in body  # money in answers at /api/v1/bills/?person=
    person = Person.objects.get()
    assert (person.pk, person.id_number) == (body["id"], number)
    assert Enrollment.objects.get().person_id == person.pk


def test_register_employee_with_employer_code(yz_client, districts):
    employer = EmployerFactory()
    number = make_id_number()
    payload = _person_payload(
        number,
        scheme="employee",
        category="active",
        tier=None,
        employer_credit_code=employer.credit_code,
        contribution_base="5000.00",
    )
    response = yz_client.post("/api/v1/persons/", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    [enrolled] = response.json()["enrollments"]
    assert enrolled["employer_credit_code"] == employer.credit_code
    assert enrolled["contribution_base"] == "5000.00"
    assert enrolled["tier"] is None


def test_register_person_with_bad_check_digit_is_400_and_writes_nothing(yz_client, districts):
    good = make_id_number(seq=123)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    events_before = AuditEvent.objects.count()

    response = yz_client.post("/api/v1/persons/", _person_payload(bad), content_type=JSON)

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["id_number"]
    [message] = body["id_number"]
    assert "校验位" in message
    assert Person.objects.count() == 0
    assert Enrollment.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_register_person_rolls_back_when_the_enrollment_is_refused(yz_client, districts):
    response = yz_client.post("/api/v1/persons/", _person_payload(make_id_number(), tier=3), content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"tier": ["居民医保须选择一档或二档"]}
    assert Person.objects.count() == 0


def test_register_person_in_other_district_is_400(yz_client, districts):
    response = yz_client.post(
        "/api/v1/persons/", _person_payload(make_id_number(area="500105"), district_code="500105"), content_type=JSON
    )
    assert response.status_code == 400
    assert response.json() == {"district": ["只能在本人所属区县办理该业务"]}
    assert Person.objects.count() == 0


def test_auditor_cannot_register_person(client_for, auditor, districts):
    response = client_for(auditor).post("/api/v1/persons/", _person_payload(make_id_number()), content_type=JSON)
    assert response.status_code == 403
    assert Person.objects.count() == 0


# --- search, detail, scope -------------------------------------------------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_search_by_full_number_prefix_and_exact_name(yz_client, client_for, reviewer_jiangbei, person, districts):
    # an unrelated person of the same district, to prove the filters filter
    other = person_register(
        actor=None, id_number=make_id_number(birth=dt.date(1999, 9, 9)), name="李四", district_id=districts["500103"].pk
    )
    number = person.id_number

    assert _ids(yz_client.get("/api/v1/persons/", {"q": number})) == [person.pk]
    assert _ids(yz_client.get("/api/v1/persons/", {"q": number[:10]})) == [person.pk]
    assert _ids(yz_client.get("/api/v1/persons/", {"q": "张三丰"})) == [person.pk]
    assert _ids(yz_client.get("/api/v1/persons/", {"q": "张三"})) == []  # exact name, not a prefix
    # an ID prefix lists in ID-number order (a range scan that stops after one page; issue 14 point 5)
    by_number = [p.pk for p in sorted((other, person), key=lambda p: p.id_number)]
    assert _ids(yz_client.get("/api/v1/persons/", {"q": "500103"})) == by_number

    [row] = yz_client.get("/api/v1/persons/", {"q": number}).json()["results"]
    assert row["id_number_masked"] == _masked(number)

    jiangbei = client_for(reviewer_jiangbei)
    for q in (number, number[:10], "张三丰"):
        assert _ids(jiangbei.get("/api/v1/persons/", {"q": q})) == []


def test_person_detail_is_404_for_other_district_and_200_for_city_wide_auditor(
    yz_client, client_for, reviewer_jiangbei, auditor, person
):
    url = f"/api/v1/persons/{person.pk}/"
    assert yz_client.get(url).status_code == 200
    assert client_for(reviewer_jiangbei).get(url).status_code == 404
    response = client_for(auditor).get(url)
    assert response.status_code == 200
    assert response.json()["id_number_masked"] == _masked(person.id_number)
    assert person.id_number not in response.content.decode()
    assert yz_client.get("/api/v1/persons/999999/").status_code == 404


# --- reveal ----------------------------------------------------------------------------------------------------


def test_reveal_id_for_own_district_clerk_is_audited(yz_client, clerk_yuzhong, person):
    response = yz_client.post(f"/api/v1/persons/{person.pk}/reveal-id/")
    assert response.status_code == 200
    assert response.json() == {"id_number": person.id_number}
    event = AuditEvent.objects.get(action="view_sensitive")
    assert (event.actor_id, event.object_id) == (clerk_yuzhong.pk, str(person.pk))


def test_reveal_id_refused_to_auditor_and_hidden_from_other_district(client_for, auditor, reviewer_jiangbei, person):
    url = f"/api/v1/persons/{person.pk}/reveal-id/"
    denied = client_for(auditor).post(url)
    assert denied.status_code == 403
    assert person.id_number not in denied.content.decode()
    hidden = client_for(reviewer_jiangbei).post(url)
    assert hidden.status_code == 404
    assert person.id_number not in hidden.content.decode()
    assert not AuditEvent.objects.filter(action="view_sensitive").exists()


def test_auditor_cannot_read_full_id_number_from_the_audit_trail(yz_client, client_for, auditor, districts):
    # Regression: the CREATE event kept the full number in new_values, readable by the auditor, who may not unmask.
    number = make_id_number(seq=321)
    assert yz_client.post("/api/v1/persons/", _person_payload(number), content_type=JSON).status_code == 201
    auditor_client = client_for(auditor)
    assert auditor_client.post(f"/api/v1/persons/{Person.objects.get().pk}/reveal-id/").status_code == 403

    response = auditor_client.get("/api/v1/audit-events/", {"object_type": "enrollment.person"})

    assert response.status_code == 200
    [event] = response.json()["results"]
    assert event["new_values"]["id_number"] == _masked(number)
    assert event["new_values"]["name"] == "张三丰"
    assert number not in response.content.decode()


# --- PATCH -----------------------------------------------------------------------------------------------------


def test_patch_person_by_auditor_is_403_and_changes_nothing(client_for, auditor, person):
    response = client_for(auditor).patch(
        f"/api/v1/persons/{person.pk}/", {"name": "改名", "phone": "13900000000"}, content_type=JSON
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert (person.name, person.phone) == ("张三丰", "")
    assert not AuditEvent.objects.filter(action="update", object_type="enrollment.person").exists()


def test_patch_person_by_own_clerk_and_other_district(yz_client, client_for, reviewer_jiangbei, person):
    url = f"/api/v1/persons/{person.pk}/"
    assert client_for(reviewer_jiangbei).patch(url, {"name": "外区改名"}, content_type=JSON).status_code == 404
    response = yz_client.patch(url, {"name": "张三", "phone": "023-63800000"}, content_type=JSON)
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["phone"]) == ("张三", "023-63800000")
    person.refresh_from_db()
    assert person.name == "张三"
    bad = yz_client.patch(url, {"name": "张三", "phone": "12345"}, content_type=JSON)
    assert bad.status_code == 400
    assert list(bad.json()) == ["phone"]


# --- terminate and transfer ------------------------------------------------------------------------------------


def test_terminate_enrollment(yz_client, client_for, reviewer_jiangbei, enrollment):
    url = f"/api/v1/enrollments/{enrollment.pk}/terminate/"
    payload = {"end_date": "2023-06-30", "reason": "moved_away"}

    assert client_for(reviewer_jiangbei).post(url, payload, content_type=JSON).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == "active"

    response = yz_client.post(url, payload, content_type=JSON)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["end_date"], body["end_reason"]) == (
        enrollment.pk,
        "terminated",
        "2023-06-30",
        "moved_away",
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_date) == ("terminated", dt.date(2023, 6, 30))

    again = yz_client.post(url, payload, content_type=JSON)
    assert again.status_code == 400
    assert again.json() == {"status": ["参保状态不能从“终止”变为“终止”"]}


def test_terminate_before_start_is_400(yz_client, enrollment):
    response = yz_client.post(
        f"/api/v1/enrollments/{enrollment.pk}/terminate/",
        {"end_date": "2022-12-31", "reason": "other"},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json() == {"end_date": ["终止日期不能早于参保开始日期"]}
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


def test_transfer_enrollment(yz_client, client_for, reviewer_jiangbei, person, enrollment):
    url = f"/api/v1/enrollments/{enrollment.pk}/transfer/"
    payload = {"to_district_code": "500105", "transfer_date": "2023-07-01"}
    jiangbei = client_for(reviewer_jiangbei)

    assert jiangbei.post(url, payload, content_type=JSON).status_code == 404
    assert Transfer.objects.count() == 0

    response = yz_client.post(url, payload, content_type=JSON)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != enrollment.pk
    assert (body["district_code"], body["start_date"], body["status"], body["tier"]) == (
        "500105",
        "2023-07-01",
        "active",
        1,
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_date, enrollment.end_reason) == (
        "terminated",
        dt.date(2023, 6, 30),
        "transferred",
    )
    # the person now belongs to 江北区
    assert yz_client.get(f"/api/v1/persons/{person.pk}/").status_code == 404
    detail = jiangbei.get(f"/api/v1/persons/{person.pk}/")
    assert detail.status_code == 200
    assert detail.json()["district_code"] == "500105"
    # PersonDetailOutput.enrollments has no ordering (PostgreSQL returns either order), so compare as a mapping
    assert {e["id"]: (e["status"], e["district_code"]) for e in detail.json()["enrollments"]} == {
        enrollment.pk: ("terminated", "500103"),
        body["id"]: ("active", "500105"),
    }


def test_transfer_to_unknown_or_same_district_is_400(yz_client, enrollment):
    url = f"/api/v1/enrollments/{enrollment.pk}/transfer/"
    unknown = yz_client.post(url, {"to_district_code": "999999", "transfer_date": "2023-07-01"}, content_type=JSON)
    assert unknown.status_code == 400
    assert unknown.json() == {"to_district_code": ["区县代码不存在"]}
    same = yz_client.post(url, {"to_district_code": "500103", "transfer_date": "2023-07-01"}, content_type=JSON)
    assert same.status_code == 400
    assert same.json() == {"to_district": ["转入区县与当前区县相同"]}
    assert Enrollment.objects.count() == 1


# --- bills and payments ----------------------------------------------------------------------------------------


def test_issue_bill_then_pay_it_idempotently(yz_client, client_for, reviewer_jiangbei, person, enrollment):
    # Given a 2023 bill issued through the API
    issued = yz_client.post(f"/api/v1/enrollments/{enrollment.pk}/bills/", {"coverage_year": 2023}, content_type=JSON)
    assert issued.status_code == 201, issued.content
    bill = issued.json()
    assert (bill["due_amount"], bill["paid_amount"], bill["outstanding"], bill["status"]) == (
        "350.00",
        "0.00",
        "350.00",
        "unpaid",
    )
    pay_url = f"/api/v1/bills/{bill['id']}/payments/"
    payment = {"amount": "350.00", "paid_on": "2023-02-01", "reference": "R1"}

    # another district cannot even see it
    assert client_for(reviewer_jiangbei).post(pay_url, payment, content_type=JSON).status_code == 404

    # when it is paid, then paid again with the same reference (a retry)
    first = yz_client.post(pay_url, payment, content_type=JSON)
    replay = yz_client.post(pay_url, payment, content_type=JSON)

    assert first.status_code == 201, first.content
    assert replay.status_code == 200, replay.content
    assert replay.json()["id"] == first.json()["id"]
    assert (first.json()["amount"], first.json()["reference"], first.json()["channel"]) == ("350.00", "R1", "api")
    assert ContributionPayment.objects.count() == 1

    # then the bill list shows it paid once
    listed = yz_client.get("/api/v1/bills/", {"person": person.pk})
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert (row["id"], row["paid_amount"], row["outstanding"], row["status"]) == (bill["id"], "350.00", "0.00", "paid")
    assert [p["id"] for p in row["payments"]] == [first.json()["id"]]
    assert ContributionBill.objects.get().paid_amount == Decimal("350.00")


def test_payment_errors_are_400_with_field(yz_client, enrollment):
    bill_id = yz_client.post(
        f"/api/v1/enrollments/{enrollment.pk}/bills/", {"coverage_year": 2023}, content_type=JSON
    ).json()["id"]
    url = f"/api/v1/bills/{bill_id}/payments/"

    over = yz_client.post(url, {"amount": "350.01", "paid_on": "2023-02-01", "reference": "R1"}, content_type=JSON)
    assert over.status_code == 400
    [message] = over.json()["amount"]
    assert "超过未缴金额" in message

    zero = yz_client.post(url, {"amount": "0", "paid_on": "2023-02-01", "reference": "R2"}, content_type=JSON)
    assert zero.status_code == 400
    assert zero.json() == {"amount": ["缴费金额须大于0"]}

    partial = yz_client.post(url, {"amount": "100", "paid_on": "2023-02-01", "reference": "R3"}, content_type=JSON)
    assert partial.status_code == 201
    assert partial.json()["amount"] == "100.00"
    clash = yz_client.post(url, {"amount": "50", "paid_on": "2023-02-01", "reference": "R3"}, content_type=JSON)
    assert clash.status_code == 400
    assert clash.json() == {"reference": ["该缴费流水号已记录为另一笔缴费"]}
    assert list(ContributionPayment.objects.values_list("reference", "amount")) == [("R3", Decimal("100.00"))]


def test_bill_for_year_without_standard_is_400(yz_client, enrollment):
    response = yz_client.post(f"/api/v1/enrollments/{enrollment.pk}/bills/", {"coverage_year": 2031}, content_type=JSON)
    assert response.status_code == 400
    [message] = response.json()["coverage_year"]
    assert "未设置2031年度" in message
    assert ContributionBill.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/bills/?person=abc", "person"),
        ("/api/v1/bills/?coverage_year=abc", "coverage_year"),
        ("/api/v1/enrollments/?person=abc", "person"),
    ],
)
def test_non_numeric_list_filter_is_400_not_a_server_error(clerk_yuzhong, person, url, field):
    # Regression: the value went straight into .filter(), whose ValueError became a 500.
    client = Client(raise_request_exception=False)
    client.force_login(clerk_yuzhong)
    response = client.get(url)
    assert response.status_code == 400
    assert response.json() == {field: ["应为数字"]}


# --- employers -------------------------------------------------------------------------------------------------


def test_register_employer(yz_client, districts):
    code = make_credit_code(n=4242)
    response = yz_client.post(
        "/api/v1/employers/",
        {"credit_code": code.lower(), "name": "重庆山城医药有限公司", "district_code": "500103"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["credit_code"], body["name"], body["district_code"]) == (code, "重庆山城医药有限公司", "500103")
    assert Employer.objects.get().credit_code == code


def test_register_employer_with_bad_check_char_is_400(yz_client, districts):
    code = make_credit_code(n=4242)
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    response = yz_client.post(
        "/api/v1/employers/", {"credit_code": bad, "name": "错码公司", "district_code": "500103"}, content_type=JSON
    )
    assert response.status_code == 400
    assert response.json() == {"credit_code": ["统一社会信用代码校验位错误"]}
    assert Employer.objects.count() == 0


# --- schema and pagination -------------------------------------------------------------------------------------


def test_openapi_schema_lists_person_endpoint(yz_client):
    response = yz_client.get("/api/schema/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "/api/v1/persons/" in content
    assert "/api/v1/bills/{id}/payments/" in content


def test_lists_use_cursor_pagination_without_count(yz_client, districts):
    created = [
        person_register(
            actor=None,
            id_number=make_id_number(birth=dt.date(1990, 1, 1) + dt.timedelta(days=i)),
            name="分页" + "甲乙丙"[i],
            district_id=districts["500103"].pk,
        ).pk
        for i in range(3)
    ]

    first = yz_client.get("/api/v1/persons/", {"page_size": 2})

    assert first.status_code == 200
    page = first.json()
    assert "count" not in page
    assert {"next", "previous", "results"} <= set(page)
    assert [r["id"] for r in page["results"]] == sorted(created, reverse=True)[:2]
    assert "cursor=" in page["next"]

    second = yz_client.get(page["next"]).json()
    assert [r["id"] for r in second["results"]] == [min(created)]
    assert second["next"] is None

    for url in ("/api/v1/enrollments/", "/api/v1/bills/", "/api/v1/employers/"):
        body = yz_client.get(url).json()
        assert "count" not in body
        assert {"next", "results"} <= set(body)


def test_employer_search_by_name_keeps_latin_case(yz_client, districts):
    EmployerFactory(name="abc医药有限公司")
    response = yz_client.get("/api/v1/employers/", {"q": "abc"})
    assert [e["name"] for e in response.json()["results"]] == ["abc医药有限公司"]
