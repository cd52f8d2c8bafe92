"""Enrollment pages as a district clerk uses them: register, search, reveal, import.

Headless Chromium driven by Playwright against pytest-django's live server; the `page`
fixture (and how Chromium is found) comes from tests/test_browser.py.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from contributions.models import ContributionBill
from core.models import AuditEvent, ImportBatch
from enrollment import services
from enrollment.models import Enrollment, Person
from enrollment.validators import ID_CHECK_CHARS
from tests.browser_support import log_in
from tests.factories import ResidentEnrollmentFactory, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMPORT_HEADER = "姓名,身份证号,性别,出生日期,区县代码,险种,人员类别,档次,联系电话,单位信用代码,缴费基数"


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/**")


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)


def wrong_check_digit(id_number: str) -> str:
    """Same first 17 characters, any other check character."""
    wrong = next(c for c in ID_CHECK_CHARS if c != id_number[17])
    return id_number[:17] + wrong


def masked(id_number: str) -> str:
    return f"{id_number[:6]}{'*' * 8}{id_number[14:]}"


def fill_register_form(page: Page, *, id_number: str, name: str) -> None:
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("姓名").fill(name)
    district = page.get_by_label("区县")
    # A district clerk is offered their own district only (plus Django's empty choice).
    real_options = [o for o in district.locator("option").all_inner_texts() if o.strip("- ")]
    assert real_options == ["500103 渝中区"]
    district.select_option(label="500103 渝中区")
    page.get_by_label("险种").select_option(label="居民医保")
    page.get_by_label("人员类别").select_option(label="成年居民")
    page.get_by_label("档次").select_option(label="一档")
    page.get_by_label("参保开始日期").fill("2024-01-01")


# 1. Register a person, see the masked number, reveal it (logged).


def test_clerk_registers_person_and_reveals_full_id(page, live_server, clerk_yuzhong, conftest_password):
    id_number = make_id_number(area="500103", birth=dt.date(1985, 3, 9), seq=123)
    log_in(page, live_server, "clerk_yz", conftest_password)

    nav_link(page, "参保人").click()
    page.wait_for_url(f"{live_server.url}/enrollment/people/")
    page.get_by_role("link", name="参保登记").click()
    page.wait_for_url("**/enrollment/people/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("参保登记")

    fill_register_form(page, id_number=id_number, name="王小明")
    page.get_by_role("button", name="提交").click()

    page.wait_for_url("**/enrollment/people/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text("王小明")
    expect(page.locator("ul.messages")).to_contain_text("已登记参保人 王小明")
    id_code = page.locator("#id-number")
    expect(id_code).to_have_text(masked(id_number))
    assert id_number not in page.content()  # the full number is not anywhere in the page

    enrollments = page.get_by_test_id("enrollments").locator("tbody tr")
    expect(enrollments).to_have_count(1)
    cells = enrollments.first.locator("td").all_inner_texts()
    assert (cells[0], cells[1], cells[3]) == ("居民医保", "成年居民", "渝中区")
    assert cells[6].startswith("2024-01-01")
    page.screenshot(path="/tmp/person-page.png", full_page=True)

    person = Person.objects.get(id_number=id_number)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_SENSITIVE).exists()

    page.get_by_role("button", name="显示完整号码（将记录日志）").click()
    expect(id_code).to_have_text(id_number)  # swapped in by htmx, no navigation
    assert page.url.endswith(f"/enrollment/people/{person.pk}/")

    event = AuditEvent.objects.get(action="view_sensitive")
    assert event.actor == clerk_yuzhong
    assert event.object_id == str(person.pk)
    assert Enrollment.objects.filter(person=person, scheme="resident", tier=1).count() == 1


# 2. A wrong check digit is refused next to the field; nothing is written.


def test_register_with_wrong_check_digit_shows_chinese_error(page, live_server, clerk_yuzhong, conftest_password):
    bad = wrong_check_digit(make_id_number(area="500103", birth=dt.date(1990, 7, 1), seq=45))
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/new/")

    fill_register_form(page, id_number=bad, name="李四")
    page.get_by_role("button", name="提交").click()

    page.wait_for_load_state()
    assert page.url.endswith("/enrollment/people/new/")  # still on the form
    expect(page.locator("input[name=id_number]")).to_have_accessible_description(re.compile("身份证号校验位错误"))
    expect(page.locator(".field", has=page.locator("input[name=id_number]"))).to_have_class(re.compile("has-error"))
    # What the clerk typed is kept so they can correct it.
    expect(page.locator("input[name=id_number]")).to_have_value(bad)
    assert Person.objects.count() == 0
    assert Enrollment.objects.count() == 0


# 3. Search by ID prefix (htmx, no reload) and by exact name; other districts see nothing.


def test_search_by_id_prefix_and_name_scoped_to_district(
    page,
    live_server,
    districts,
    clerk_yuzhong,
    reviewer_jiangbei,
    conftest_password,
):
    yuzhong = districts["500103"].pk
    people = {}
    for name, year in [("张三", 1971), ("赵敏", 1982), ("钱多多", 1993)]:
        number = make_id_number(area="500103", birth=dt.date(year, 2, 14))
        people[name] = number
        services.person_register(actor=None, id_number=number, name=name, district_id=yuzhong)
    services.person_register(
        actor=None,
        id_number=make_id_number(area="500105", birth=dt.date(1993, 2, 14)),
        name="孙晓江",
        district_id=districts["500105"].pk,
    )

    log_in(page, live_server, "clerk_yz", conftest_password)
    nav_link(page, "参保人").click()
    page.wait_for_url(f"{live_server.url}/enrollment/people/")
    rows = page.get_by_test_id("person-table").locator("tbody tr")
    expect(rows).to_have_count(3)

    page.evaluate("window.__noFullReload = true")
    search = page.get_by_label("身份证号或姓名")
    prefix = people["赵敏"][:10]
    search.press_sequentially(prefix, delay=20)

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("赵敏")
    expect(rows.first).to_contain_text(masked(people["赵敏"]))
    assert page.evaluate("window.__noFullReload") is True  # htmx swapped the table, the page stayed
    expect(page).to_have_url(f"{live_server.url}/enrollment/people/?q={prefix}")  # hx-push-url

    search.fill("钱多多")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link")).to_have_text("钱多多")
    assert page.evaluate("window.__noFullReload") is True

    # The same search from another district's reviewer finds no one.
    log_out(page)
    log_in(page, live_server, "reviewer_jb", conftest_password)
    nav_link(page, "参保人").click()
    page.wait_for_url(f"{live_server.url}/enrollment/people/")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("孙晓江")  # their own district's person, before searching
    page.get_by_label("身份证号或姓名").fill("钱多多")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("没有符合条件的参保人。")


# 4. Batch import: upload, preview with the bad row, confirm, result.


def test_clerk_imports_csv_skipping_invalid_rows(page, live_server, clerk_yuzhong, conftest_password, tmp_path):
    lines = [IMPORT_HEADER]
    for i, (name, year) in enumerate([("陈一", 1960), ("周二", 1975), ("吴三", 1999)], start=1):
        number = make_id_number(area="500103", birth=dt.date(year, 6, 1 + i))
        gender = "男" if int(number[16]) % 2 else "女"
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        lines.append(f"{name},{number},{gender},{birth},500103,居民医保,成年居民,一档,,,")
    bad = wrong_check_digit(make_id_number(area="500103", birth=dt.date(1988, 8, 8)))
    lines.append(f"郑四,{bad},,,500103,居民医保,成年居民,一档,,,")
    csv_path = tmp_path / "名单.csv"
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    log_in(page, live_server, "clerk_yz", conftest_password)
    nav_link(page, "批量导入").click()
    page.wait_for_url(f"{live_server.url}/imports/")

    page.get_by_label("类型").select_option(label="参保人员名单")
    page.get_by_label("CSV 或 XLSX").set_input_files(str(csv_path))
    page.get_by_label("导入方式").select_option(label="逐行导入：错误行拒绝，其余导入")
    page.get_by_label("参保开始日期").fill("2024-01-01")
    expect(page.get_by_label("区县")).to_have_value(str(clerk_yuzhong.district_id))
    page.get_by_role("button", name="上传并校验（不会写入数据）").click()

    page.wait_for_url("**/imports/*/")
    status = page.get_by_test_id("batch-status")
    # Tasks run synchronously in tests; if a page ever shows 校验中, htmx polls until it changes.
    expect(status).to_have_text("待确认", timeout=15_000)
    expect(page.get_by_test_id("total-rows")).to_have_text("4")
    expect(page.get_by_test_id("valid-rows")).to_have_text("3")
    expect(page.get_by_test_id("error-rows")).to_have_text("1")
    error_rows = page.get_by_test_id("row-errors").locator("tbody tr")
    expect(error_rows).to_have_count(1)
    cells = error_rows.first.locator("td").all_inner_texts()
    assert cells[0] == "5"
    assert cells[1] == "身份证号"
    assert cells[3] == "身份证号校验位错误"
    assert bad not in page.content()  # the refused number is shown masked
    assert Enrollment.objects.count() == 0  # the dry run wrote nothing

    page.get_by_role("button", name="确认导入").click()
    page.get_by_role("button", name="确认写入").click()
    page.wait_for_url("**/imports/*/")
    expect(status).to_have_text("已导入", timeout=15_000)
    expect(page.get_by_test_id("created-enrollments")).to_have_text("3")
    expect(page.get_by_test_id("created-persons")).to_have_text("3")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    page.screenshot(path="/tmp/import-result.png", full_page=True)

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert Enrollment.objects.count() == 3
    assert Enrollment.objects.filter(import_batch_id=batch.pk, start_date=dt.date(2024, 1, 1)).count() == 3
    assert not Person.objects.filter(name="郑四").exists()


def test_clerk_issues_a_bill_and_takes_a_counter_payment_from_the_person_page(
    page,
    live_server,
    clerk_yuzhong,
    conftest_password,
    standards_2023,
):
    """The person page's 缴费单 section comes from money in (contributions), registered as a panel:
    issue the year's bill there, open 记录缴费, pay at the counter, and see the bill paid."""
    enrollment = ResidentEnrollmentFactory(start_date=dt.date(2022, 9, 1))
    person = enrollment.person
    log_in(page, live_server, clerk_yuzhong.username, conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    bills = page.get_by_test_id("bills")
    expect(bills).to_contain_text("暂无记录")
    page.get_by_label("参保年度").fill("2023")
    page.get_by_role("button", name="生成缴费单").click()
    expect(page.get_by_text("已生成2023年度缴费单")).to_be_visible()
    bill = ContributionBill.objects.get(person=person, coverage_year=2023)
    expect(bills).to_contain_text(str(bill.due_amount))
    page.get_by_role("link", name="记录缴费").click()
    page.wait_for_url(f"**/contributions/bills/{bill.pk}/pay/")
    page.get_by_label("缴费流水号").fill("COUNTER-0001")
    page.get_by_label("缴费日期").fill("2022-12-01")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"**/enrollment/people/{person.pk}/")
    expect(page.get_by_text("已记录缴费")).to_be_visible()
    bill.refresh_from_db()
    assert (bill.status, bill.paid_amount) == ("paid", bill.due_amount)
