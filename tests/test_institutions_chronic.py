"""定点医药机构 (codes, levels, agreement, district scope), 门诊慢特病 registrations, and students'
benefit periods (待遇享受期), through the services and end to end through the API."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from benefits.models import ChronicRegistration, Institution, Settlement
from benefits.periods import benefit_period, coverage_year_for
from benefits.services import (
    benefit_policy_load,
    chronic_registration_create,
    chronic_registration_revoke,
    institution_register,
)
from contributions.models import ContributionBill
from core.models import AuditEvent
from enrollment.models import Enrollment
from tests.benefits_support import SETTLEMENTS, claim, outpatient, resident, staff_client, token_client, unpaid_bill
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db
START = dt.date(2020, 1, 1)


def _register(districts, *, kind="hospital", level=2, district="500103", code="", actor=None, name="测试医院"):
    return institution_register(
        actor=actor, name=name, kind=kind, level=level, district_id=districts[district].pk, agreement_start=START,
        code=code,
    )  # fmt: skip


def _messages(exc_info) -> dict:
    return exc_info.value.message_dict


# --- codes and levels -------------------------------------------------------------------------------------------


def test_codes_are_generated_per_kind_and_district(districts):
    codes = [
        _register(districts).code,
        _register(districts, level=3).code,
        _register(districts, kind="pharmacy", level=None).code,
        _register(districts, district="500105", level=1).code,
        _register(districts, kind="pharmacy", level=None).code,
        _register(districts).code,
    ]
    assert codes == [
        "H50010300001",
        "H50010300002",
        "P50010300001",
        "H50010500001",
        "P50010300002",
        "H50010300003",
    ]
    assert all(len(code) == 12 for code in codes)
    assert Institution.objects.get(code="P50010300001").level == 0  # pharmacies have no level
    assert Institution.objects.get(code="H50010500001").district.code == "500105"


def test_a_given_code_is_kept_and_the_sequence_goes_on_after_it(districts):
    assert _register(districts, code=" h50010300007 ").code == "H50010300007"
    assert _register(districts).code == "H50010300008"
    with pytest.raises(ValidationError) as taken:
        _register(districts, code="H50010300007")
    assert _messages(taken) == {"code": ["机构编码 H50010300007 已登记"]}


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("hospital", "P50010300009", "机构编码首字母与机构类型不符：医院为H，药店为P"),
        ("pharmacy", "H50010300009", "机构编码首字母与机构类型不符：医院为H，药店为P"),
        ("hospital", "H50010500009", "机构编码第2-7位应为所在区县代码 500103"),
        ("hospital", "H5001030001", "机构编码应为12位：H（医院）或P（药店）+ 6位区县代码 + 5位顺序号"),
        ("hospital", "H500103000011", "机构编码应为12位：H（医院）或P（药店）+ 6位区县代码 + 5位顺序号"),
        ("hospital", "X50010300001", "机构编码应为12位：H（医院）或P（药店）+ 6位区县代码 + 5位顺序号"),
        ("hospital", "H5001030000A", "机构编码应为12位：H（医院）或P（药店）+ 6位区县代码 + 5位顺序号"),
    ],
)
def test_a_malformed_code_is_refused_in_chinese_and_nothing_is_written(districts, kind, code, message):
    with pytest.raises(ValidationError) as refused:
        _register(districts, kind=kind, level=2 if kind == "hospital" else None, code=code)
    assert _messages(refused) == {"code": [message]}
    assert not Institution.objects.exists()
    assert not AuditEvent.objects.filter(object_type="benefits.institution").exists()


@pytest.mark.parametrize("level", [0, 4, None, -1])
def test_hospitals_are_level_1_2_or_3(districts, level):
    with pytest.raises(ValidationError) as refused:
        _register(districts, level=level)
    assert _messages(refused) == {"level": ["医院等级应为一级、二级或三级"]}
    assert not Institution.objects.exists()


def test_other_bad_registrations_name_their_field(districts):
    with pytest.raises(ValidationError) as no_name:
        _register(districts, name="  ")
    assert _messages(no_name) == {"name": ["机构名称不能为空"]}
    with pytest.raises(ValidationError) as kind:
        _register(districts, kind="clinic")
    assert "kind" in _messages(kind)
    with pytest.raises(ValidationError) as dates:
        institution_register(
            actor=None, name="x", kind="hospital", level=1, district_id=districts["500103"].pk,
            agreement_start=START, agreement_end=dt.date(2019, 1, 1),
        )  # fmt: skip
    assert _messages(dates) == {"agreement_end": ["协议截止日期不能早于开始日期"]}
    assert not Institution.objects.exists()


def test_registration_is_district_bound_and_audited(districts, clerk_yuzhong, clerk_jiangbei, auditor):
    with pytest.raises(ValidationError) as other_district:
        _register(districts, actor=clerk_jiangbei)
    assert _messages(other_district) == {"district": ["只能在本人所属区县办理该业务"]}
    with pytest.raises(PermissionDenied):
        _register(districts, actor=auditor)
    assert not Institution.objects.exists()

    institution = _register(districts, actor=clerk_yuzhong)

    event = AuditEvent.objects.get(object_type="benefits.institution", object_id=str(institution.pk))
    assert (event.action, event.actor, event.district_id) == ("create", clerk_yuzhong, districts["500103"].pk)
    assert event.new_values["code"] == "H50010300001"


# --- the institutions API -----------------------------------------------------------------------------------------


def _payload(**overrides) -> dict:
    body = {"name": "渝中区第三医院", "kind": "hospital", "level": 3, "district_code": "500103",
            "agreement_start": "2021-01-01"}  # fmt: skip
    body.update(overrides)
    return body


def test_api_create_and_list_are_scoped_to_the_district(districts, clerk_yuzhong, clerk_jiangbei, municipal_admin):
    yz, jb = staff_client(clerk_yuzhong), staff_client(clerk_jiangbei)

    refused = jb.post("/api/v1/institutions/", _payload(), format="json")
    assert refused.status_code in (400, 403)
    assert not Institution.objects.exists()

    created = yz.post("/api/v1/institutions/", _payload(), format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["code"], body["level"], body["district_code"], body["agreement_status"]) == (
        "H50010300001",
        3,
        "500103",
        "active",
    )
    jb.post("/api/v1/institutions/", _payload(name="江北区医院", district_code="500105", level=2), format="json")

    assert [i["code"] for i in yz.get("/api/v1/institutions/").json()["results"]] == ["H50010300001"]
    assert [i["code"] for i in jb.get("/api/v1/institutions/").json()["results"]] == ["H50010500001"]
    assert jb.get("/api/v1/institutions/?q=H500103").json()["results"] == []
    assert jb.get(f"/api/v1/institutions/{body['id']}/").status_code == 404
    patch = _payload(agreement_status="suspended")
    assert jb.patch(f"/api/v1/institutions/{body['id']}/", patch, format="json").status_code == 404
    assert Institution.objects.get(pk=body["id"]).agreement_status == "active"
    city = staff_client(municipal_admin).get("/api/v1/institutions/").json()["results"]
    assert sorted(i["code"] for i in city) == ["H50010300001", "H50010500001"]


def test_api_refusals_name_the_field_in_chinese(districts, clerk_yuzhong, auditor):
    yz = staff_client(clerk_yuzhong)
    wrong_letter = yz.post("/api/v1/institutions/", _payload(code="P50010300001"), format="json")
    assert wrong_letter.status_code == 400
    assert wrong_letter.json() == {"code": ["机构编码首字母与机构类型不符：医院为H，药店为P"]}
    bad_level = yz.post("/api/v1/institutions/", _payload(level=5), format="json")
    assert bad_level.json() == {"level": ["医院等级应为一级、二级或三级"]}
    unknown_district = yz.post("/api/v1/institutions/", _payload(district_code="999999"), format="json")
    assert unknown_district.json() == {"district_code": ["区县代码不存在"]}
    assert staff_client(auditor).post("/api/v1/institutions/", _payload(), format="json").status_code == 403
    assert not Institution.objects.exists()


def test_suspending_the_agreement_stops_settlements_and_is_audited(
    districts, policy_2023, hospital_yz, institution_user, clerk_yuzhong
):
    person = resident()
    his = token_client(institution_user)
    assert his.post(SETTLEMENTS, claim(person, "S-1"), format="json").status_code == 201
    yz = staff_client(clerk_yuzhong)

    update = {"name": hospital_yz.name, "level": 2, "agreement_status": "suspended", "agreement_start": "2020-01-01"}
    response = yz.patch(f"/api/v1/institutions/{hospital_yz.pk}/", update, format="json")

    assert response.status_code == 200 and response.json()["agreement_status"] == "suspended"
    event = AuditEvent.objects.get(object_type="benefits.institution", object_id=str(hospital_yz.pk), action="update")
    assert (event.old_values, event.new_values, event.actor) == (
        {"agreement_status": "active"},
        {"agreement_status": "suspended"},
        clerk_yuzhong,
    )
    refused = his.post(SETTLEMENTS, claim(person, "S-2", service_date="2023-04-01", discharge_date="2023-04-02"),
                       format="json")  # fmt: skip
    assert refused.status_code == 400 and "暂停结算" in refused.json()["institution"][0]
    assert Settlement.objects.count() == 1

    # an unchanged update writes no event; re-activating lets settlements through again
    yz.patch(f"/api/v1/institutions/{hospital_yz.pk}/", update, format="json")
    assert AuditEvent.objects.filter(object_id=str(hospital_yz.pk), action="update").count() == 1
    yz.patch(f"/api/v1/institutions/{hospital_yz.pk}/", {**update, "agreement_status": "active"}, format="json")
    again = his.post(SETTLEMENTS, claim(person, "S-2", service_date="2023-04-01", discharge_date="2023-04-02"),
                     format="json")  # fmt: skip
    assert again.status_code == 201


def test_update_refusals_change_nothing(districts, hospital_yz, clerk_yuzhong):
    yz = staff_client(clerk_yuzhong)
    url = f"/api/v1/institutions/{hospital_yz.pk}/"
    base = {"name": hospital_yz.name, "level": 2, "agreement_status": "active", "agreement_start": "2020-01-01"}
    bad_dates = yz.patch(url, {**base, "agreement_end": "2019-12-31"}, format="json")
    assert bad_dates.json() == {"agreement_end": ["协议截止日期不能早于开始日期"]}
    bad_level = yz.patch(url, {**base, "level": 0}, format="json")
    assert bad_level.json() == {"level": ["医院等级应为一级、二级或三级"]}
    bad_status = yz.patch(url, {**base, "agreement_status": "paused"}, format="json")
    assert bad_status.status_code == 400 and "agreement_status" in bad_status.json()
    hospital_yz.refresh_from_db()
    assert (hospital_yz.level, hospital_yz.agreement_end, hospital_yz.agreement_status) == (2, None, "active")
    assert not AuditEvent.objects.filter(object_type="benefits.institution", action="update").exists()


def test_optional_fields_may_be_left_out(districts, clerk_yuzhong):
    """Regression: a pharmacy without "level", or an update without "agreement_end", answered 500."""
    yz = staff_client(clerk_yuzhong)
    pharmacy = yz.post("/api/v1/institutions/", {"name": "渝中药房", "kind": "pharmacy", "district_code": "500103",
                                                 "agreement_start": "2021-01-01"}, format="json")  # fmt: skip
    assert pharmacy.status_code == 201
    assert (pharmacy.json()["code"], pharmacy.json()["level"]) == ("P50010300001", 0)
    hospital = yz.post("/api/v1/institutions/", _payload(agreement_end="2030-12-31"), format="json").json()
    url = f"/api/v1/institutions/{hospital['id']}/"

    renamed = yz.patch(url, {"name": "渝中区第三人民医院", "agreement_status": "active",
                             "agreement_start": "2021-01-01"}, format="json")  # fmt: skip

    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["level"], renamed.json()["agreement_end"]) == (
        "渝中区第三人民医院",
        3,
        "2030-12-31",
    )
    event = AuditEvent.objects.get(object_type="benefits.institution", action="update")
    assert event.new_values == {"name": "渝中区第三人民医院"}
    body = {"name": "渝中区第三人民医院", "agreement_status": "active", "agreement_start": "2021-01-01"}
    cleared = yz.patch(url, {**body, "agreement_end": None}, format="json")
    assert cleared.json()["agreement_end"] is None
    assert Institution.objects.get(pk=hospital["id"]).agreement_end is None


# --- 门诊慢特病 registrations ---------------------------------------------------------------------------------


def test_chronic_registration_through_the_api_is_scoped_validated_and_audited(
    districts, policy_2023, clerk_yuzhong, clerk_jiangbei
):
    person = resident()
    url = f"/api/v1/persons/{person.pk}/chronic/"
    yz, jb = staff_client(clerk_yuzhong), staff_client(clerk_jiangbei)
    body = {"disease_code": "MT002", "valid_from": "2023-01-01", "certified_by": "重庆医科大学附属第一医院"}

    assert jb.post(url, body, format="json").status_code == 404
    assert jb.get(url).status_code == 404
    unknown = yz.post(url, {**body, "disease_code": "MT999"}, format="json")
    assert unknown.status_code == 400 and unknown.json() == {"disease": ["病种不在门诊慢特病目录中"]}
    backwards = yz.post(url, {**body, "valid_to": "2022-12-31"}, format="json")
    assert backwards.json() == {"valid_to": ["待遇截止日期不能早于开始日期"]}
    assert not ChronicRegistration.objects.exists()

    created = yz.post(url, body, format="json")

    assert created.status_code == 201
    assert (created.json()["disease_name"], created.json()["status"]) == ("糖尿病", "active")
    registration = ChronicRegistration.objects.get()
    assert (registration.district_id, registration.created_by) == (districts["500103"].pk, clerk_yuzhong)
    event = AuditEvent.objects.get(object_type="benefits.chronicregistration", object_id=str(registration.pk))
    assert (event.action, event.actor) == ("create", clerk_yuzhong)
    twice = yz.post(url, body, format="json")
    assert twice.json() == {"disease": ["该参保人已登记糖尿病，无需重复登记"]}
    assert [r["disease_code"] for r in yz.get(url).json()] == ["MT002"]
    assert ChronicRegistration.objects.count() == 1


def test_chronic_registration_needs_an_active_enrollment(districts, policy_2023, clerk_yuzhong):
    person = resident()
    Enrollment.objects.filter(person=person).update(status="terminated", end_date=dt.date(2023, 6, 30))
    with pytest.raises(ValidationError) as refused:
        chronic_registration_create(actor=clerk_yuzhong, person=person, disease_code="MT001", valid_from=START)
    assert _messages(refused) == {"person": ["该参保人没有有效的参保登记"]}
    assert not ChronicRegistration.objects.exists()


def test_revoking_a_registration_is_audited_once_and_district_bound(districts, policy_2023, clerk_yuzhong,
                                                                    clerk_jiangbei):  # fmt: skip
    person = resident()
    registration = chronic_registration_create(
        actor=clerk_yuzhong, person=person, disease_code="MT001", valid_from=dt.date(2023, 1, 1)
    )
    with pytest.raises(ValidationError):
        chronic_registration_revoke(actor=clerk_jiangbei, registration=registration, end_date=dt.date(2023, 6, 30))
    with pytest.raises(ValidationError) as too_early:
        chronic_registration_revoke(actor=clerk_yuzhong, registration=registration, end_date=dt.date(2022, 12, 31))
    assert _messages(too_early) == {"valid_to": ["撤销日期不能早于待遇开始日期"]}
    registration.refresh_from_db()
    assert (registration.status, registration.valid_to) == ("active", None)

    chronic_registration_revoke(actor=clerk_yuzhong, registration=registration, end_date=dt.date(2023, 6, 30))
    chronic_registration_revoke(actor=clerk_yuzhong, registration=registration, end_date=dt.date(2023, 7, 31))

    registration.refresh_from_db()
    assert (registration.status, registration.valid_to) == ("revoked", dt.date(2023, 6, 30))
    [event] = AuditEvent.objects.filter(object_type="benefits.chronicregistration", action="status")
    assert event.old_values == {"status": "active", "valid_to": None}
    assert event.new_values == {"status": "revoked", "valid_to": "2023-06-30"}
    # a new registration of the same disease is possible once the old one is revoked
    chronic_registration_create(
        actor=clerk_yuzhong, person=person, disease_code="MT001", valid_from=dt.date(2023, 8, 1)
    )
    assert ChronicRegistration.objects.filter(status="active").count() == 1


# --- students' benefit period (待遇享受期) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "coverage_year", "graduation_year", "period"),
    [
        ("adult", 2023, None, (dt.date(2023, 1, 1), dt.date(2023, 12, 31))),
        ("minor", 2024, None, (dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
        ("active", 2023, None, (dt.date(2023, 1, 1), dt.date(2023, 12, 31))),
        ("student", 2023, None, (dt.date(2022, 9, 1), dt.date(2023, 8, 31))),
        ("student", 2023, 2025, (dt.date(2022, 9, 1), dt.date(2023, 8, 31))),
        ("student", 2023, 2023, (dt.date(2022, 9, 1), dt.date(2023, 12, 31))),
        ("student", 2024, 2024, (dt.date(2023, 9, 1), dt.date(2024, 12, 31))),
    ],
)
def test_benefit_period(category, coverage_year, graduation_year, period):
    assert benefit_period(category=category, coverage_year=coverage_year, graduation_year=graduation_year) == period


@pytest.mark.parametrize(
    ("category", "day", "graduation_year", "year"),
    [
        ("adult", dt.date(2023, 9, 5), None, 2023),
        ("adult", dt.date(2023, 12, 31), None, 2023),
        ("student", dt.date(2022, 9, 1), None, 2023),
        ("student", dt.date(2023, 1, 15), None, 2023),
        ("student", dt.date(2023, 8, 31), None, 2023),
        ("student", dt.date(2023, 9, 1), None, 2024),
        ("student", dt.date(2023, 12, 31), None, 2024),
        ("student", dt.date(2023, 9, 1), 2023, 2023),  # the graduation year runs on to 31 Dec
        ("student", dt.date(2023, 12, 31), 2023, 2023),
        ("student", dt.date(2024, 1, 1), 2023, 2024),
        ("student", dt.date(2023, 9, 1), 2024, 2024),
    ],
)
def test_coverage_year_for(category, day, graduation_year, year):
    assert coverage_year_for(category=category, on=day, graduation_year=graduation_year) == year


@pytest.mark.parametrize("graduation_year", [None, 2022, 2023, 2024])
def test_every_day_falls_in_the_period_of_its_coverage_year(graduation_year):
    day = dt.date(2021, 9, 1)
    while day <= dt.date(2024, 12, 31):
        year = coverage_year_for(category="student", on=day, graduation_year=graduation_year)
        start, end = benefit_period(category="student", coverage_year=year, graduation_year=graduation_year)
        assert start <= day <= end, (day, year)
        day += dt.timedelta(days=1)


def _student_via_api(client, *, graduation_year, seq):
    """Register a student, issue the 2023 bill and pay it, all through the staff API."""
    number = make_id_number(area="500103", birth=dt.date(2003, 4, 1), seq=seq)
    person = {
        "id_number": number, "name": "李同学", "district_code": "500103", "scheme": "resident",
        "category": "student", "tier": 1, "start_date": "2022-09-01", "graduation_year": graduation_year,
    }  # fmt: skip
    assert client.post("/api/v1/persons/", person, format="json").status_code == 201
    enrollment = Enrollment.objects.get(person__id_number=number)
    assert enrollment.graduation_year == graduation_year
    bill = client.post(f"/api/v1/enrollments/{enrollment.pk}/bills/", {"coverage_year": 2023}, format="json")
    assert bill.status_code == 201, bill.content
    paid = client.post(
        f"/api/v1/bills/{bill.json()['id']}/payments/",
        {"amount": bill.json()["outstanding"], "paid_on": "2022-08-20", "reference": f"STU-{seq}"},
        format="json",
    )
    assert paid.status_code == 201, paid.content
    return enrollment.person


def test_students_benefit_period_end_to_end(
    districts, policy_2023, standards_2023, institution_user, clerk_yuzhong, reviewer_yuzhong
):
    yz, his = staff_client(clerk_yuzhong), token_client(institution_user)
    student = _student_via_api(yz, graduation_year=2025, seq=801)
    graduate = _student_via_api(yz, graduation_year=2023, seq=802)

    def settle(person, number, day):
        return his.post(SETTLEMENTS, outpatient(person, number, eligible="100.00", day=day), format="json")

    # paid for coverage year 2023 = 1 Sept 2022 - 31 Aug 2023
    assert settle(student, "ST-1", "2023-08-31").status_code == 201
    after = settle(student, "ST-2", "2023-09-01")
    assert after.status_code == 400
    assert after.json() == {"service_date": ["2024年度居民医保未缴费，不享受待遇"]}
    # in the graduation year the period runs on to 31 Dec
    assert settle(graduate, "GR-1", "2023-09-01").status_code == 201
    assert settle(graduate, "GR-2", "2023-12-31").status_code == 201
    assert Settlement.objects.filter(person=graduate).count() == 2

    # once the next academic year is paid, September is covered again (on the calendar year's totals)
    bill = unpaid_bill(student, year=2024)
    ContributionBill.objects.filter(pk=bill.pk).update(paid_amount=bill.due_amount, status="paid")
    again = settle(student, "ST-2", "2023-09-01")
    assert again.status_code == 201 and again.json()["year"] == 2023
    [row] = staff_client(reviewer_yuzhong).get(f"/api/v1/persons/{student.pk}/accumulators/").json()
    assert (row["year"], row["settlement_count"], row["pooled_outpatient"]) == (2023, 2, "100.00")


def test_a_graduate_is_not_covered_after_the_graduation_year(districts, policy_2023, institution_user):
    document = json.loads((settings.BASE_DIR / "benefits/reference/policy_2023.json").read_text(encoding="utf-8"))
    benefit_policy_load(actor=None, document={**document, "year": 2024})
    graduate = resident(category="student", graduation_year=2023)  # paid for coverage year 2023
    his = token_client(institution_user)
    response = his.post(SETTLEMENTS, outpatient(graduate, "GR-9", day="2024-01-02"), format="json")
    assert response.status_code == 400
    assert response.json() == {"service_date": ["2024年度居民医保未缴费，不享受待遇"]}
    assert not Settlement.objects.exists()
