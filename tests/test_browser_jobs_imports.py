"""Batch work as staff do it in the browser (issue 11, must-show 3): the enrollee list and the payments file
(upload -> preview -> confirmation -> result), and the year's collection started from 批处理 (progress bar ->
the job record in words).

Headless Chromium (Playwright) against pytest-django's live server; `page` comes from tests/conftest.py.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from contributions.models import ContributionBill, ContributionPayment
from contributions.services import contribution_bill_issue
from core.models import ImportBatch, JobRun
from enrollment.models import Enrollment, Person
from enrollment.validators import ID_CHECK_CHARS
from tests.browser_support import log_in
from tests.factories import ResidentEnrollmentFactory, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENROLLEE_HEADER = "姓名,身份证号,性别,出生日期,区县代码,险种,人员类别,档次,联系电话,单位信用代码,缴费基数"
PAYMENT_HEADER = "身份证号,参保年度,缴费金额,缴费流水号,缴费日期,缴费渠道"
# What staff must never read on these pages: job codes, dicts, exception names, count keys.
DEVELOPER_TEXT = re.compile(
    r"[{}]|\b[a-z]+_[a-z_]+\b|Error\b|Exception\b|Traceback|annual_collection|payments_import|import_apply"
)


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)


def assert_reads_in_words(page: Page) -> None:
    text = page.locator("main").inner_text()
    for name in ("clerk_yz", "admin_city"):  # user names are data, not developer text
        text = text.replace(name, "")
    found = DEVELOPER_TEXT.search(text)
    assert found is None, f"developer text on {page.url}: {found.group()!r}"


def upload(page: Page, live_server, *, kind: str, path, mode: str, effective_date: str = "") -> None:
    nav_link(page, "批量导入").click()
    page.wait_for_url(f"{live_server.url}/imports/")
    page.get_by_label("类型").select_option(label=kind)
    page.get_by_label("CSV 或 XLSX").set_input_files(str(path))
    page.get_by_label("导入方式").select_option(label=mode)
    if effective_date:
        page.get_by_label("参保开始日期").fill(effective_date)
    page.get_by_role("button", name="上传并校验（不会写入数据）").click()
    page.wait_for_url("**/imports/*/")


def confirm_import(page: Page, *, summary: str) -> None:
    """确认导入 opens the confirmation step, which says what will be written; 确认写入 writes it."""
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(re.compile(r"/imports/\d+/confirm/"))
    expect(page.get_by_test_id("confirm-summary")).to_have_text(summary)
    assert_reads_in_words(page)
    page.get_by_role("button", name="确认写入").click()
    page.wait_for_url("**/imports/*/")


def test_clerk_imports_an_enrollee_list_through_preview_and_confirmation(
    page, live_server, clerk_yuzhong, conftest_password, tmp_path
):
    lines = [ENROLLEE_HEADER]
    for i, (name, year) in enumerate([("陈一", 1960), ("周二", 1975)], start=1):
        number = make_id_number(area="500103", birth=dt.date(year, 6, 1 + i))
        gender = "男" if int(number[16]) % 2 else "女"
        lines.append(
            f"{name},{number},{gender},{number[6:10]}-{number[10:12]}-{number[12:14]},500103,居民医保,成年居民,一档,,,"
        )
    good = make_id_number(area="500103", birth=dt.date(1988, 8, 8))
    bad = good[:17] + next(c for c in ID_CHECK_CHARS if c != good[17])
    lines.append(f"郑四,{bad},,,500103,居民医保,成年居民,一档,,,")  # row 4: wrong check digit
    path = tmp_path / "名单.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    log_in(page, live_server, clerk_yuzhong.username, conftest_password)
    upload(
        page,
        live_server,
        kind="参保人员名单",
        path=path,
        mode="逐行导入：错误行拒绝，其余导入",
        effective_date="2024-01-01",
    )

    # The preview: the bad row with its row number and column, nothing written yet.
    expect(page.get_by_test_id("batch-status")).to_have_text("待确认", timeout=15_000)
    errors = page.get_by_test_id("row-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    assert errors.first.locator("td").all_inner_texts()[:2] == ["4", "身份证号"]
    assert_reads_in_words(page)
    assert Person.objects.count() == 0

    confirm_import(page, summary="将写入 2 行，跳过 1 行错误行。")
    expect(page.get_by_test_id("batch-status")).to_have_text("已导入", timeout=15_000)
    expect(page.get_by_test_id("created-enrollments")).to_have_text("2")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert_reads_in_words(page)
    assert Enrollment.objects.filter(start_date=dt.date(2024, 1, 1)).count() == 2
    assert not Person.objects.filter(name="郑四").exists()


def test_clerk_books_a_payments_file_only_after_confirming(
    page, live_server, clerk_yuzhong, standards_2023, conftest_password, tmp_path
):
    enrollments = [ResidentEnrollmentFactory(tier=1) for _ in range(2)]
    bills = [contribution_bill_issue(actor=None, enrollment=e, coverage_year=2023) for e in enrollments]
    first, second = (bill.person.id_number for bill in bills)
    lines = [
        PAYMENT_HEADER,
        f"{first},2023,{bills[0].outstanding},WEB-1,2023-02-01,税务代征",
        f"{second},2023,100.00,WEB-2,2023-02-01,",
        f"{second},2023,abc,WEB-3,2023-02-01,",  # row 4: not an amount
    ]
    path = tmp_path / "缴费.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    log_in(page, live_server, clerk_yuzhong.username, conftest_password)
    upload(page, live_server, kind="缴费记录", path=path, mode="逐行导入：错误行拒绝，其余导入")

    expect(page.get_by_test_id("batch-status")).to_have_text("待确认", timeout=15_000)
    expect(page.get_by_test_id("payments-created")).to_have_text("2")  # 将新增缴费记录: not booked yet
    errors = page.get_by_test_id("row-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    assert errors.first.locator("td").all_inner_texts()[:2] == ["4", "缴费金额"]
    assert_reads_in_words(page)
    assert ContributionPayment.objects.count() == 0
    assert ImportBatch.objects.get().status == ImportBatch.Status.VALIDATED

    confirm_import(page, summary="将写入 2 行，跳过 1 行错误行。")
    expect(page.get_by_test_id("batch-status")).to_have_text("已导入", timeout=15_000)
    expect(page.get_by_test_id("payments-created")).to_have_text("2")
    assert_reads_in_words(page)
    assert sorted(ContributionPayment.objects.values_list("reference", flat=True)) == ["WEB-1", "WEB-2"]
    paid = ContributionBill.objects.get(pk=bills[0].pk)
    assert paid.status == "paid" and paid.paid_amount == bills[0].outstanding
    assert ContributionBill.objects.get(pk=bills[1].pk).paid_amount == Decimal("100.00")


def test_admin_starts_the_years_collection_and_reads_the_record(
    page, live_server, municipal_admin, standards_2023, policy_2023, conftest_password, settings
):
    settings.YIBAO_EAGER_IN_THREAD = True  # as on a laptop: the job runs beside the page, which polls it
    for _ in range(3):
        ResidentEnrollmentFactory(tier=1, start_date=dt.date(2023, 1, 1))
    log_in(page, live_server, municipal_admin.username, conftest_password)
    nav_link(page, "批处理").click()
    page.wait_for_url(f"{live_server.url}/jobs/")
    row = page.get_by_test_id("start-annual_collection")
    year = row.get_by_role("spinbutton")
    assert re.fullmatch(r"20\d\d", year.input_value())  # a year is offered (the registering app's default)
    year.fill("2023")
    row.get_by_role("button", name="启动").click()
    page.wait_for_url("**/jobs/*/")

    expect(page.get_by_test_id("job-progress-bar")).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_have_text("成功", timeout=30_000)
    expect(page.get_by_test_id("job-progress-bar")).to_have_attribute("value", "100")
    run = JobRun.objects.get(kind="annual_collection")
    assert run.status == JobRun.Status.SUCCEEDED and run.counts["bills_created"] == 3
    heading = page.locator("h1").inner_text()
    assert "年度缴费征收" in heading
    counts = page.get_by_test_id("job-counts")
    expect(counts).to_contain_text("新增缴费单")
    expect(counts).to_contain_text("3")
    expect(counts).to_contain_text("已安排的个人账户划入月份")
    assert_reads_in_words(page)

    # The list reads in words too.
    page.get_by_role("link", name="返回列表").click()
    page.wait_for_url(f"{live_server.url}/jobs/")
    assert "年度缴费征收" in page.locator("main table").last.inner_text()
    assert_reads_in_words(page)
