"""门诊慢特病申请 (issue 15, finding 8 / must-show 6): 申请 -> 评定 -> 审批 -> registration, or 驳回 at either
step with a reason; the transition map, two different reviewers, every move audited, district scoping, pages,
API, 工作台 and a browser journey.

001 (渝府办发〔2022〕16号): "统一并规范职工医保门诊慢特病保障政策" and "逐步扩大由统筹基金支付的门诊慢特病病种范围"
— who gets 门诊慢特病 cover is decided per person and disease, by the bureau, not typed in by one clerk.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from playwright.sync_api import Page, expect

from benefits.chronic_applications import (
    allowed_transitions,
    chronic_application_submit,
    chronic_application_transition,
)
from benefits.models import ChronicRegistration
from benefits.models.chronic import ChronicApplication
from core.models import AuditEvent
from core.roles import Role
from core.workqueue import work_queue
from tests.benefits_support import resident, staff_client
from tests.browser_support import format_axe_violations, log_in

S = ChronicApplication.Status
SEED_LINE = "统一并规范职工医保门诊慢特病保障政策"
CATALOGUE = importlib.import_module("benefits.migrations.0003_seed_chronic_catalogue_and_credit_rules")
TWO_DISEASES = importlib.import_module("benefits.migrations.0008_two_diseases_not_chronic")
EVIDENCE = ["诊断证明书", "门诊病历", "冠脉造影报告"]


@pytest.fixture
def catalogue(db):
    CATALOGUE.seed(apps, None)
    TWO_DISEASES.seed(apps, None)


@pytest.fixture
def reviewer_yuzhong_2(make_user):
    return make_user("reviewer_yz2", Role.DISTRICT_REVIEWER, "500103")


@pytest.fixture
def person(catalogue, districts):
    return resident(district=districts["500103"])


def submit(actor, person, hospital, disease="MT007", **overrides):
    values = {"disease_code": disease, "hospital_code": hospital.code, "diagnosis": "冠状动脉粥样硬化性心脏病",
              "evidence": EVIDENCE} | overrides  # fmt: skip
    return chronic_application_submit(actor=actor, person=person, **values)


@pytest.fixture
def application(clerk_yuzhong, person, hospital_yz):
    return submit(clerk_yuzhong, person, hospital_yz)


def events(obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id"))


# --- services -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_apply_assess_approve_creates_the_registration_and_audits_every_step(
    application, clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2, hospital_yz, person
):
    """001: "统一并规范职工医保门诊慢特病保障政策": one path to cover, 申请 -> 评定 -> 审批."""
    assert (application.status, application.district_id, application.submitted_by) == (
        S.SUBMITTED, person.district_id, clerk_yuzhong,
    )  # fmt: skip
    assert application.evidence == EVIDENCE and application.hospital == hospital_yz

    assessed = chronic_application_transition(
        actor=reviewer_yuzhong, application=application, to_status=S.ASSESSED, reason="材料齐全，符合认定标准"
    )
    assert (assessed.status, assessed.assessment_result, assessed.assessed_by) == (
        S.ASSESSED, ChronicApplication.Result.MEETS, reviewer_yuzhong,
    )  # fmt: skip
    assert not ChronicRegistration.objects.exists()

    approved = chronic_application_transition(
        actor=reviewer_yuzhong_2, application=assessed, to_status=S.APPROVED, valid_from=dt.date(2023, 4, 1)
    )
    registration = approved.registration
    assert (approved.status, approved.decided_by) == (S.APPROVED, reviewer_yuzhong_2)
    assert (registration.person, registration.disease.code, registration.valid_from, registration.status) == (
        person, "MT007", dt.date(2023, 4, 1), ChronicRegistration.Status.ACTIVE,
    )  # fmt: skip
    assert registration.certified_by == hospital_yz.name and registration.created_by == reviewer_yuzhong_2

    trail = events(application)
    assert [e.action for e in trail] == ["create", "status", "status"]
    assert [e.actor for e in trail] == [clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2]
    assert [e.old_values.get("status") for e in trail[1:]] == ["submitted", "assessed"]
    assert trail[1].new_values == {
        "status": "assessed",
        "assessment_result": "meets",
        "reason": "材料齐全，符合认定标准",
    }
    assert trail[2].new_values["registration_id"] == registration.pk and trail[2].new_values["start"] == "2023-04-01"
    assert AuditEvent.objects.filter(
        object_type="benefits.chronicregistration", object_id=str(registration.pk)
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "to"),
    [
        ((), S.APPROVED),
        ((S.ASSESSED,), S.ASSESSED),
        ((S.REJECTED,), S.ASSESSED),
        ((S.ASSESSED, S.APPROVED), S.REJECTED),
    ],
)
def test_only_the_moves_of_the_transition_map(application, reviewer_yuzhong, reviewer_yuzhong_2, path, to):
    actors = [reviewer_yuzhong, reviewer_yuzhong_2]
    for step, move in enumerate(path):
        chronic_application_transition(actor=actors[step], application=application, to_status=move, reason="意见")
    application.refresh_from_db()
    before = application.status
    with pytest.raises(ValidationError) as refused:
        chronic_application_transition(actor=reviewer_yuzhong_2, application=application, to_status=to, reason="意见")
    assert refused.value.message_dict["to_status"] == [f"不能从「{S(before).label}」变为「{S(to).label}」"]
    assert {
        S.SUBMITTED: {S.ASSESSED, S.REJECTED},
        S.ASSESSED: {S.APPROVED, S.REJECTED},
        S.APPROVED: set(),
        S.REJECTED: set(),
    } == ChronicApplication.TRANSITIONS


@pytest.mark.django_db
def test_the_assessor_may_not_decide_and_a_city_reviewer_approves_for_a_one_reviewer_district(
    application, reviewer_yuzhong, municipal_admin, clerk_yuzhong
):
    with pytest.raises(PermissionDenied):  # a clerk does not assess
        chronic_application_transition(actor=clerk_yuzhong, application=application, to_status=S.ASSESSED, reason="x")
    assert allowed_transitions(user=clerk_yuzhong, application=application) == []
    assert allowed_transitions(user=reviewer_yuzhong, application=application) == [S.ASSESSED, S.REJECTED]
    chronic_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.ASSESSED, reason="符合")
    application.refresh_from_db()
    assert allowed_transitions(user=reviewer_yuzhong, application=application) == []
    for move in (S.APPROVED, S.REJECTED):
        with pytest.raises(PermissionDenied, match="评定人不能审批本人评定的申请"):
            chronic_application_transition(actor=reviewer_yuzhong, application=application, to_status=move, reason="x")
    # 渝中 has one reviewer here: the municipal reviewer (city-wide) is the second pair of eyes.
    assert allowed_transitions(user=municipal_admin, application=application) == [S.APPROVED, S.REJECTED]
    approved = chronic_application_transition(actor=municipal_admin, application=application, to_status=S.APPROVED)
    assert approved.status == S.APPROVED and approved.registration.valid_from is not None


@pytest.mark.django_db
def test_a_reviewer_who_took_the_application_in_may_not_approve_it(
    person, hospital_yz, reviewer_yuzhong, reviewer_yuzhong_2
):
    application = submit(reviewer_yuzhong, person, hospital_yz)
    chronic_application_transition(
        actor=reviewer_yuzhong_2, application=application, to_status=S.ASSESSED, reason="符合"
    )
    application.refresh_from_db()
    assert allowed_transitions(user=reviewer_yuzhong, application=application) == [S.REJECTED]
    with pytest.raises(PermissionDenied, match="不能审批本人受理的申请"):
        chronic_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.APPROVED)


@pytest.mark.django_db
def test_rejection_at_either_step_needs_a_reason_and_records_who(
    person, hospital_yz, clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2
):
    first = submit(clerk_yuzhong, person, hospital_yz)
    with pytest.raises(ValidationError) as no_reason:
        chronic_application_transition(actor=reviewer_yuzhong, application=first, to_status=S.REJECTED, reason=" ")
    assert no_reason.value.message_dict["reason"] == ["请填写评定意见"]
    with pytest.raises(ValidationError):  # an assessment is a result and a reason
        chronic_application_transition(actor=reviewer_yuzhong, application=first, to_status=S.ASSESSED)
    at_assessment = chronic_application_transition(
        actor=reviewer_yuzhong, application=first, to_status=S.REJECTED, reason="缺少检查报告"
    )
    assert (at_assessment.assessment_result, at_assessment.assessment_reason, at_assessment.decided_by) == (
        ChronicApplication.Result.NOT_MEETS, "缺少检查报告", None,
    )  # fmt: skip

    second = submit(clerk_yuzhong, person, hospital_yz)  # a rejected application may be followed by a new one
    chronic_application_transition(actor=reviewer_yuzhong, application=second, to_status=S.ASSESSED, reason="符合")
    with pytest.raises(ValidationError) as no_reason:
        chronic_application_transition(actor=reviewer_yuzhong_2, application=second, to_status=S.REJECTED)
    assert no_reason.value.message_dict["reason"] == ["驳回须填写理由"]
    at_approval = chronic_application_transition(
        actor=reviewer_yuzhong_2, application=second, to_status=S.REJECTED, reason="诊断依据不足"
    )
    assert (at_approval.status, at_approval.decided_by, at_approval.decision_reason) == (
        S.REJECTED, reviewer_yuzhong_2, "诊断依据不足",
    )  # fmt: skip
    assert not ChronicRegistration.objects.exists()
    assert [e.note for e in events(second) if e.action == "status"] == ["符合", "诊断依据不足"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"disease": "MT999"}, "disease", "病种不在门诊慢特病目录中"),
        ({"hospital_code": "H50010399999"}, "hospital", "诊断医院须为定点医疗机构，请填写其机构编码"),
        ({"diagnosis": "  "}, "diagnosis", "请填写诊断结论"),
        ({"evidence": ["", "  "]}, "evidence", "请列出至少一份诊断材料（如诊断证明书、病历、检查报告）"),
        ({"evidence": [f"材料{i}" for i in range(21)]}, "evidence", "诊断材料不超过20项"),
    ],
)
def test_an_application_is_refused_with_the_reason_next_to_the_field(
    person, hospital_yz, clerk_yuzhong, overrides, field, message
):
    with pytest.raises(ValidationError) as refused:
        submit(clerk_yuzhong, person, hospital_yz, **overrides)
    assert refused.value.message_dict[field] == [message]
    assert not ChronicApplication.objects.exists()


@pytest.mark.django_db
def test_one_open_application_per_disease_and_none_once_registered(
    application, person, hospital_yz, pharmacy_yz, clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2
):
    with pytest.raises(ValidationError, match="已有办理中的冠心病申请"):
        submit(clerk_yuzhong, person, hospital_yz)
    with pytest.raises(ValidationError, match="诊断医院须为定点医疗机构"):  # a pharmacy does not diagnose
        submit(clerk_yuzhong, person, pharmacy_yz, disease="MT008")
    chronic_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.ASSESSED, reason="符合")
    chronic_application_transition(actor=reviewer_yuzhong_2, application=application, to_status=S.APPROVED)
    with pytest.raises(ValidationError, match="已登记冠心病，无需重复申请"):
        submit(clerk_yuzhong, person, hospital_yz)


@pytest.mark.django_db
def test_another_district_neither_applies_nor_moves(
    application, person, hospital_yz, clerk_jiangbei, reviewer_jiangbei
):
    with pytest.raises(ValidationError, match="只能在本人所属区县办理该业务"):
        submit(clerk_jiangbei, person, hospital_yz, disease="MT008")
    with pytest.raises(ValidationError, match="只能在本人所属区县办理该业务"):
        chronic_application_transition(
            actor=reviewer_jiangbei, application=application, to_status=S.ASSESSED, reason="x"
        )
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


# --- pages ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_from_the_person_panel_through_assessment_and_approval(
    client_for, person, hospital_yz, clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2, reviewer_jiangbei,
    django_assert_max_num_queries,
):  # fmt: skip
    clerk = client_for(clerk_yuzhong)
    panel = clerk.get(reverse("benefits:person_panel", args=[person.pk])).content.decode()
    new_url = f"{reverse('benefits:chronic_application_submit')}?person={person.pk}"
    assert f'href="{new_url}"' in panel and "申请门诊慢特病" in panel

    form = clerk.get(new_url).content.decode()
    assert "MT007 冠心病" in form and "MT001 高血压" not in form and 'name="id_number"' not in form
    refused = clerk.post(new_url, {"disease": "MT007", "hospital_code": "H00000000000", "diagnosis": "冠心病",
                                   "evidence": "诊断证明书"})  # fmt: skip
    assert refused.status_code == 200 and "诊断医院须为定点医疗机构，请填写其机构编码" in refused.content.decode()
    done = clerk.post(new_url, {"disease": "MT007", "hospital_code": hospital_yz.code, "diagnosis": "冠心病",
                                "evidence": "诊断证明书\n\n门诊病历\n"})  # fmt: skip
    application = ChronicApplication.objects.get()
    detail = reverse("benefits:chronic_application_detail", args=[application.pk])
    assert done.status_code == 302 and done["Location"] == detail
    assert application.evidence == ["诊断证明书", "门诊病历"]
    assert "评定通过" not in clerk.get(detail).content.decode()  # a clerk does not assess

    assert client_for(reviewer_jiangbei).get(detail).status_code == 404
    transition = reverse("benefits:chronic_application_transition", args=[application.pk])
    assert client_for(reviewer_jiangbei).post(transition, {"to_status": "assessed", "reason": "x"}).status_code == 404

    reviewer = client_for(reviewer_yuzhong)
    page = reviewer.get(detail).content.decode()
    assert "评定通过" in page and "驳回" in page and "批准" not in page
    assert reviewer.post(transition, {"to_status": "assessed", "reason": ""}).status_code == 400
    assert reviewer.post(transition, {"to_status": "assessed", "reason": "材料齐全"}).status_code == 302
    assert 'data-testid="transition"' not in reviewer.get(detail).content.decode()  # the assessor may not decide

    approver = client_for(reviewer_yuzhong_2)
    assert "批准" in approver.get(detail).content.decode()
    response = approver.post(transition, {"to_status": "approved", "valid_from": "2023-05-01", "reason": ""})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == S.APPROVED and application.registration.valid_from == dt.date(2023, 5, 1)
    shown = approver.get(detail).content.decode()
    assert "已批准" in shown and "2023-05-01" in shown and "材料齐全" in shown

    list_url = reverse("benefits:chronic_application_list")
    with django_assert_max_num_queries(8):
        listing = reviewer.get(f"{list_url}?status=approved").content.decode()
    assert person.name in listing
    assert person.name not in client_for(reviewer_jiangbei).get(list_url).content.decode()


@pytest.mark.django_db
def test_the_work_queue_counts_open_applications_for_reviewers(
    application, client_for, reviewer_yuzhong, reviewer_jiangbei, clerk_yuzhong
):
    def counts(user):
        return {row["key"]: row["count"] for row in work_queue(user=user)}

    assert counts(reviewer_yuzhong)["chronic_to_assess"] == 1 and counts(reviewer_yuzhong)["chronic_to_approve"] == 0
    assert counts(reviewer_jiangbei)["chronic_to_assess"] == 0
    assert "chronic_to_assess" not in counts(clerk_yuzhong)  # clerks take applications in, they do not assess
    home = client_for(reviewer_yuzhong).get(reverse("home")).content.decode()
    assert (
        "待评定的门诊慢特病申请" in home and f"{reverse('benefits:chronic_application_list')}?status=submitted" in home
    )


# --- API ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_list_create_detail_transition_scoped_and_audited(
    person, hospital_yz, clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2, reviewer_jiangbei
):
    url = "/api/v1/chronic-applications/"
    body = {"person_id": person.pk, "disease_code": "MT007", "hospital_code": hospital_yz.code,
            "diagnosis": "冠心病", "evidence": EVIDENCE}  # fmt: skip
    assert staff_client(reviewer_jiangbei).post(url, body, format="json").status_code == 404
    refused = staff_client(clerk_yuzhong).post(url, body | {"disease_code": "MT002"}, format="json")
    assert refused.status_code == 400 and "两病门诊用药保障" in str(refused.json())
    created = staff_client(clerk_yuzhong).post(url, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["status"], data["disease_code"], data["evidence"], data["submitted_by"]) == (
        "submitted", "MT007", EVIDENCE, "clerk_yz",
    )  # fmt: skip
    assert person.id_number not in created.content.decode()
    pk = data["id"]

    assert [a["id"] for a in staff_client(reviewer_yuzhong).get(f"{url}?status=submitted").json()["results"]] == [pk]
    assert staff_client(reviewer_jiangbei).get(url).json()["results"] == []
    assert staff_client(reviewer_jiangbei).get(f"{url}{pk}/").status_code == 404
    assert staff_client(reviewer_yuzhong).get(f"{url}?person=abc").status_code == 400

    move = f"{url}{pk}/transition/"
    assert staff_client(reviewer_jiangbei).post(move, {"to_status": "assessed", "reason": "x"}).status_code == 404
    assert staff_client(clerk_yuzhong).post(move, {"to_status": "assessed", "reason": "x"}).status_code == 403
    assert staff_client(reviewer_yuzhong).post(move, {"to_status": "approved"}).status_code == 400
    assessed = staff_client(reviewer_yuzhong).post(move, {"to_status": "assessed", "reason": "符合"}, format="json")
    assert assessed.status_code == 200 and assessed.json()["assessment_result"] == "meets"
    assert staff_client(reviewer_yuzhong).post(move, {"to_status": "approved"}, format="json").status_code == 403
    approved = staff_client(reviewer_yuzhong_2).post(
        move, {"to_status": "approved", "valid_from": "2023-06-01"}, format="json"
    )
    assert approved.status_code == 200
    result = approved.json()
    assert (result["status"], result["decided_by"]) == ("approved", "reviewer_yz2")
    assert ChronicRegistration.objects.get(pk=result["registration_id"]).valid_from == dt.date(2023, 6, 1)
    application = ChronicApplication.objects.get(pk=pk)
    assert [e.new_values["status"] for e in events(application)] == ["submitted", "assessed", "approved"]


# --- browser --------------------------------------------------------------------------------------------------


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/**")


def _no_axe(page: Page) -> None:
    from tests.browser_support import axe_violations

    violations = axe_violations(page)
    assert not violations, format_axe_violations(violations)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_clerk_applies_reviewer_assesses_another_reviewer_approves(
    page, live_server, conftest_password, clerk_yuzhong, reviewer_yuzhong, reviewer_yuzhong_2, reviewer_jiangbei,
    hospital_yz, districts,
):  # fmt: skip
    CATALOGUE.seed(apps, None)  # transactional tests empty the migrated reference rows
    TWO_DISEASES.seed(apps, None)
    person = resident(district=districts["500103"])

    # 1. The clerk applies from the person page.
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    page.get_by_test_id("chronic-apply").click()
    page.wait_for_url(f"**/benefits/chronic-applications/new/?person={person.pk}")
    expect(page.get_by_test_id("chosen-person-id")).to_have_text(person.masked_id_number)
    _no_axe(page)
    page.get_by_label("病种").select_option("MT007")
    page.get_by_label("诊断医院机构编码").fill(hospital_yz.code)
    page.get_by_label("诊断结论").fill("冠状动脉粥样硬化性心脏病")
    page.get_by_label("诊断材料").fill("诊断证明书\n门诊病历")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/benefits/chronic-applications/*/")
    application = ChronicApplication.objects.get()
    detail = f"{live_server.url}/benefits/chronic-applications/{application.pk}/"
    expect(page.get_by_test_id("status")).to_have_text("待评定")
    expect(page.get_by_test_id("evidence").locator("li")).to_have_count(2)
    expect(page.get_by_role("button", name="评定通过")).to_have_count(0)
    _no_axe(page)
    _log_out(page)

    # Another district's reviewer does not see it.
    log_in(page, live_server, "reviewer_jb", conftest_password)
    response = page.goto(detail)
    assert response is not None and response.status == 404
    _log_out(page)

    # 2. The reviewer assesses, from the 工作台 queue.
    log_in(page, live_server, "reviewer_yz", conftest_password)
    queue = page.get_by_test_id("queue-chronic_to_assess")
    expect(queue).to_contain_text("待评定的门诊慢特病申请")
    queue.get_by_role("link", name="去处理").click()
    page.wait_for_url("**/benefits/chronic-applications/?status=submitted")
    _no_axe(page)
    page.get_by_role("link", name=str(application.pk), exact=True).click()
    page.wait_for_url(detail)
    page.get_by_role("button", name="评定通过").click()  # no reason: refused next to the field
    expect(page.locator("#id_reason_error")).to_contain_text("请填写评定意见")
    page.get_by_label("意见").fill("材料齐全，符合认定标准")
    page.get_by_role("button", name="评定通过").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("status")).to_have_text("已评定待审批")
    expect(page.get_by_test_id("assessment-result")).to_have_text("符合认定条件")
    expect(page.get_by_test_id("transition")).to_have_count(0)  # the assessor does not approve
    _no_axe(page)
    _log_out(page)

    # 3. Another reviewer approves; the registration appears on the person page.
    log_in(page, live_server, "reviewer_yz2", conftest_password)
    page.goto(detail)
    page.get_by_label("待遇开始日期").fill("2023-05-01")
    _no_axe(page)
    page.get_by_role("button", name="批准").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("status")).to_have_text("已批准")
    expect(page.get_by_test_id("registration")).to_contain_text("2023-05-01")
    expect(page.locator("ul.messages")).to_contain_text("批准")
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    expect(page.get_by_test_id("chronic-registrations")).to_contain_text("MT007 冠心病")
    _no_axe(page)

    application.refresh_from_db()
    assert (application.assessed_by, application.decided_by) == (reviewer_yuzhong, reviewer_yuzhong_2)
    moves = AuditEvent.objects.filter(object_type="benefits.chronicapplication", action="status").order_by("id")
    assert [e.new_values["status"] for e in moves] == ["assessed", "approved"]
