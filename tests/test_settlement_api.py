"""Settlement API for institutions' systems: idempotency, roles, district scope, reversal, validation,
critical illness and chronic diseases, checked by status codes, amounts to the fen and the rows written."""

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benefits.models import AnnualAccumulator, ChronicRegistration, Settlement
from benefits.services import (
    SettlementRequest,
    benefit_policy_load,
    chronic_registration_create,
    chronic_registration_revoke,
    institution_register,
    institution_update,
    settlement_create,
)
from core.models import AuditEvent
from core.roles import Role
from core.services import staff_user_create
from enrollment.models import Enrollment, Person
from tests.benefits_support import (
    SETTLEMENTS,
    D,
    accumulator,
    claim,
    counts,
    outpatient,
    resident,
    staff_client,
    token_client,
    unpaid_bill,
)
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, make_id_number

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def his(institution_user):
    """The 渝中区人民医院 (level 2) system, authenticated by its token."""
    return token_client(institution_user)


@pytest.fixture
def person(districts, policy_2023):
    return resident()


def _settle(his, body):
    response = his.post(SETTLEMENTS, body, format="json")
    assert response.status_code == 201, response.content.decode()
    return response.json()


def _assert_refused(response, field: str, fragment: str = "") -> str:
    """400 with the field named and a Chinese message (containing `fragment`)."""
    assert response.status_code == 400, response.content.decode()
    body = response.json()
    assert field in body, body
    message = " ".join(body[field])
    assert CHINESE.search(message), message
    assert fragment in message, message
    return message


