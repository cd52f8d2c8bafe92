"""应保尽保 (issue 15, finding 6 / must-show 3).

002: "继续做好医疗救助对困难群众参加居民医保个人缴费分类资助工作……确保应保尽保、应助尽助。"
004 表2: "5 资助困难群众参保率 % 100 100 约束性".

The civil-affairs list no longer refuses someone not yet registered: they become a 待参保 worklist item of
the district; a clerk of that district enrolls them (person, resident enrollment, aid record, the year's bill
with its 资助参保) in one transaction; the 资助参保率 per district and category counts open items as not
insured and lists who is missing.
"""

import datetime as dt
import importlib
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assistance import selectors, services
from assistance.importing import aid_recipient_batch_create
from assistance.models import AidEnrollmentItem, AidRecipient
from contributions.models import ContributionBill
from core.importing.reader import sample_csv
from core.models import AuditEvent, ImportRowError
from enrollment.models import Enrollment, Person
from tests.factories import PersonFactory, make_id_number

pytestmark = pytest.mark.django_db
HEADER = ["姓名", "身份证号", "救助类别", "认定开始日期", "认定截止日期", "数据来源"]
SEED_002 = "确保应保尽保、应助尽助"
SEED_004 = "资助困难群众参保率 % 100 100 约束性"


@pytest.fixture
def aid_policy_2023(db):
    importlib.import_module("assistance.migrations.0003_seed_aid_policy_2023").seed(apps, None)


def upload(actor, rows, *, capture, header=HEADER, district_id="actor", mode="skip_invalid"):
    with capture(execute=True):
        batch = aid_recipient_batch_create(
            actor=actor,
            fileobj=SimpleUploadedFile("救助对象.csv", sample_csv(header, rows)),
            original_name="救助对象.csv",
            district_id=actor.district_id if district_id == "actor" else district_id,
            mode=mode,
        )
    batch.refresh_from_db()
    return batch


def errors(batch):
    return list(ImportRowError.objects.filter(batch=batch).order_by("row_number").values_list("row_number", "message"))


def unknown_number(seq: int) -> str:
    return make_id_number(birth=dt.date(1975, 3, 9), seq=seq)


def test_the_seed_lines_this_file_enforces():
    root = Path("/work/shared/seeds")
    if not root.exists():
        pytest.skip("seed documents not on this machine")
    text = {p.name[:3]: p.read_text(encoding="utf-8") for p in root.glob("0*.txt")}
    assert SEED_002 in text["002"] and SEED_004 in text["004"]


def test_an_unknown_person_on_the_list_becomes_a_worklist_item_not_an_error(
    clerk_yuzhong, districts, django_capture_on_commit_callbacks
):
    known = PersonFactory(name="张一")
    other = PersonFactory(name="江北人", district=districts["500105"])
    new = unknown_number(901)
    rows = [
        [known.name, known.id_number, "特困", "2023-01-01", "", ""],
        ["王待保", new, "低保", "2023-02-01", "2023-12-31", "民政"],
        [other.name, other.id_number, "低保", "2023-01-01", "", ""],  # another district's person: refused as today
    ]
    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert (batch.valid_rows, batch.error_rows) == (2, 1)
    assert batch.counts["recipients_created"] == 1 and batch.counts["worklist_created"] == 1
    assert errors(batch) == [(4, "该身份证号未在本区县参保登记")]
    item = AidEnrollmentItem.objects.get()
    assert (item.id_number, item.name, item.category, item.valid_from, item.valid_to) == (
        new, "王待保", "subsistence", dt.date(2023, 2, 1), dt.date(2023, 12, 31)
    )  # fmt: skip
    assert (item.district_id, item.import_batch_id, item.status) == (clerk_yuzhong.district_id, batch.pk, "open")

    again = upload(clerk_yuzhong, rows[:2], capture=django_capture_on_commit_callbacks)
    assert again.counts["worklist_created"] == 0 and again.counts["unchanged"] == 2
    later = [["王待保", new, "低保", "2023-02-01", "2023-10-31", ""]]
    assert upload(clerk_yuzhong, later, capture=django_capture_on_commit_callbacks).counts["worklist_updated"] == 1
    assert AidEnrollmentItem.objects.get().valid_to == dt.date(2023, 10, 31)


def test_a_city_wide_list_names_the_district_of_the_unregistered(
    municipal_admin, districts, django_capture_on_commit_callbacks
):
    rows = [
        ["甲", unknown_number(902), "特困", "2023-01-01", "", "", "500105"],
        ["乙", unknown_number(903), "特困", "2023-01-01", "", "", "渝中区"],
        ["丙", unknown_number(904), "特困", "2023-01-01", "", "", ""],
    ]
    batch = upload(
        municipal_admin, rows, capture=django_capture_on_commit_callbacks, header=[*HEADER, "区县"], district_id=None
    )
    assert errors(batch) == [(4, "该身份证号未参保登记；全市名单须在“区县”列写明其所在区县")]
    got = dict(AidEnrollmentItem.objects.values_list("name", "district__code"))
    assert got == {"甲": "500105", "乙": districts["500103"].code}


