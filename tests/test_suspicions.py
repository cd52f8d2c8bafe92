"""疑点核查: the queue and review in the browser and the API, scoped by district, audited; starting a scan."""

import re

import pytest
from django.urls import reverse

from audit.fraud import fraud_scan
from audit.models import Suspicion
from core.models import AuditEvent, JobRun
from core.roles import Role
from tests.benefits_support import staff_client
from tests.fraud_support import YEAR, person, seed_rules, settle

API = "/api/v1/suspicions/"


@pytest.fixture
def suspicions(policy_2023, hospital_yz, districts):
    """One gender-rule hit in Yuzhong (500103) and one in Jiangbei (500105)."""
    seed_rules()
    settle(person(gender="M"), hospital_yz, "YZ1", "2023-05-01", total="300.00", pooled="150.00", diag="O80")
    settle(person(gender="M", district=districts["500105"]), hospital_yz, "JB1", "2023-05-02", diag="O82")
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    return {s.district.code: s for s in Suspicion.objects.select_related("district")}


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor_city", Role.FUND_SUPERVISOR)


def test_queue_shows_only_the_users_district(suspicions, reviewer_yuzhong, reviewer_jiangbei, client_for):
    yz, jb = suspicions["500103"], suspicions["500105"]
    page = client_for(reviewer_yuzhong).get("/audit/suspicions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/audit/suspicions/{yz.pk}/"' in html and f'href="/audit/suspicions/{jb.pk}/"' not in html
    assert "疑点筛查" not in html  # reviewers do not start scans

    other = client_for(reviewer_jiangbei)
    assert other.get(f"/audit/suspicions/{yz.pk}/").status_code == 404
    assert other.post(f"/audit/suspicions/{yz.pk}/", {"decision": "confirmed", "reason": "x"}).status_code == 404
    api = staff_client(reviewer_jiangbei)
    assert [r["id"] for r in api.get(API).json()["results"]] == [jb.pk]
    assert api.get(f"{API}{yz.pk}/").status_code == 404
    assert api.post(f"{API}{yz.pk}/review/", {"decision": "confirmed", "reason": "x"}).status_code == 404
    assert Suspicion.objects.get(pk=yz.pk).status == "open"


def test_city_wide_supervisor_sees_both_and_filters(suspicions, supervisor):
    api = staff_client(supervisor)
    assert {r["district_code"] for r in api.get(API).json()["results"]} == {"500103", "500105"}
    assert api.get(API, {"status": "confirmed"}).json()["results"] == []
    assert len(api.get(API, {"rule": "GENDER_AGE"}).json()["results"]) == 2


def test_clerk_without_review_gets_403(suspicions, clerk_yuzhong, client_for):
    yz = suspicions["500103"]
    assert client_for(clerk_yuzhong).get("/audit/suspicions/").status_code == 403
    assert client_for(clerk_yuzhong).get(f"/audit/suspicions/{yz.pk}/").status_code == 403
    assert staff_client(clerk_yuzhong).get(API).status_code == 403
    assert (
        staff_client(clerk_yuzhong).post(f"{API}{yz.pk}/review/", {"decision": "confirmed", "reason": "x"}).status_code
        == 403
    )


def test_auditor_reads_but_cannot_review(suspicions, auditor, client_for):
    yz = suspicions["500103"]
    assert client_for(auditor).get(f"/audit/suspicions/{yz.pk}/").status_code == 200
    assert (
        client_for(auditor).post(f"/audit/suspicions/{yz.pk}/", {"decision": "confirmed", "reason": "x"}).status_code
        == 403
    )
    assert (
        staff_client(auditor).post(f"{API}{yz.pk}/review/", {"decision": "dismissed", "reason": "x"}).status_code == 403
    )
    assert Suspicion.objects.get(pk=yz.pk).status == "open"


def test_detail_shows_the_settlement_and_links_its_statement(suspicions, reviewer_yuzhong, client_for):
    yz = suspicions["500103"]
    html = client_for(reviewer_yuzhong).get(f"/audit/suspicions/{yz.pk}/").content.decode()
    assert f'href="{reverse("benefits:settlement_detail", args=[yz.settlement_id])}"' in html
    assert "YZ1" in html and "300.00" in html and "150.00" in html and "限女性" in html
    assert 'data-testid="review-form"' in html


def test_confirm_in_the_browser_with_a_reason_is_audited(suspicions, reviewer_yuzhong, client_for):
    yz = suspicions["500103"]
    client = client_for(reviewer_yuzhong)
    response = client.post(f"/audit/suspicions/{yz.pk}/", {"decision": "confirmed", "reason": "男性产科诊断，已核实"})

    assert response.status_code == 302
    yz.refresh_from_db()
    assert (yz.status, yz.review_reason, yz.reviewed_by) == ("confirmed", "男性产科诊断，已核实", reviewer_yuzhong)
    event = AuditEvent.objects.get(object_type="audit.suspicion", object_id=str(yz.pk), action="update")
    assert event.old_values == {"status": "open", "review_reason": ""}
    assert event.new_values == {"status": "confirmed", "review_reason": "男性产科诊断，已核实"}
    assert event.district.code == "500103" and event.actor == reviewer_yuzhong
    again = client.post(f"/audit/suspicions/{yz.pk}/", {"decision": "dismissed", "reason": "改判"})
    assert again.status_code == 400 and "该疑点已核查（确认违规），不能重复处理" in again.content.decode()
    assert Suspicion.objects.get(pk=yz.pk).status == "confirmed"


def test_missing_reason_is_a_form_error_and_changes_nothing(suspicions, reviewer_yuzhong, client_for):
    yz = suspicions["500103"]
    client = client_for(reviewer_yuzhong)
    events = AuditEvent.objects.count()
    response = client.post(f"/audit/suspicions/{yz.pk}/", {"decision": "confirmed", "reason": " "})

    assert response.status_code == 400 and "请填写核查意见" in response.content.decode()
    assert Suspicion.objects.get(pk=yz.pk).status == "open" and AuditEvent.objects.count() == events


def test_review_through_the_api(suspicions, reviewer_yuzhong):
    yz = suspicions["500103"]
    api = staff_client(reviewer_yuzhong)
    api.get(API)  # signs in (a login event) before counting
    events = AuditEvent.objects.count()

    missing = api.post(f"{API}{yz.pk}/review/", {"decision": "dismissed"}, format="json")
    assert missing.status_code == 400 and missing.json()["reason"] == ["请填写核查意见"]
    wrong = api.post(f"{API}{yz.pk}/review/", {"decision": "maybe", "reason": "x"}, format="json")
    assert wrong.status_code == 400 and "decision" in wrong.json()
    assert Suspicion.objects.get(pk=yz.pk).status == "open" and AuditEvent.objects.count() == events

    done = api.post(f"{API}{yz.pk}/review/", {"decision": "dismissed", "reason": "编码录入错误，已更正"}, format="json")
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["review_reason"], body["reviewed_by"]) == (
        "dismissed",
        "编码录入错误，已更正",
        "reviewer_yz",
    )
    assert (body["settlement_number"], body["amount"], body["rule_code"]) == ("YZ1", "150.00", "GENDER_AGE")
    assert AuditEvent.objects.count() == events + 1
    twice = api.post(f"{API}{yz.pk}/review/", {"decision": "confirmed", "reason": "x"}, format="json")
    assert twice.status_code == 400 and "已核查" in str(twice.json())