def _other_hospital(districts, username="his_yz2"):
    hospital = institution_register(
        actor=None, name="渝中区第二医院", kind="hospital", level=3, district_id=districts["500103"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip
    user = staff_user_create(
        actor=None, username=username, password=PASSWORD, role=Role.INSTITUTION,
        district_id=hospital.district_id, institution_id=hospital.pk,
    )  # fmt: skip
    return hospital, user


# --- idempotency -------------------------------------------------------------------------------------------------


def test_first_request_answers_201_and_the_same_request_again_200_with_the_same_body(his, person):
    first = his.post(SETTLEMENTS, claim(person), format="json")
    assert first.status_code == 201
    body = first.json()
    # level-2 resident inpatient: deductible 500 per admission, 70 %: (10000 - 500) x 0.7 = 6650.00
    assert (body["pooled_paid"], body["critical_paid"], body["out_of_pocket"], body["fund_paid"]) == (
        "6650.00",
        "0.00",
        "5350.00",
        "6650.00",
    )
    assert body["institution_code"] == "H50010300001" and body["status"] == "settled"
    assert person.id_number not in first.content.decode()  # masked in every answer
    before, totals = counts(), accumulator(person)

    again = his.post(SETTLEMENTS, claim(person), format="json")

    assert again.status_code == 200
    assert again.json() == body
    assert counts() == before and accumulator(person) == totals
    assert totals["settlement_count"] == 1 and totals["pooled_inpatient"] == D("6650.00")


def test_the_same_number_with_a_different_body_is_a_409_and_changes_nothing(his, person):
    _settle(his, claim(person))
    before, totals = counts(), accumulator(person)

    response = his.post(SETTLEMENTS, claim(person, total_cost="13000.00"), format="json")

    assert response.status_code == 409
    assert "settlement_number" in response.json() and "已用于另一笔结算" in response.json()["settlement_number"][0]
    assert counts() == before and accumulator(person) == totals
    assert Settlement.objects.get().total_cost == D("12000.00")


def test_the_same_number_at_another_institution_is_another_settlement(his, person, districts):
    _settle(his, claim(person, "N-1"))
    _, other_user = _other_hospital(districts)
    second = token_client(other_user).post(SETTLEMENTS, claim(person, "N-1"), format="json")
    assert second.status_code == 201
    assert Settlement.objects.filter(settlement_number="N-1").count() == 2
    assert accumulator(person)["settlement_count"] == 2


# --- roles and scope ----------------------------------------------------------------------------------------------


def test_staff_cannot_settle_as_an_institution(person, clerk_yuzhong, municipal_admin, hospital_yz):
    for user in (clerk_yuzhong, municipal_admin):
        response = staff_client(user).post(SETTLEMENTS, claim(person), format="json")
        assert response.status_code == 403
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()


def test_an_institution_token_reads_nothing_but_its_own_settlements(his, person):
    for url in (
        "/api/v1/persons/",
        f"/api/v1/persons/{person.pk}/",
        f"/api/v1/persons/{person.pk}/accumulators/",
        "/api/v1/institutions/",
        "/api/v1/enrollments/",
        "/api/v1/audit-events/",
    ):
        assert his.get(url).status_code == 403, url
    assert his.post("/api/v1/settlements/manual/", {}, format="json").status_code == 403


def test_an_institution_cannot_see_or_reverse_another_institutions_settlement(his, person, districts):
    mine = _settle(his, claim(person, "MINE"))
    _, other_user = _other_hospital(districts)
    other = token_client(other_user)
    theirs = _settle(other, claim(person, "THEIRS", service_date="2023-05-01", discharge_date="2023-05-02"))

    assert other.get(f"{SETTLEMENTS}{mine['id']}/").status_code == 404
    assert other.post(f"{SETTLEMENTS}{mine['id']}/reversal/", {"reason": "x"}, format="json").status_code == 404
    assert [s["id"] for s in other.get(SETTLEMENTS).json()["results"]] == [theirs["id"]]
    assert [s["id"] for s in his.get(SETTLEMENTS).json()["results"]] == [mine["id"]]
    assert Settlement.objects.get(pk=mine["id"]).status == "settled"


def test_staff_of_another_district_see_nothing(his, person, reviewer_jiangbei, clerk_jiangbei, reviewer_yuzhong):
    settled = _settle(his, claim(person))
    totals = accumulator(person)
    for user in (reviewer_jiangbei, clerk_jiangbei):
        client = staff_client(user)
        assert client.get(SETTLEMENTS).json()["results"] == []
        assert client.get(f"{SETTLEMENTS}?person_id={person.pk}").json()["results"] == []
        assert client.get(f"{SETTLEMENTS}{settled['id']}/").status_code == 404
        reversal = client.post(f"{SETTLEMENTS}{settled['id']}/reversal/", {"reason": "越权"}, format="json")
        assert reversal.status_code == 404
        assert client.get(f"/api/v1/persons/{person.pk}/accumulators/").status_code == 404
    assert Settlement.objects.get().status == "settled" and accumulator(person) == totals
    # the patient's own district does see it
    yz = staff_client(reviewer_yuzhong)
    assert [s["id"] for s in yz.get(SETTLEMENTS).json()["results"]] == [settled["id"]]
    assert yz.get(f"{SETTLEMENTS}{settled['id']}/").json()["pooled_paid"] == "6650.00"
    [row] = yz.get(f"/api/v1/persons/{person.pk}/accumulators/").json()
    assert (row["year"], row["pooled_inpatient"], row["settlement_count"]) == (2023, "6650.00", 1)


def test_a_jiangbei_patients_settlement_belongs_to_jiangbei(his, policy_2023, districts, clerk_yuzhong, clerk_jiangbei):
    """Treated in a 渝中 hospital, insured in 江北: 江北's staff handle it, 渝中's do not see it."""
    person = resident(district=districts["500105"])
    settled = _settle(his, claim(person))
    assert Settlement.objects.get().district.code == "500105"
    assert staff_client(clerk_yuzhong).get(f"{SETTLEMENTS}{settled['id']}/").status_code == 404
    assert staff_client(clerk_jiangbei).get(f"{SETTLEMENTS}{settled['id']}/").status_code == 200


# --- reversal -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["institution", "reviewer"])
def test_reversal_restores_the_accumulator_exactly_and_a_second_one_changes_nothing(his, person, reviewer_yuzhong, by):
    _settle(his, outpatient(person, "OP-1", eligible="120.00"))
    _settle(his, claim(person, "IP-1"))
    before = accumulator(person)
    target = _settle(his, claim(person, "IP-2", service_date="2023-06-01", discharge_date="2023-06-05"))
    assert accumulator(person)["pooled_inpatient"] == D("13300.00")
    client = his if by == "institution" else staff_client(reviewer_yuzhong)

    response = client.post(f"{SETTLEMENTS}{target['id']}/reversal/", {"reason": "重复上传"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reversal_reason"]) == ("reversed", "重复上传")
    assert accumulator(person) == before
    event = AuditEvent.objects.get(object_type="benefits.settlement", object_id=str(target["id"]), action="status")
    assert event.new_values["status"] == "reversed"
    settled_count, audit_count = Settlement.objects.filter(status="settled").count(), AuditEvent.objects.count()

    again = client.post(f"{SETTLEMENTS}{target['id']}/reversal/", {"reason": "再次冲正"}, format="json")

    assert again.status_code == 200 and again.json()["reversal_reason"] == "重复上传"
    assert accumulator(person) == before
    assert Settlement.objects.filter(status="settled").count() == settled_count == 2
    assert AuditEvent.objects.count() == audit_count


def test_a_replay_after_reversal_does_not_settle_again(his, person):
    settled = _settle(his, claim(person))
    his.post(f"{SETTLEMENTS}{settled['id']}/reversal/", {"reason": "错误"}, format="json")
    replay = his.post(SETTLEMENTS, claim(person), format="json")
    assert replay.status_code == 200 and replay.json()["status"] == "reversed"
    assert accumulator(person)["settlement_count"] == 0 and accumulator(person)["pooled_inpatient"] == D("0.00")


def test_a_clerk_without_review_cannot_reverse(his, person, clerk_yuzhong):
    settled = _settle(his, claim(person))
    clerk = staff_client(clerk_yuzhong)  # signing in is itself audited: before the snapshot
    before, totals = counts(), accumulator(person)
    response = clerk.post(f"{SETTLEMENTS}{settled['id']}/reversal/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert Settlement.objects.get().status == "settled"
    assert counts() == before and accumulator(person) == totals


def test_reversal_needs_a_reason(his, person):
    settled = _settle(his, claim(person))
    _assert_refused(his.post(f"{SETTLEMENTS}{settled['id']}/reversal/", {"reason": "  "}, format="json"), "reason")
    assert Settlement.objects.get().status == "settled"


# --- validation: 400, the field, a Chinese message, nothing written --------------------------------------------


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"total_cost": "100.00", "eligible_cost": "200.00"}, "eligible_cost", "不能大于医疗总费用"),
        ({"total_cost": "100.123"}, "total_cost", ""),
        ({"eligible_cost": "-1.00"}, "eligible_cost", ""),
        ({"total_cost": "abc"}, "total_cost", ""),
        ({"benefit_type": "outpatient", "service_date": "TOMORROW", "discharge_date": None}, "service_date", "今天"),
        ({"discharge_date": None}, "discharge_date", "出院日期"),
        ({"discharge_date": "2023-02-01"}, "discharge_date", "不能早于入院日期"),
        ({"benefit_type": "pharmacy", "discharge_date": None}, "benefit_type", "药店"),
        ({"benefit_type": "dental"}, "benefit_type", ""),
        ({"settlement_number": ""}, "settlement_number", ""),
        ({"service_date": "2023-02-30"}, "service_date", ""),
    ],
)
def test_bad_claims_are_refused_by_field_and_write_nothing(his, person, overrides, field, fragment):
    if overrides.get("service_date") == "TOMORROW":
        overrides = {**overrides, "service_date": _tomorrow()}
    before = counts()
    _assert_refused(his.post(SETTLEMENTS, claim(person, **overrides), format="json"), field, fragment)
    assert counts() == before
    assert not AnnualAccumulator.objects.exists()


def test_an_unknown_or_malformed_id_number_is_refused(his, policy_2023, districts):
    unknown = make_id_number(area="500103", birth=dt.date(1970, 1, 1), seq=901)
    _assert_refused(his.post(SETTLEMENTS, claim(Person(id_number=unknown)), format="json"), "id_number", "未参保")
    bad = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")
    _assert_refused(his.post(SETTLEMENTS, claim(Person(id_number=bad)), format="json"), "id_number")
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()


def test_a_person_without_an_enrollment_on_the_day_is_refused(his, policy_2023):
    person = PersonFactory()  # registered, never enrolled
    _assert_refused(his.post(SETTLEMENTS, claim(person), format="json"), "service_date", "参保期")
    late = resident()
    Enrollment.objects.filter(person=late).update(start_date=dt.date(2023, 6, 1))
    _assert_refused(his.post(SETTLEMENTS, claim(late), format="json"), "service_date", "参保期")
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()


def test_a_suspended_enrollment_is_refused(his, person):
    Enrollment.objects.filter(person=person).update(status="suspended")
    before = counts()
    _assert_refused(his.post(SETTLEMENTS, claim(person), format="json"), "service_date", "参保期")
    assert counts() == before


def test_care_after_the_date_of_death_is_refused(his, person):
    Person.objects.filter(pk=person.pk).update(death_date=dt.date(2023, 2, 15))
    before = counts()
    _assert_refused(his.post(SETTLEMENTS, claim(person), format="json"), "service_date", "死亡")
    assert counts() == before
    # care up to the day of death is still settled
    assert his.post(SETTLEMENTS, claim(person, "S-ok", service_date="2023-02-10"), format="json").status_code == 201


def test_an_unpaid_resident_is_refused(his, policy_2023):
    person = resident(paid=False)
    _assert_refused(his.post(SETTLEMENTS, claim(person), format="json"), "service_date", "未缴费")
    assert not Settlement.objects.exists()


def test_a_suspended_institution_cannot_settle(his, person, hospital_yz, clerk_yuzhong):
    _settle(his, claim(person, "BEFORE"))
    institution_update(
        actor=clerk_yuzhong, institution=hospital_yz, name=hospital_yz.name, level=2, agreement_status="suspended",
        agreement_start=hospital_yz.agreement_start, agreement_end=None,
    )  # fmt: skip
    before, totals = counts(), accumulator(person)

    response = his.post(SETTLEMENTS, claim(person, "AFTER", service_date="2023-04-01", discharge_date="2023-04-02"),
                        format="json")  # fmt: skip

    _assert_refused(response, "institution", "暂停结算")
    assert counts() == before and accumulator(person) == totals
    # the one settled before is still answered as a replay
    assert his.post(SETTLEMENTS, claim(person, "BEFORE"), format="json").status_code == 200


def test_care_outside_the_agreement_period_is_refused(his, person, hospital_yz, clerk_yuzhong):
    institution_update(
        actor=clerk_yuzhong, institution=hospital_yz, name=hospital_yz.name, level=2, agreement_status="active",
        agreement_start=dt.date(2023, 5, 1), agreement_end=None,
    )  # fmt: skip
    _assert_refused(his.post(SETTLEMENTS, claim(person), format="json"), "service_date", "协议期")
    assert not Settlement.objects.exists()


def test_a_pharmacy_settles_pharmacy_purchases_only(person, pharmacy_yz):
    user = staff_user_create(
        actor=None, username="pos_yz", password=PASSWORD, role=Role.INSTITUTION,
        district_id=pharmacy_yz.district_id, institution_id=pharmacy_yz.pk,
    )  # fmt: skip
    pos = token_client(user)
    _assert_refused(pos.post(SETTLEMENTS, outpatient(person, "P-1"), format="json"), "benefit_type", "药店")
    bought = pos.post(SETTLEMENTS, outpatient(person, "P-2", benefit_type="pharmacy"), format="json")
    assert bought.status_code == 201
    # resident pharmacy channel: no deductible, 50 %, counted in the one outpatient pot (001: "将符合条件的
    # 定点零售药店提供的用药保障服务纳入普通门诊统筹保障范围")
    assert (bought.json()["pooled_paid"], bought.json()["institution_level"]) == ("100.00", 0)
    assert accumulator(person)["pooled_outpatient"] == D("100.00")
    assert accumulator(person)["pooled_pharmacy"] == D("0.00")


# --- amounts: deductible, cap, critical illness ----------------------------------------------------------------


def test_outpatient_cap_is_carried_across_settlements_of_the_year(his, person):
    paid = [
        _settle(his, outpatient(person, f"OP-{i}", eligible="250.00", day=f"2023-0{i}-10"))["pooled_paid"]
        for i in range(1, 4)
    ]
    # tier 1: 50 % up to 300 a year: 125 + 125 + 50
    assert paid == ["125.00", "125.00", "50.00"]
    assert accumulator(person)["pooled_outpatient"] == D("300.00")
    assert _settle(his, outpatient(person, "OP-4", eligible="250.00", day="2023-12-10"))["pooled_paid"] == "0.00"
    # a new year, with its policy and paid for, starts from nothing again
    document = json.loads((settings.BASE_DIR / "benefits/reference/policy_2023.json").read_text(encoding="utf-8"))
    benefit_policy_load(actor=None, document={**document, "year": 2024})
    bill = unpaid_bill(person, year=2024)
    bill.paid_amount, bill.status = bill.due_amount, "paid"
    bill.save()
    assert _settle(his, outpatient(person, "OP-2024", eligible="250.00", day="2024-01-10"))["pooled_paid"] == "125.00"
    assert accumulator(person, 2024)["pooled_outpatient"] == D("125.00")
    assert accumulator(person, 2023)["settlement_count"] == 4


def test_critical_illness_pays_by_bands_on_the_years_self_pay(his, person):
    """Resident, level-2 hospital: basic 70 % above 500 per admission (cap 150,000); 大病保险 on the
    yearly eligible self-pay above 16,901: 60 % up to 100,000 above the line, 70 % beyond."""
    first = _settle(his, claim(person, "C-1", total_cost="105000.00", eligible_cost="100000.00"))
    # basic (100000 - 500) x 0.7 = 69650.00; self-pay 30350.00; (30350 - 16901) x 0.6 = 8069.40
    assert (first["pooled_paid"], first["critical_paid"], first["out_of_pocket"]) == (
        "69650.00",
        "8069.40",
        "27280.60",
    )
    second = _settle(
        his,
        claim(
            person, "C-2", service_date="2023-04-01", discharge_date="2023-04-05",
            total_cost="20000.00", eligible_cost="20000.00",
        ),
    )  # fmt: skip
    # basic 19500 x 0.7 = 13650.00; self-pay 6350.00, all above the line: x 0.6 = 3810.00
    assert (second["pooled_paid"], second["critical_paid"], second["out_of_pocket"]) == (
        "13650.00",
        "3810.00",
        "2540.00",
    )
    third = _settle(
        his,
        claim(
            person, "C-3", service_date="2023-06-01", discharge_date="2023-06-30",
            total_cost="300000.00", eligible_cost="300000.00",
        ),
    )  # fmt: skip
    # basic: only 150000 - 83300 = 66700.00 left of the cap; self-pay 233300.00
    # yearly amount above the line goes 19799 -> 253099: (100000 - 19799) x 0.6 = 48120.60,
    # (253099 - 100000) x 0.7 = 107169.30, together 155289.90
    assert (third["pooled_paid"], third["critical_paid"], third["out_of_pocket"]) == (
        "66700.00",
        "155289.90",
        "78010.10",
    )
    acc = accumulator(person)
    assert (acc["pooled_inpatient"], acc["critical_base"], acc["critical_paid"]) == (
        D("150000.00"),
        D("270000.00"),
        D("167169.30"),
    )
    assert acc["total_cost"] == D("425000.00") and acc["settlement_count"] == 3


def test_below_the_critical_illness_line_nothing_is_paid_and_reversal_takes_the_base_back(his, person):
    first = _settle(his, claim(person, "B-1", total_cost="50000.00", eligible_cost="20000.00"))
    # (20000 - 500) x 0.7 = 13650; self-pay 6350 < 16901
    assert (first["pooled_paid"], first["critical_paid"]) == ("13650.00", "0.00")
    second = _settle(
        his, claim(person, "B-2", service_date="2023-05-01", discharge_date="2023-05-09", eligible_cost="40000.00",
                   total_cost="40000.00"),
    )  # fmt: skip
    # (40000 - 500) x 0.7 = 27650; self-pay 12350; year 18700: (18700 - 16901) x 0.6 = 1079.40
    assert (second["pooled_paid"], second["critical_paid"]) == ("27650.00", "1079.40")
    his.post(f"{SETTLEMENTS}{first['id']}/reversal/", {"reason": "撤销"}, format="json")
    acc = accumulator(person)
    assert (acc["critical_base"], acc["critical_paid"], acc["pooled_inpatient"]) == (
        D("12350.00"),
        D("1079.40"),
        D("27650.00"),
    )


# --- chronic diseases (门诊慢特病) -------------------------------------------------------------------------------


def _chronic(person, number="MT-1", code="MT007", day="2023-03-01", eligible="1000.00"):
    return outpatient(person, number, eligible=eligible, total="1200.00", day=day, benefit_type="chronic",
                      chronic_disease_code=code)  # fmt: skip


def test_chronic_benefit_needs_an_active_registration_for_that_disease(his, person, clerk_yuzhong):
    _assert_refused(his.post(SETTLEMENTS, _chronic(person), format="json"), "chronic_disease_code", "未登记")
    chronic_registration_create(
        actor=clerk_yuzhong, person=person, disease_code="MT002", valid_from=dt.date(2023, 1, 1)
    )
    _assert_refused(his.post(SETTLEMENTS, _chronic(person), format="json"), "chronic_disease_code")
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()

    chronic_registration_create(
        actor=clerk_yuzhong, person=person, disease_code="MT007", valid_from=dt.date(2023, 1, 1)
    )
    response = his.post(SETTLEMENTS, _chronic(person), format="json")

    assert response.status_code == 201
    # resident chronic: no deductible, 60 %: 1000 x 0.6 = 600.00; the rest of 1200 is the patient's
    assert (response.json()["pooled_paid"], response.json()["out_of_pocket"]) == ("600.00", "600.00")
    assert Settlement.objects.get().chronic_disease.code == "MT007"
    assert accumulator(person)["pooled_chronic"] == D("600.00")


def test_chronic_registration_outside_its_period_or_revoked_does_not_count(his, person, clerk_yuzhong):
    registration = chronic_registration_create(
        actor=clerk_yuzhong, person=person, disease_code="MT007", valid_from=dt.date(2023, 4, 1)
    )
    _assert_refused(his.post(SETTLEMENTS, _chronic(person, day="2023-03-01"), format="json"), "chronic_disease_code")
    assert his.post(SETTLEMENTS, _chronic(person, "MT-2", day="2023-04-02"), format="json").status_code == 201
    chronic_registration_revoke(actor=clerk_yuzhong, registration=registration, end_date=dt.date(2023, 5, 31))
    assert ChronicRegistration.objects.get().status == "revoked"
    _assert_refused(his.post(SETTLEMENTS, _chronic(person, "MT-3", day="2023-06-02"), format="json"),
                    "chronic_disease_code")  # fmt: skip
    assert Settlement.objects.count() == 1


# --- 零星报销 (manual reimbursement by staff) -------------------------------------------------------------------


def test_manual_reimbursement_by_a_clerk_of_the_patients_district(person, hospital_yz, clerk_yuzhong, clerk_jiangbei):
    body = {**claim(person, "INV-1"), "institution_code": hospital_yz.code}
    jb, yz = staff_client(clerk_jiangbei), staff_client(clerk_yuzhong)
    before = counts()
    _assert_refused(jb.post("/api/v1/settlements/manual/", body, format="json"), "id_number", "本人所属区县")
    assert counts() == before

    response = yz.post("/api/v1/settlements/manual/", body, format="json")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["pooled_paid"]) == ("manual", "6650.00")
    assert Settlement.objects.get().created_by == clerk_yuzhong
    assert yz.post("/api/v1/settlements/manual/", body, format="json").status_code == 200  # a replay
    # Regression: another district's clerk replaying the same invoice got 200 and the settlement itself.
    replay = jb.post("/api/v1/settlements/manual/", body, format="json")
    _assert_refused(replay, "id_number", "本人所属区县")
    assert person.name not in replay.content.decode()
    conflicting = jb.post("/api/v1/settlements/manual/", {**body, "total_cost": "99999.00"}, format="json")
    _assert_refused(conflicting, "id_number", "本人所属区县")
    assert Settlement.objects.count() == 1
    unknown = {**body, "settlement_number": "INV-2", "institution_code": "H50010399999"}
    _assert_refused(yz.post("/api/v1/settlements/manual/", unknown, format="json"), "institution_code", "不存在")