def test_a_person_registered_the_ordinary_way_closes_their_item_on_the_next_import(
    clerk_yuzhong, districts, django_capture_on_commit_callbacks
):
    new = unknown_number(905)
    rows = [["李四", new, "特困", "2023-01-01", "", ""]]
    upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    person = PersonFactory(name="李四", id_number=new)
    upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    item = AidEnrollmentItem.objects.get()
    assert (item.status, item.person_id) == ("enrolled", person.pk)
    assert AidRecipient.objects.get().person_id == person.pk


@pytest.fixture
def open_item(clerk_yuzhong, districts, django_capture_on_commit_callbacks):
    rows = [["王待保", unknown_number(906), "特困人员", "2023-01-01", "", "民政"]]
    upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    return AidEnrollmentItem.objects.get()


def enroll(actor, item, **over):
    values = {"category": "adult", "tier": "1", "start_date": dt.date(2023, 1, 1), "coverage_year": 2023} | over
    return services.aid_enrollment_item_enroll(actor=actor, item=item, **values)


def test_the_clerk_enrolls_the_person_with_the_subsidy_in_one_go(
    clerk_yuzhong, open_item, standards_2023, aid_policy_2023
):
    done = enroll(clerk_yuzhong, open_item, phone="13800000000")
    person = Person.objects.get(id_number=open_item.id_number)
    assert (done.status, done.person_id, done.closed_by_id) == ("enrolled", person.pk, clerk_yuzhong.pk)
    assert (person.name, person.birth_date, person.district_id) == (
        "王待保",
        dt.date(1975, 3, 9),
        open_item.district_id,
    )
    enrollment = Enrollment.objects.get(person=person)
    assert (enrollment.scheme, enrollment.category, enrollment.tier) == ("resident", "adult", 1)
    recipient = AidRecipient.objects.get(person=person)
    assert (recipient.category, recipient.valid_from, recipient.import_batch_id) == (
        "destitute", dt.date(2023, 1, 1), open_item.import_batch_id
    )  # fmt: skip
    bill = ContributionBill.objects.get(person=person, coverage_year=2023)
    # 特困人员: 资助参保 of the whole individual contribution (seeded 2023 aid policy, ratio 1).
    assert bill.subsidy_amount == bill.due_amount > D("0") and bill.status == "paid"
    event = AuditEvent.objects.get(object_type="assistance.aidenrollmentitem", object_id=str(open_item.pk))
    assert event.new_values["bill_id"] == bill.pk and event.new_values["status"] == "enrolled"
    with pytest.raises(ValidationError, match="已参保"):
        enroll(clerk_yuzhong, done)


def test_enrollment_is_all_or_nothing(clerk_yuzhong, open_item, aid_policy_2023):
    with pytest.raises(ValidationError, match="筹资标准"):  # no contribution standard for 2031
        enroll(clerk_yuzhong, open_item, coverage_year=2031)
    assert not Person.objects.exists() and not AidRecipient.objects.exists()
    assert AidEnrollmentItem.objects.get().status == "open"


def test_another_district_sees_nothing(
    open_item, clerk_jiangbei, reviewer_jiangbei, client_for, standards_2023, aid_policy_2023
):
    with pytest.raises(ValidationError, match="只能在本人所属区县办理"):
        enroll(clerk_jiangbei, open_item)
    client = client_for(clerk_jiangbei)
    assert client.get(reverse("assistance:worklist_item", args=[open_item.pk])).status_code == 404
    assert client.post(reverse("assistance:worklist_enroll", args=[open_item.pk]), {}).status_code == 404
    assert client.get(f"/api/v1/aid-worklist/{open_item.pk}/").status_code == 404
    assert client.post(f"/api/v1/aid-worklist/{open_item.pk}/enroll/", {}).status_code == 404
    assert client.get("/api/v1/aid-worklist/").json()["results"] == []
    assert open_item.name not in client.get(reverse("assistance:worklist")).content.decode()
    rate = client_for(reviewer_jiangbei).get("/api/v1/aid-coverage-rate/?year=2023").json()
    assert rate["rows"] == [] and rate["missing"] == []


def test_dismiss_needs_a_reason_and_is_audited(clerk_yuzhong, open_item):
    with pytest.raises(ValidationError):
        services.aid_enrollment_item_dismiss(actor=clerk_yuzhong, item=open_item, note=" ")
    done = services.aid_enrollment_item_dismiss(actor=clerk_yuzhong, item=open_item, note="已在外地参保")
    assert done.status == "dismissed"
    assert AuditEvent.objects.filter(object_type="assistance.aidenrollmentitem", action="status").count() == 1


