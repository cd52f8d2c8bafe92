"""异地就医备案: the rules of filing, change and revocation (from RemoteCareRule, the seed policy's
`remote_care`), district scoping, the audit trail, the staff pages, the staff API and the self-service API.

Seeds: 002 "取消市内跨区县三级医疗机构住院备案手续" (no filing within the city); 004 "简化异地就医备案要件、
精简备案流程、拓宽备案渠道、规范备案管理" (a self-service channel with its own, shorter list of documents).
Figures the seeds do not give (valid months, 6 months before a long-term filing may change) are the policy
file's labelled defaults: their source says 可配置默认值.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benefits.models import RemoteCareFiling
from benefits.remote_filing_panel import remote_filing_panel
from benefits.services.remote_filings import add_months, filing_change, filing_create, filing_revoke
from core.demo_clock import demo_clock
from core.models import AuditEvent
from core.roles import Role
from enrollment.panels import PERSON_PANELS, PersonPanel, register_person_panel
from tests.benefits_support import employee, resident, staff_client, token_client

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2023, 6, 15)
ID_DOCS = "有效身份证件或医保电子凭证"
REFERRAL_DOCS = [ID_DOCS, "转诊转院证明"]
RETIRED_DOCS = [ID_DOCS, "异地安置认定表或个人承诺书"]
PROMISE = "个人承诺书"
API = "/api/v1/remote-filings/"
SELF_API = "/api/v1/self-service/remote-filings/"


@pytest.fixture(autouse=True)
def _today():
    with demo_clock(TODAY):
        yield


@pytest.fixture
def person(districts, policy_2023):
    return resident()  # 渝中区, enrolled from 2022-09-01


@pytest.fixture
def self_service_user(make_user):
    return make_user("app_self", Role.SELF_SERVICE)


def file(actor, person, **overrides) -> RemoteCareFiling:
    values = {
        "filing_type": "referral",
        "destination_code": "510000",
        "valid_from": D(2023, 3, 1),
        "documents_checked": REFERRAL_DOCS,
        "channel": "counter",
    }
    return filing_create(actor=actor, person=person, **(values | overrides))


def counts() -> tuple[int, int]:
    return RemoteCareFiling.objects.count(), AuditEvent.objects.filter(object_type="benefits.remotecarefiling").count()


def refused(call, **kwargs) -> str:
    before = counts()
    with pytest.raises(ValidationError) as info:
        call(**kwargs)
    assert counts() == before, "a refused input changes nothing"
    return " ".join(info.value.messages)


# --- filing ------------------------------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert add_months(D(2023, 3, 1), 6) == D(2023, 9, 1)
    assert add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)
    assert add_months(D(2023, 11, 30), 3) == D(2024, 2, 29)


def test_temporary_filing_runs_the_rules_months_and_takes_scheme_and_district_from_the_enrollment(
    person, clerk_yuzhong
):
    filing = file(clerk_yuzhong, person)
    # referral: valid_months 6 -> 2023-03-01 + 6 months - 1 day
    assert (filing.valid_from, filing.valid_to) == (D(2023, 3, 1), D(2023, 8, 31))
    assert filing.rule.valid_months == 6 and filing.rule.year == 2023
    assert (filing.scheme, filing.district.code, filing.channel, filing.status) == (
        "resident",
        "500103",
        "counter",
        "active",
    )
    assert filing.documents_checked == REFERRAL_DOCS and filing.created_by == clerk_yuzhong
    event = AuditEvent.objects.get(object_type="benefits.remotecarefiling", object_id=str(filing.pk))
    assert event.action == "create" and event.actor == clerk_yuzhong and event.district_id == filing.district_id
    assert event.new_values["valid_to"] == "2023-08-31" and event.new_values["filing_type"] == "referral"

    emergency = file(
        clerk_yuzhong, employee(), filing_type="emergency", valid_from=D(2023, 3, 10),
        documents_checked=[ID_DOCS, "急诊抢救证明"],
    )  # fmt: skip
    assert emergency.valid_to == D(2023, 4, 9)  # valid_months 1
    assert emergency.scheme == "employee"


def test_long_term_filing_is_open_ended(person, clerk_yuzhong):
    filing = file(clerk_yuzhong, person, filing_type="retired_elsewhere", documents_checked=RETIRED_DOCS)
    assert filing.valid_to is None and filing.rule.valid_months == 0 and filing.long_term


def test_end_date_beyond_the_rule_or_before_the_start_is_refused(person, clerk_yuzhong):
    message = refused(file, actor=clerk_yuzhong, person=person, valid_to=D(2023, 9, 1))
    assert "不超过6个月" in message and "最晚至 2023-08-31" in message and "可配置默认值" in message
    message = refused(file, actor=clerk_yuzhong, person=person, valid_to=D(2023, 2, 28))
    assert "不能早于开始日期（2023-03-01）" in message
    assert file(clerk_yuzhong, person, valid_to=D(2023, 8, 31)).valid_to == D(2023, 8, 31)


def test_a_destination_in_the_home_city_is_refused_no_filing_is_needed(person, clerk_yuzhong):
    # 002: "取消市内跨区县三级医疗机构住院备案手续"
    for code in ("500000", "500105"):
        message = refused(file, actor=clerk_yuzhong, person=person, destination_code=code)
        assert "取消市内跨区县三级医疗机构住院备案手续" in message and "无需办理异地就医备案" in message
    assert "6位行政区划代码" in refused(file, actor=clerk_yuzhong, person=person, destination_code="5100")
    assert "不是有效的省级" in refused(file, actor=clerk_yuzhong, person=person, destination_code="990000")
    assert file(clerk_yuzhong, person, destination_code="440300").destination_code == "440300"


def test_the_counter_must_have_checked_every_document_of_the_rule(person, clerk_yuzhong):
    message = refused(file, actor=clerk_yuzhong, person=person, documents_checked=[ID_DOCS])
    assert "窗口办理须查验以下材料，尚缺：转诊转院证明" in message
    message = refused(file, actor=clerk_yuzhong, person=person, documents_checked=[*REFERRAL_DOCS, "户口本"])
    assert "不是该备案类型的备案材料：户口本" in message
    # The counter may record the 承诺书 too; stored in the rule's order.
    filing = file(clerk_yuzhong, person, documents_checked=["转诊转院证明", PROMISE, ID_DOCS])
    assert filing.documents_checked == [ID_DOCS, "转诊转院证明", PROMISE]


def test_self_service_checks_its_own_shorter_list(person, self_service_user):
    # 004: "简化异地就医备案要件、精简备案流程、拓宽备案渠道、规范备案管理"
    common = {"actor": self_service_user, "person": person, "channel": "self_service", "valid_from": TODAY}
    message = refused(file, documents_checked=[PROMISE], **common)
    assert "自助办理须提供以下材料，尚缺：转诊转院证明" in message
    filing = file(documents_checked=[PROMISE], filing_type="other_temporary", **common)
    # other_temporary: the counter would need the ID document, the self-service channel only the 承诺书.
    assert filing.documents_checked == [PROMISE] and filing.channel == "self_service"
    assert filing.created_by == self_service_user and filing.valid_to == D(2023, 12, 14)


def test_self_service_may_not_backdate_staff_may(person, self_service_user, clerk_yuzhong):
    message = refused(
        file, actor=self_service_user, person=person, channel="self_service", valid_from=TODAY - dt.timedelta(days=1),
        documents_checked=[PROMISE, "转诊转院证明"],
    )  # fmt: skip
    assert "自助办理的备案开始日期不能早于今天" in message
    assert file(clerk_yuzhong, person, valid_from=D(2023, 1, 5)).valid_from == D(2023, 1, 5)  # 补办备案


def test_channels_need_their_capability(person, self_service_user, clerk_yuzhong, auditor):
    with pytest.raises(PermissionDenied):
        file(clerk_yuzhong, person, channel="self_service", valid_from=TODAY, documents_checked=[PROMISE])
    with pytest.raises(PermissionDenied):
        file(self_service_user, person)  # counter channel: staff only
    with pytest.raises(PermissionDenied):
        file(auditor, person)
    assert counts() == (0, 0)


def test_no_enrollment_or_a_death_before_the_start_is_refused(person, clerk_yuzhong):
    message = refused(file, actor=clerk_yuzhong, person=person, valid_from=D(2022, 8, 31))
    assert "在 2022-08-31 没有有效的参保登记" in message
    person.death_date = D(2023, 2, 1)
    person.save(update_fields=["death_date"])
    message = refused(file, actor=clerk_yuzhong, person=person)
    assert "晚于参保人死亡日期（2023-02-01）" in message


def test_overlapping_active_filings_are_refused(person, clerk_yuzhong):
    first = file(clerk_yuzhong, person)  # 2023-03-01 .. 2023-08-31
    message = refused(file, actor=clerk_yuzhong, person=person, destination_code="440000", valid_from=D(2023, 8, 31))
    assert f"备案号 {first.pk}" in message and "2023-03-01 至 2023-08-31" in message
    message = refused(
        file, actor=clerk_yuzhong, person=person, filing_type="retired_elsewhere", valid_from=D(2023, 1, 1),
        documents_checked=RETIRED_DOCS,
    )  # fmt: skip
    assert f"备案号 {first.pk}" in message  # an open-ended one overlaps everything after its start
    after = file(clerk_yuzhong, person, destination_code="440000", valid_from=D(2023, 9, 1))
    assert after.valid_to == D(2024, 2, 29)
    filing_revoke(actor=clerk_yuzhong, filing=first, reason="行程取消")
    assert file(clerk_yuzhong, person, valid_from=D(2023, 4, 1), valid_to=D(2023, 8, 1)).pk


def test_another_districts_clerk_cannot_file(person, clerk_jiangbei):
    message = refused(file, actor=clerk_jiangbei, person=person)
    assert "只能在本人所属区县办理该业务" in message


# --- change and revocation -------------------------------------------------------------------------------------


def test_a_long_term_filing_changes_only_after_the_rules_months(person, clerk_yuzhong):
    filing = file(
        clerk_yuzhong, person, filing_type="living_elsewhere", valid_from=D(2023, 1, 10),
        documents_checked=[ID_DOCS, "居住证明或个人承诺书"],
    )  # fmt: skip
    assert filing.rule.min_months_before_change == 6
    message = refused(filing_change, actor=clerk_yuzhong, filing=filing, destination_code="440000", reason="搬家")
    assert "须满6个月方可变更" in message and "2023-07-10 起可以变更" in message
    assert "6个月为可配置默认值" in message  # the rule's source says 可配置默认值
    assert "2023-07-10 起可以撤销" in refused(filing_revoke, actor=clerk_yuzhong, filing=filing, reason="回渝")

    with demo_clock(D(2023, 7, 10)):
        changed = filing_change(actor=clerk_yuzhong, filing=filing, destination_code="440300", reason="搬到深圳")
    assert changed.destination_code == "440300" and changed.changed_at is not None
    event = AuditEvent.objects.filter(object_id=str(filing.pk), action="update").get()
    assert event.old_values == {"destination_code": "510000"}
    assert event.new_values == {"destination_code": "440300", "reason": "搬到深圳"} and event.note == "搬到深圳"


def test_change_of_a_temporary_filing_checks_the_end_date_and_records_old_and_new(person, clerk_yuzhong):
    filing = file(clerk_yuzhong, person)
    assert "没有需要变更的内容" in refused(
        filing_change, actor=clerk_yuzhong, filing=filing, valid_to=D(2023, 8, 31), reason="无"
    )
    assert "最晚至 2023-08-31" in refused(
        filing_change, actor=clerk_yuzhong, filing=filing, valid_to=D(2023, 9, 1), reason="延长"
    )
    assert "请填写变更原因" in refused(
        filing_change, actor=clerk_yuzhong, filing=filing, valid_to=D(2023, 5, 1), reason=" "
    )
    changed = filing_change(actor=clerk_yuzhong, filing=filing, valid_to=D(2023, 5, 31), reason="提前返回")
    assert changed.valid_to == D(2023, 5, 31)
    event = AuditEvent.objects.get(object_id=str(filing.pk), action="update")
    assert event.old_values == {"valid_to": "2023-08-31"} and event.new_values["valid_to"] == "2023-05-31"


def test_revocation_once_then_nothing_and_no_change_after(person, clerk_yuzhong):
    filing = file(clerk_yuzhong, person)
    revoked = filing_revoke(actor=clerk_yuzhong, filing=filing, reason="行程取消")
    assert (revoked.status, revoked.revoke_reason) == ("revoked", "行程取消") and revoked.revoked_at
    before = counts()
    again = filing_revoke(actor=clerk_yuzhong, filing=filing, reason="再次撤销")
    assert counts() == before
    assert (again.revoke_reason, again.revoked_at) == ("行程取消", revoked.revoked_at)
    event = AuditEvent.objects.get(object_id=str(filing.pk), action="status")
    assert event.old_values == {"status": "active"} and event.new_values["status"] == "revoked"
    assert "已撤销，不能变更" in refused(
        filing_change, actor=clerk_yuzhong, filing=filing, valid_to=D(2023, 5, 1), reason="x"
    )


def test_another_districts_clerk_cannot_change_or_revoke(person, clerk_yuzhong, clerk_jiangbei):
    filing = file(clerk_yuzhong, person)
    assert "只能在本人所属区县" in refused(
        filing_change, actor=clerk_jiangbei, filing=filing, valid_to=D(2023, 5, 1), reason="x"
    )
    assert "只能在本人所属区县" in refused(filing_revoke, actor=clerk_jiangbei, filing=filing, reason="x")


# --- staff pages ------------------------------------------------------------------------------------------------


def test_pages_file_change_and_revoke(person, clerk_yuzhong, client_for):
    client = client_for(clerk_yuzhong)
    new = reverse("benefits:remote_filing_create") + f"?person={person.pk}"
    page = client.get(new + "&filing_type=emergency")
    assert page.status_code == 200
    text = page.content.decode()
    assert "急诊抢救证明" in text and "转诊转院证明" not in text and 'value="emergency"' in text

    body = {
        "filing_type": "referral", "destination": "510000", "city_code": "", "valid_from": "2023-03-01",
        "valid_to": "", "documents_checked": [ID_DOCS], "note": "",
    }  # fmt: skip
    refused_page = client.post(new, body)
    assert refused_page.status_code == 400 and "尚缺：转诊转院证明" in refused_page.content.decode()
    assert "转诊转院证明" in refused_page.content.decode()  # the posted type's documents are offered
    assert counts() == (0, 0)
    home = client.post(new, body | {"documents_checked": REFERRAL_DOCS, "city_code": "500103"})
    assert "市级代码须属于所选省份" in home.content.decode() and counts() == (0, 0)  # the home city is not offered

    done = client.post(new, body | {"documents_checked": REFERRAL_DOCS, "city_code": "510100"})
    filing = RemoteCareFiling.objects.get()
    assert done.status_code == 302 and done.url == reverse("benefits:remote_filing_detail", args=[filing.pk])
    assert (filing.destination_code, filing.valid_to, filing.channel) == ("510100", D(2023, 8, 31), "counter")

    detail = client.get(done.url).content.decode()
    assert "转诊转院" in detail and "2023-08-31" in detail and "可配置默认值" in detail
    assert reverse("benefits:remote_filing_change", args=[filing.pk]) in detail

    change = reverse("benefits:remote_filing_change", args=[filing.pk])
    assert client.get(change).status_code == 200
    moved = client.post(
        change, {"destination": "510000", "city_code": "510100", "valid_to": "2023-06-30",
                 "documents_checked": REFERRAL_DOCS, "reason": "提前返回"},
    )  # fmt: skip
    assert moved.status_code == 302
    filing.refresh_from_db()
    assert filing.valid_to == D(2023, 6, 30) and filing.changed_at

    revoke = reverse("benefits:remote_filing_revoke", args=[filing.pk])
    assert client.post(revoke, {"reason": ""}).status_code == 400  # the form asks for the reason
    assert client.post(revoke, {"reason": "行程取消"}).status_code == 302
    filing.refresh_from_db()
    assert filing.status == "revoked"
    assert reverse("benefits:remote_filing_change", args=[filing.pk]) not in client.get(done.url).content.decode()


def test_detail_page_shows_the_rules_reduction(person, clerk_yuzhong, client_for):
    filing = file(clerk_yuzhong, person, filing_type="other_temporary", documents_checked=[ID_DOCS])
    page = client_for(clerk_yuzhong).get(reverse("benefits:remote_filing_detail", args=[filing.pk])).content.decode()
    assert "统筹基金支付比例降低 10 个百分点" in page and "6 个月" in page
    referral = file(clerk_yuzhong, resident())
    page = client_for(clerk_yuzhong).get(reverse("benefits:remote_filing_detail", args=[referral.pk])).content.decode()
    assert "统筹基金支付比例不降低" in page


def test_history_link_for_those_who_read_the_audit_trail(person, clerk_yuzhong, reviewer_yuzhong, client_for):
    filing = file(clerk_yuzhong, person)
    url = reverse("benefits:remote_filing_detail", args=[filing.pk])
    assert 'data-testid="history-link"' not in client_for(clerk_yuzhong).get(url).content.decode()
    reviewer = client_for(reviewer_yuzhong)
    response = reviewer.get(url)
    history = response.content.decode().split('data-testid="history-link"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert history == f"/audit/events/?object_type=benefits.remotecarefiling&amp;object_id={filing.pk}"
    trail = reviewer.get(history.replace("&amp;", "&"))
    assert trail.status_code == 200 and len(trail.context["page"].items) == 1


def test_list_search_filters_and_no_count(person, clerk_yuzhong, client_for):
    other = resident()
    a = file(clerk_yuzhong, person)
    b = file(
        clerk_yuzhong, other, filing_type="retired_elsewhere", destination_code="440300", documents_checked=RETIRED_DOCS
    )
    client = client_for(clerk_yuzhong)
    url = reverse("benefits:remote_filing_list")

    def ids(**params) -> set[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        return {f.pk for f in response.context["page"].items}

    with CaptureQueriesContext(connection) as queries:
        assert ids() == {a.pk, b.pk}
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert ids(q=person.id_number) == {a.pk}
    assert ids(q=person.id_number[:10]) == set()  # ID numbers are matched whole
    assert ids(q=other.name) == {b.pk}
    assert ids(q=other.name[:2]) == {a.pk, b.pk}  # a name prefix: both are 测试…
    assert ids(filing_type="retired_elsewhere") == {b.pk}
    assert ids(destination="440000") == {b.pk}  # the province covers its cities
    assert ids(status="revoked") == set()


def test_another_district_sees_nothing(person, clerk_yuzhong, clerk_jiangbei, client_for):
    filing = file(clerk_yuzhong, person)
    client = client_for(clerk_jiangbei)
    for name in ("remote_filing_detail", "remote_filing_change", "remote_filing_revoke"):
        assert client.get(reverse(f"benefits:{name}", args=[filing.pk])).status_code == 404
    assert client.post(reverse("benefits:remote_filing_revoke", args=[filing.pk]), {"reason": "x"}).status_code == 404
    assert list(client.get(reverse("benefits:remote_filing_list")).context["page"].items) == []
    new = reverse("benefits:remote_filing_create") + f"?person={person.pk}"
    assert client.get(new).status_code == 404
    filing.refresh_from_db()
    assert filing.status == "active"

    api = staff_client(clerk_jiangbei)
    assert api.get(API).json()["results"] == []
    assert api.get(f"{API}{filing.pk}/").status_code == 404
    assert api.patch(f"{API}{filing.pk}/", {"valid_to": "2023-05-01", "reason": "x"}, format="json").status_code == 404
    assert api.post(f"{API}{filing.pk}/revoke/", {"reason": "x"}, format="json").status_code == 404
    body = {"person_id": person.pk, "filing_type": "referral", "destination_code": "510000",
            "valid_from": "2023-03-01", "documents_checked": REFERRAL_DOCS}  # fmt: skip
    assert api.post(API, body, format="json").status_code == 404
    assert RemoteCareFiling.objects.count() == 1


def test_person_page_panel_lists_the_filings(person, clerk_yuzhong, client_for):
    filing = file(clerk_yuzhong, person)
    panel = PersonPanel(order=25, render=remote_filing_panel)
    added = panel not in PERSON_PANELS
    register_person_panel(panel)
    try:
        page = client_for(clerk_yuzhong).get(reverse("enrollment:person_detail", args=[person.pk])).content.decode()
    finally:
        if added:
            PERSON_PANELS.remove(panel)
    assert 'data-testid="remote-filing-panel"' in page
    assert reverse("benefits:remote_filing_detail", args=[filing.pk]) in page
    assert reverse("benefits:remote_filing_create") + f"?person={person.pk}" in page


# --- staff API --------------------------------------------------------------------------------------------------


def test_staff_api_files_changes_and_revokes(person, clerk_yuzhong):
    api = staff_client(clerk_yuzhong)
    body = {"person_id": person.pk, "filing_type": "referral", "destination_code": "500103",
            "valid_from": "2023-03-01", "documents_checked": REFERRAL_DOCS}  # fmt: skip
    response = api.post(API, body, format="json")
    assert (
        response.status_code == 400
        and "取消市内跨区县三级医疗机构住院备案手续" in response.json()["destination_code"][0]
    )
    response = api.post(API, body | {"destination_code": "51"}, format="json")
    assert response.status_code == 400 and "6位行政区划代码" in response.json()["destination_code"][0]
    response = api.post(API, body | {"destination_code": "510000", "documents_checked": []}, format="json")
    assert response.status_code == 400 and "尚缺" in response.json()["documents_checked"][0]
    assert counts() == (0, 0)

    response = api.post(API, body | {"destination_code": "510000"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["channel"], data["valid_to"], data["destination_name"]) == ("api", "2023-08-31", "四川省")
    assert data["rule"]["valid_months"] == 6 and person.id_number not in response.content.decode()
    pk = data["id"]

    assert [r["id"] for r in api.get(API, {"person": person.pk}).json()["results"]] == [pk]
    assert api.get(API, {"filing_type": "nonsense"}).status_code == 400
    response = api.patch(f"{API}{pk}/", {"valid_to": "2023-09-30", "reason": "延长"}, format="json")
    assert response.status_code == 400 and "最晚至 2023-08-31" in response.json()["valid_to"][0]
    response = api.patch(f"{API}{pk}/", {"valid_to": "2023-06-30", "reason": "提前返回"}, format="json")
    assert response.status_code == 200 and response.json()["valid_to"] == "2023-06-30"
    response = api.post(f"{API}{pk}/revoke/", {"reason": "行程取消"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert api.post(f"{API}{pk}/revoke/", {"reason": "再次"}, format="json").json()["revoke_reason"] == "行程取消"
    assert AuditEvent.objects.filter(object_type="benefits.remotecarefiling").count() == 3


def test_readers_without_edit_rights_and_institutions_are_refused(person, clerk_yuzhong, auditor, institution_user):
    filing = file(clerk_yuzhong, person)
    reader = staff_client(auditor)
    assert reader.get(f"{API}{filing.pk}/").status_code == 200
    assert reader.post(f"{API}{filing.pk}/revoke/", {"reason": "x"}, format="json").status_code == 403
    institution = token_client(institution_user)
    assert institution.get(API).status_code == 403
    assert institution.get(f"{API}{filing.pk}/").status_code == 403
    assert institution.get(SELF_API, {"id_number": person.id_number, "name": person.name}).status_code == 403
    filing.refresh_from_db()
    assert filing.status == "active"


# --- self-service API -------------------------------------------------------------------------------------------


def test_self_service_files_and_reads_only_the_identified_person(person, self_service_user, clerk_yuzhong):
    other = resident()
    file(clerk_yuzhong, other)
    app = token_client(self_service_user)
    body = {"id_number": person.id_number, "name": person.name, "filing_type": "other_temporary",
            "destination_code": "440300", "valid_from": TODAY.isoformat(), "documents": [PROMISE]}  # fmt: skip

    response = app.post(SELF_API, body | {"name": "别人"}, format="json")
    assert response.status_code == 400 and "身份证号与姓名不一致" in response.json()["id_number"][0]
    response = app.post(SELF_API, body | {"documents": []}, format="json")
    assert response.status_code == 400 and "自助办理须提供以下材料，尚缺：个人承诺书" in response.json()["documents"][0]
    response = app.post(SELF_API, body | {"valid_from": "2023-06-14"}, format="json")
    assert response.status_code == 400 and "不能早于今天" in response.json()["valid_from"][0]
    assert RemoteCareFiling.objects.count() == 1

    response = app.post(SELF_API, body, format="json")
    assert response.status_code == 201, response.json()
    assert person.id_number not in response.content.decode()
    data = response.json()
    assert data["id_number_masked"] == person.masked_id_number and "created_by" not in data
    assert (data["channel"], data["valid_to"], data["district_code"]) == ("self_service", "2023-12-14", "500103")

    listed = app.get(SELF_API, {"id_number": person.id_number, "name": person.name})
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [data["id"]]
    assert person.id_number not in listed.content.decode()
    assert app.get(SELF_API, {"id_number": person.id_number, "name": other.name}).status_code == 400
    assert app.get(SELF_API, {"id_number": person.id_number}).status_code == 400

    # The self-service account reads nothing of the staff API; staff do not use the self-service one.
    assert app.get(API).status_code == 403
    assert app.get(f"{API}{data['id']}/").status_code == 403
    clerk = staff_client(clerk_yuzhong)
    assert clerk.get(SELF_API, {"id_number": person.id_number, "name": person.name}).status_code == 403
    assert clerk.post(SELF_API, body, format="json").status_code == 403


def test_self_service_account_cannot_open_staff_pages(person, self_service_user, client_for):
    client = client_for(self_service_user)
    assert client.get(reverse("benefits:remote_filing_list")).status_code == 403


def test_api_names_cover_every_route():
    from benefits import api_urls_remote_filings as routes

    assert set(routes.API_NAMES) == {p.name for p in routes.urlpatterns}


# --- the schema: fuzzed like the whole API (tests/test_api_schemathesis.py), these operations only ----------------


def test_schemathesis_on_the_filing_operations(person, clerk_yuzhong, municipal_admin, self_service_user, settings):
    import base64

    import schemathesis
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis import GenerationMode

    from tests.conftest import PASSWORD
    from tests.test_api_schemathesis import _config

    settings.AXES_ENABLED = False
    file(clerk_yuzhong, person)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        app = get_wsgi_application()
        reader = {"Authorization": "Basic " + base64.b64encode(f"admin_city:{PASSWORD}".encode()).decode()}
        failures, statuses = [], []
        for username in ("admin_city", "app_self"):
            auth = {"basicAuth": {"username": username, "password": PASSWORD}}
            schema = schemathesis.openapi.from_wsgi("/api/schema/", app, config=_config(auth), headers=reader)
            operations = [r.ok() for r in schema.get_all_operations() if "remote-filings" in r.ok().path]
            assert len(operations) == 7, [o.path for o in operations]
            for operation in operations:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                    @given(case=operation.as_strategy(generation_mode=mode))
                    @hypothesis_settings(
                        max_examples=8, deadline=None, database=None, derandomize=True,
                        suppress_health_check=list(HealthCheck),
                    )  # fmt: skip
                    def run(case):
                        statuses.append(case.call_and_validate().status_code)

                    try:
                        run()
                    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every failure
                        failures.append(f"{username} {operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, "\n\n".join(failures)
    assert 500 not in statuses and len(statuses) >= 100
