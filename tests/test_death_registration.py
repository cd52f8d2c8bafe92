"""死亡登记 (issue 15, finding 9): a service, page and API record a death; enrollments end, the personal account
stops paying, care after the death is refused and the scan flags what was settled before it was known.

The seeds name no death procedure; what it enforces rests on these lines:
000 "待遇与缴费挂钩" (benefits belong to the insured person while insured);
001 "建立对个人账户全流程动态管理机制，加强对个人账户使用、结算等环节的审核" (the account stops with its holder);
001 "保持打击欺诈骗保高压态势" and 004 "健全打击欺诈骗保模型" (004 is Chengdu's plan, cited for the model only):
the scan's 冒名就医 rule (AFTER_END_OR_DEATH) flags care after a recorded death.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory, force_authenticate

from audit.fraud import fraud_scan
from benefits.services import account_payment_record
from benefits.services.accounts import account_for_use
from core.models import AuditEvent
from enrollment.api import PersonDeathApi
from enrollment.models import Enrollment
from enrollment.services import death_refusal, enrollment_terminate, person_death_record
from tests.benefits_support import SETTLEMENTS, claim, employee, fund_account, resident, token_client
from tests.fraud_support import YEAR, hits, seed_rules, settle

pytestmark = pytest.mark.django_db

DIED = dt.date(2023, 2, 15)
DOCUMENT = "死亡医学证明 CQ2023-000123"


@pytest.fixture
def person(districts):
    return resident()  # 渝中区, enrolled from 2022-09-01, 2023 paid


def test_recording_a_death_ends_open_enrollments_as_of_that_day(person, clerk_yuzhong):
    Enrollment.objects.filter(person=person).update(status="suspended")  # suspended ends too
    person_death_record(actor=clerk_yuzhong, person=person, death_date=DIED, source_document=f"  {DOCUMENT} ")
    person.refresh_from_db()
    assert (person.death_date, person.death_source_document) == (DIED, DOCUMENT)
    [enrollment] = person.enrollments.all()
    assert (enrollment.status, enrollment.end_date, enrollment.end_reason) == ("terminated", DIED, "deceased")
    event = AuditEvent.objects.filter(object_type="enrollment.person", note="死亡登记").get()
    assert event.new_values == {"death_date": "2023-02-15", "death_source_document": DOCUMENT}
    assert event.actor_id == clerk_yuzhong.pk
    assert AuditEvent.objects.filter(object_type="enrollment.enrollment", action="status").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"death_date": dt.date.today() + dt.timedelta(days=1)}, "death_date", "死亡日期不能晚于今天"),
        ({"death_date": dt.date(1900, 1, 1)}, "death_date", "死亡日期不能早于出生日期"),
        ({"source_document": "  "}, "source_document", "请填写死亡证明材料"),
    ],
)
def test_a_future_date_a_date_before_birth_and_no_document_are_refused(person, clerk_yuzhong, kwargs, field, message):
    values = {"death_date": DIED, "source_document": DOCUMENT} | kwargs
    with pytest.raises(ValidationError) as refused:
        person_death_record(actor=clerk_yuzhong, person=person, **values)
    assert message in refused.value.message_dict[field][0]
    person.refresh_from_db()
    assert person.death_date is None and person.enrollments.get().status == "active"


def test_another_district_cannot_record_the_death(person, clerk_jiangbei, reviewer_jiangbei, client_for):
    with pytest.raises(ValidationError):
        person_death_record(actor=clerk_jiangbei, person=person, death_date=DIED, source_document=DOCUMENT)
    page = client_for(reviewer_jiangbei).post(
        f"/enrollment/people/{person.pk}/death/", {"death_date": "2023-02-15", "source_document": DOCUMENT}
    )
    assert page.status_code == 404
    person.refresh_from_db()
    assert person.death_date is None


def test_the_same_death_again_changes_nothing_and_another_date_is_refused(person, clerk_yuzhong):
    person_death_record(actor=clerk_yuzhong, person=person, death_date=DIED, source_document=DOCUMENT)
    before = AuditEvent.objects.count()
    person_death_record(actor=clerk_yuzhong, person=person, death_date=DIED, source_document=DOCUMENT)
    assert AuditEvent.objects.count() == before
    with pytest.raises(ValidationError, match="已登记死亡"):
        person_death_record(actor=clerk_yuzhong, person=person, death_date=dt.date(2023, 2, 1), source_document="x")


def test_ending_an_enrollment_for_death_asks_for_the_death_and_records_it(person, clerk_yuzhong):
    enrollment = person.enrollments.get()
    with pytest.raises(ValidationError) as refused:
        enrollment_terminate(actor=clerk_yuzhong, enrollment=enrollment, end_date=DIED, reason="deceased")
    assert refused.value.message_dict["death_date"] == ["终止原因为死亡时须填写死亡日期"]
    with pytest.raises(ValidationError) as refused:
        enrollment_terminate(
            actor=clerk_yuzhong, enrollment=enrollment, end_date=dt.date(2023, 3, 1), reason="deceased",
            death_date=DIED, death_source_document=DOCUMENT,
        )  # fmt: skip
    assert refused.value.message_dict["end_date"] == ["终止原因为死亡时，终止日期应为死亡日期"]
    ended = enrollment_terminate(
        actor=clerk_yuzhong, enrollment=enrollment, end_date=DIED, reason="deceased",
        death_date=DIED, death_source_document=DOCUMENT,
    )  # fmt: skip
    assert (ended.status, ended.end_date, ended.end_reason) == ("terminated", DIED, "deceased")
    person.refresh_from_db()
    assert (person.death_date, person.death_source_document) == (DIED, DOCUMENT)


def test_the_terminate_form_records_the_death(person, clerk_yuzhong, client_for):
    enrollment = person.enrollments.get()
    client = client_for(clerk_yuzhong)
    url = f"/enrollment/enrollments/{enrollment.pk}/terminate/"
    missing = client.post(url, {"end_date": "2023-02-15", "reason": "deceased"})
    assert missing.status_code == 200 and "终止原因为死亡时须填写死亡日期" in missing.content.decode()
    done = client.post(
        url,
        {"end_date": "2023-02-15", "reason": "deceased", "death_date": "2023-02-15", "death_source_document": DOCUMENT},
    )
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.death_date == DIED


def test_the_death_page_from_the_person_page(person, reviewer_yuzhong, auditor, client_for):
    client = client_for(reviewer_yuzhong)
    detail = client.get(f"/enrollment/people/{person.pk}/").content.decode()
    assert f'href="/enrollment/people/{person.pk}/death/"' in detail
    form = client.get(f"/enrollment/people/{person.pk}/death/")
    assert form.status_code == 200 and "死亡证明材料" in form.content.decode()
    refused = client.post(
        f"/enrollment/people/{person.pk}/death/", {"death_date": "2099-01-01", "source_document": "x"}
    )
    assert "死亡日期不能晚于今天" in refused.content.decode()
    done = client.post(
        f"/enrollment/people/{person.pk}/death/", {"death_date": "2023-02-15", "source_document": DOCUMENT}
    )
    assert done.status_code == 302
    detail = client.get(f"/enrollment/people/{person.pk}/").content.decode()
    assert 'data-testid="death-date">2023-02-15<' in detail and DOCUMENT in detail
    assert f"/enrollment/people/{person.pk}/death/" not in detail  # recorded: no second link
    assert client_for(auditor).get(f"/enrollment/people/{person.pk}/death/").status_code == 403


def _api(user, person, body):
    request = APIRequestFactory().post(f"/api/v1/persons/{person.pk}/death/", body, format="json")
    force_authenticate(request, user=user)
    return PersonDeathApi.as_view()(request, pk=person.pk)


def test_the_api_records_a_death_in_the_callers_district_only(person, clerk_yuzhong, clerk_jiangbei):
    assert _api(clerk_jiangbei, person, {"death_date": "2023-02-15", "source_document": DOCUMENT}).status_code == 404
    refused = _api(clerk_yuzhong, person, {"death_date": "2099-01-01", "source_document": DOCUMENT})
    assert refused.status_code == 400 and "death_date" in refused.data
    done = _api(clerk_yuzhong, person, {"death_date": "2023-02-15", "source_document": DOCUMENT})
    assert done.status_code == 200, done.data
    assert (done.data["death_date"], done.data["death_source_document"]) == ("2023-02-15", DOCUMENT)
    assert done.data["enrollments"][0]["end_reason"] == "deceased"


def test_the_api_url_is_routed(person, clerk_yuzhong, client_for):
    response = client_for(clerk_yuzhong).post(
        f"/api/v1/persons/{person.pk}/death/",
        {"death_date": "2023-02-15", "source_document": DOCUMENT},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_death_refusal_names_the_date_and_spares_the_day_itself(person):
    person.death_date = DIED
    assert death_refusal(person=person, on=DIED) is None
    assert death_refusal(person=person, on=DIED + dt.timedelta(days=1)) == (
        "就诊日期晚于参保人死亡日期（2023-02-15），不享受医保待遇"
    )


def test_care_after_a_recorded_death_is_refused_by_the_settlement_api(
    person, clerk_yuzhong, policy_2023, institution_user
):
    person_death_record(actor=clerk_yuzhong, person=person, death_date=DIED, source_document=DOCUMENT)
    his = token_client(institution_user)
    refused = his.post(SETTLEMENTS, claim(person, "D-1", service_date="2023-03-01"), format="json")
    # Today the ended enrollment refuses it first ("就诊日期不在参保期内"); wired, the reason names the death.
    assert refused.status_code == 400 and "service_date" in refused.json()
    before = his.post(
        SETTLEMENTS, claim(person, "D-2", service_date="2023-02-10", discharge_date="2023-02-15"), format="json"
    )
    assert before.status_code == 201, before.content


def test_the_settlement_refusal_names_the_date_of_death(person, clerk_yuzhong, policy_2023, institution_user):
    person_death_record(actor=clerk_yuzhong, person=person, death_date=DIED, source_document=DOCUMENT)
    refused = token_client(institution_user).post(SETTLEMENTS, claim(person, "D-3"), format="json")
    assert refused.json()["service_date"] == ["就诊日期晚于参保人死亡日期（2023-02-15），不享受医保待遇"]


def test_the_personal_account_stops_paying_after_the_holders_death(districts, clerk_yuzhong):
    holder = employee()
    fund_account(holder, "500.00")
    person_death_record(actor=clerk_yuzhong, person=holder, death_date=DIED, source_document=DOCUMENT)
    holder.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        account_for_use(patient=holder, holder_id_number=holder.id_number)
    assert refused.value.message_dict["account_holder_id_number"] == [
        "个人账户持有人已于2023-02-15死亡，个人账户停止支付"
    ]
    assert account_for_use(patient=holder, holder_id_number="") is None  # care before the death: pooled only
    with pytest.raises(ValidationError, match="个人账户停止支付"):
        account_payment_record(actor=None, holder=holder, purpose="critical_contribution", amount=D("10.00"))


def test_the_scan_flags_a_settlement_after_the_recorded_death(person, clerk_yuzhong, policy_2023, hospital_yz):
    # The death is reported after the hospital settled care dated after it: 冒名就医.
    seed_rules()
    settle(person, hospital_yz, "LATE-1", "2023-02-20")  # after the death
    settle(person, hospital_yz, "LATE-0", "2023-02-15")  # the day itself: no hit
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    assert not {h for h in hits() if h[0] == "AFTER_END_OR_DEATH"}
    person_death_record(actor=clerk_yuzhong, person=person, death_date=DIED, source_document=DOCUMENT)
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    assert {h for h in hits() if h[0] == "AFTER_END_OR_DEATH"} == {("AFTER_END_OR_DEATH", "LATE-1")}