# --- list pages: no N+1 ---------------------------------------------------------------------------------------


def test_settlement_lists_run_the_same_queries_for_one_row_or_many(his, person, reviewer_yuzhong):
    reviewer = staff_client(reviewer_yuzhong)
    _settle(his, claim(person, "Q-0"))

    def queries(client) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(client.get(SETTLEMENTS).json()["results"]) == Settlement.objects.count()
        return len(captured)

    one = (queries(reviewer), queries(his))
    for i in range(1, 6):
        _settle(his, claim(resident(), f"Q-{i}"))
    assert (queries(reviewer), queries(his)) == one


def test_a_service_caller_retrying_a_padded_number_gets_the_replay_not_a_crash(person, hospital_yz, institution_user):
    """Regression: the number was stored stripped but looked up as sent, so a retry of " S-9 " inserted again
    and the unique constraint answered with an IntegrityError."""
    request = SettlementRequest(
        settlement_number=" S-9 ", id_number=person.id_number, benefit_type="outpatient",
        service_date=dt.date(2023, 3, 1), total_cost=D("200.00"), eligible_cost=D("200.00"),
    )  # fmt: skip
    first, created = settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    again, created_again = settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    assert (first.settlement_number, created, again.pk, created_again) == ("S-9", True, first.pk, False)
    assert accumulator(person)["settlement_count"] == 1