def test_supervisor_starts_a_scan_from_the_queue(
    suspicions, supervisor, client_for, django_capture_on_commit_callbacks
):
    client = client_for(supervisor)
    assert "开始筛查" in client.get("/audit/suspicions/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/audit/suspicions/scan/", {"start": "2023-01-01", "end": "2023-12-31", "rule": "GENDER_AGE"}
        )

    run = JobRun.objects.get(kind="fraud_scan")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{run.pk}/"
    run.refresh_from_db()
    assert run.params == {"start": "2023-01-01", "end": "2023-12-31", "rule_codes": ["GENDER_AGE"]}
    assert run.status == "succeeded" and run.counts == {"GENDER_AGE": 0, "created": 0}  # already found
    assert client.get(f"/jobs/{run.pk}/").status_code == 200

    bad = client.post("/audit/suspicions/scan/", {"start": "2023-12-31", "end": "2023-01-01"})
    assert bad.status_code == 400 and "截止日期不能早于开始日期" in bad.content.decode()
    assert JobRun.objects.filter(kind="fraud_scan").count() == 1


def test_scan_api(suspicions, supervisor, reviewer_yuzhong):
    api = staff_client(supervisor)
    started = api.post("/api/v1/fraud-scans/", {"start": "2023-01-01", "end": "2023-06-30"}, format="json")
    assert started.status_code == 202
    run = JobRun.objects.get(pk=started.json()["id"])
    assert run.kind == "fraud_scan" and run.started_by == supervisor

    bad = api.post(
        "/api/v1/fraud-scans/", {"start": "2023-01-01", "end": "2023-06-30", "rules": ["NOPE"]}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["rule"] == ["规则编码不存在：NOPE"]
    assert api.post("/api/v1/fraud-scans/", {"start": "x", "end": "2023-06-30"}, format="json").status_code == 400
    denied = staff_client(reviewer_yuzhong).post("/api/v1/fraud-scans/", {"start": "2023-01-01", "end": "2023-06-30"})
    assert denied.status_code == 403
    assert JobRun.objects.filter(kind="fraud_scan").count() == 1


def test_review_radios_are_a_fieldset_with_a_legend(suspicions, reviewer_yuzhong, client_for):
    yz = suspicions["500103"]
    html = client_for(reviewer_yuzhong).get(f"/audit/suspicions/{yz.pk}/").content.decode()
    group = re.search(r"<fieldset[^>]*>\s*<legend>(.*?)</legend>(.*?)</fieldset>", html, flags=re.S)
    assert group and group.group(1).startswith("核查结论")
    radios = re.findall(r'<input type="radio" name="decision"[^>]*id="([^"]+)"', group.group(2))
    assert len(radios) == 2
    for radio in radios:  # each radio has its own label, and no label wraps the whole group
        assert re.search(rf'<label for="{radio}">', group.group(2))
    assert not re.search(r"<label[^>]*>(?:(?!</label>).)*<fieldset", html, flags=re.S)


def test_scan_window_defaults_to_the_latest_year_with_data(suspicions, supervisor, client_for, standards_2023):
    html = client_for(supervisor).get("/audit/suspicions/").content.decode()
    assert re.search(r'name="start" value="2023-01-01"', html)
    assert re.search(r'name="end" value="2023-12-31"', html)