def test_rate_per_district_and_category_counts_the_worklist_as_not_insured(
    clerk_yuzhong, open_item, standards_2023, aid_policy_2023, client_for
):
    paid = PersonFactory(name="已缴")
    AidRecipient.objects.create(
        person=paid, category="destitute", valid_from=dt.date(2023, 1, 1), source="civil_affairs",
        district_id=paid.district_id,
    )  # fmt: skip
    from tests.factories import ResidentEnrollmentFactory

    enrollment = ResidentEnrollmentFactory(person=paid, tier=1, start_date=dt.date(2022, 9, 1))
    from contributions.services import contribution_bill_issue

    contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    rate = selectors.aid_enrollment_rate(fetched_by=clerk_yuzhong, year=2023)
    (row,) = rate["rows"]
    assert (row["category"], row["recipients"], row["covered"], row["to_enroll"], row["rate"]) == (
        "destitute", 1, 1, 1, D("50.00")
    )  # fmt: skip
    body = client_for(clerk_yuzhong).get(reverse("assistance:coverage_rate") + "?year=2023").content.decode()
    assert open_item.masked_id_number in body and open_item.id_number not in body
    assert reverse("assistance:worklist_item", args=[open_item.pk]) in body

    enroll(clerk_yuzhong, open_item)
    rate = selectors.aid_enrollment_rate(fetched_by=clerk_yuzhong, year=2023)
    assert rate["rows"][0]["rate"] == D("100.00") and rate["total"]["rate"] == D("100.00")
    api = client_for(clerk_yuzhong).get("/api/v1/aid-coverage-rate/?year=2023").json()
    assert api["total"]["rate"] == "100.00" and api["missing"] == []


def test_the_worklist_is_on_the_work_queue_and_the_page_enrolls(
    clerk_yuzhong, open_item, standards_2023, aid_policy_2023, client_for
):
    client = client_for(clerk_yuzhong)
    home = client.get(reverse("home")).content.decode()
    row = re.search(r'<tr data-testid="queue-aid_to_enroll">(.*?)</tr>', home, flags=re.S).group(1)
    assert 'data-testid="queue-count">1<' in row
    page = client.get(reverse("assistance:worklist") + "?status=open").content.decode()
    assert open_item.masked_id_number in page and open_item.id_number not in page
    response = client.post(
        reverse("assistance:worklist_enroll", args=[open_item.pk]),
        {"category": "adult", "tier": "1", "start_date": "2023-01-01", "coverage_year": "2023", "phone": ""},
    )
    person = Person.objects.get(id_number=open_item.id_number)
    assert response.status_code == 302 and response.url == reverse("enrollment:person_detail", args=[person.pk])
    bad = client.post(reverse("assistance:worklist_dismiss", args=[open_item.pk]), {"note": "x"})
    assert bad.status_code == 400 and "已参保" in bad.content.decode()


def test_api_enrolls(clerk_yuzhong, open_item, standards_2023, aid_policy_2023, client_for):
    client = client_for(clerk_yuzhong)
    listed = client.get("/api/v1/aid-worklist/?status=open").json()
    assert [r["id"] for r in listed["results"]] == [open_item.pk]
    assert listed["results"][0]["id_number_masked"] == open_item.masked_id_number
    response = client.post(
        f"/api/v1/aid-worklist/{open_item.pk}/enroll/",
        {"category": "adult", "tier": 2, "start_date": "2023-01-01", "coverage_year": 2023},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "enrolled" and response.json()["person_id"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_list_with_an_unknown_person_to_enrollment_to_a_full_rate(
    page, live_server, clerk_yuzhong, conftest_password, standards_2023, aid_policy_2023, tmp_path
):
    from playwright.sync_api import expect

    from tests.browser_support import assert_no_axe_violations, log_in

    new = unknown_number(907)
    csv = tmp_path / "救助对象.csv"
    csv.write_bytes(sample_csv(HEADER, [["王待保", new, "特困人员", "2023-01-01", "", "民政"]]))
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}{reverse('assistance:recipient_import')}")
    page.get_by_label("文件（CSV 或 XLSX）").set_input_files(str(csv))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url("**/imports/*/")
    item = AidEnrollmentItem.objects.get(id_number=new)

    page.goto(f"{live_server.url}/")
    page.get_by_test_id("queue-aid_to_enroll").get_by_role("link").click()
    page.wait_for_url("**/assistance/worklist/?status=open")
    assert_no_axe_violations(page)
    page.get_by_test_id("worklist-table").get_by_role("link", name="王待保").click()
    page.wait_for_url(f"**/assistance/worklist/{item.pk}/")
    assert_no_axe_violations(page)
    page.get_by_label("居民人员类别").select_option("adult")
    page.get_by_label("档次").select_option("1")
    page.get_by_label("参保开始日期").fill("2023-01-01")
    page.get_by_label("缴费年度").fill("2023")
    page.get_by_role("button", name="办理参保").click()
    person = Person.objects.get(id_number=new)
    page.wait_for_url(f"**/enrollment/people/{person.pk}/")
    expect(page.locator("ul.messages")).to_contain_text("已办理参保")
    bill = ContributionBill.objects.get(person=person, coverage_year=2023)
    assert bill.subsidy_amount == bill.due_amount and bill.status == "paid"

    page.goto(f"{live_server.url}{reverse('assistance:coverage_rate')}?year=2023")
    row = page.get_by_test_id(f"rate-{item.district_id}-destitute")
    expect(row.get_by_test_id("rate-value")).to_have_text("100.00%")
    assert new not in page.content()
    assert_no_axe_violations(page)
