"""Fund supervision in the browser: the fund books page (warnings, indicators, charts, axe), 手工记账 by
keyboard, and a 飞行检查 (one kind of 监督检查) case from opening to closing.

Headless Chromium driven by Playwright against pytest-django's live server (see tests/test_browser.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from audit.models import Inspection
from core.models import AuditEvent, JournalEntry
from core.roles import Role
from tests.browser_support import assert_no_axe_violations, log_in
from tests.test_aid_subsidies import aid_policy_2023  # noqa: F401 (a fixture)
from tests.test_browser_benefits import nav_link
from tests.test_fund_dashboard import CRITICAL, build_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def books(districts, hospital_yz, institution_user, policy_2023, standards_2023, aid_policy_2023, settings):  # noqa: F811
    """The scenario of tests/test_fund_dashboard.py, whose books are worked out by hand there."""
    settings.YIBAO_CRITICAL_FINANCING = CRITICAL
    return build_scenario(districts, hospital_yz, institution_user)


def test_supervisor_reads_the_fund_books_and_runs_an_inspection(
    page, live_server, make_user, books, hospital_yz, conftest_password
):
    make_user("sup_city", Role.FUND_SUPERVISOR)
    log_in(page, live_server, "sup_city", conftest_password)

    nav_link(page, "基金运行").click()
    page.wait_for_url("**/audit/fund/")
    page.get_by_label("年度").fill("2023")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/audit/fund/?year=2023*")
    expect(page.get_by_test_id("fund-scope")).to_have_text("全市")
    expect(page.get_by_test_id("opening-resident_pooled")).to_have_text("6,000.00 元")
    expect(page.get_by_test_id("closing-resident_pooled")).to_have_text("3,395.34 元")
    expect(page.get_by_test_id("months-resident_pooled")).to_have_text("5.8")
    expect(page.get_by_test_id("months-employee_pooled")).to_have_text("26.1")
    warnings = page.get_by_test_id("fund-warnings").locator("tbody tr")
    expect(warnings).to_have_count(4)
    expect(warnings.nth(0)).to_contain_text("【黄色预警】职工基本医疗保险统筹基金可支付月数 26.1 个月")
    expect(warnings.nth(2)).to_contain_text("可支付月数 5.8 个月累计结余可支付月数低于 6 个月")
    indicators = page.get_by_test_id("fund-indicators")
    expect(indicators.get_by_role("row", name="资助困难群众参保率")).to_contain_text("50.00%")
    expect(indicators).to_contain_text("45.72%")
    expect(indicators).to_contain_text("66.50%")
    page.wait_for_function("window.yibaoFundChartsReady === true")
    bars = page.evaluate("Chart.getChart('chart-flow-2').data.datasets.map(d => d.data.slice(0, 3))")
    assert bars == [[3460, 1035, 0], [196.5, 65.5, 6650]]  # 城乡居民: January holds December's payments
    line = page.evaluate("Chart.getChart('chart-balance-2').data.datasets[0].data.slice(0, 3)")
    assert line == [9263.5, 10233, 3583]
    assert_no_axe_violations(page)

    nav_link(page, "监督检查").click()
    page.wait_for_url("**/audit/inspections/")
    page.get_by_role("link", name="新建监督检查").click()
    page.get_by_label("检查类型").select_option(label="飞行检查")
    page.get_by_label("机构编码").fill(hospital_yz.code)
    page.get_by_label("检查日期").fill("2023-05-08")
    page.get_by_label("检查人员").fill("张三、李四")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/audit/inspections/*/")
    inspection = Inspection.objects.get()
    expect(page.locator("ul.messages")).to_contain_text("已立案飞行检查")

    form = page.get_by_test_id("update-form")
    form.get_by_label("检查发现").fill("串换药品，虚记诊疗项目")
    form.get_by_label("追回金额").fill("-5")
    form.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    expect(page.locator("#id_recovered_amount_error")).to_have_text("追回金额不能为负数")
    inspection.refresh_from_db()
    assert (inspection.recovered_amount, inspection.findings) == (D("0.00"), "")
    page.get_by_test_id("update-form").get_by_label("追回金额").fill("12345.67")
    page.get_by_test_id("update-form").get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/audit/inspections/{inspection.pk}/")
    expect(page.get_by_test_id("recovered_amount")).to_have_text("12345.67")

    page.get_by_test_id("close-form").get_by_label("结案日期").fill("2023-06-30")
    page.get_by_test_id("close-form").get_by_role("button", name="结案").click()
    page.wait_for_url(f"**/audit/inspections/{inspection.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("已结案")
    expect(page.get_by_test_id("update-form")).to_have_count(0)
    inspection.refresh_from_db()
    assert (inspection.status, inspection.closed_on, inspection.recovered_amount) == (
        "closed", dt.date(2023, 6, 30), D("12345.67"),
    )  # fmt: skip
    actions = list(
        AuditEvent.objects.filter(object_type="audit.inspection").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "status"]


def test_admin_posts_a_manual_entry_by_keyboard(page, live_server, municipal_admin, conftest_password):
    log_in(page, live_server, municipal_admin.username, conftest_password)
    page.goto(f"{live_server.url}/audit/fund/?year=2023")
    page.get_by_role("link", name="手工记账（利息、其他收支、上年结转、财政拨款）").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/audit/fund/entries/")
    assert_no_axe_violations(page)

    account = page.get_by_label("基金与科目")
    labels = account.locator("option").all_inner_texts()
    account.focus()
    for _ in range(labels.index("城乡居民基本医疗保险基金 · 利息收入")):
        page.keyboard.press("ArrowDown")
    expect(account.locator("option:checked")).to_have_text("城乡居民基本医疗保险基金 · 利息收入")
    page.keyboard.press("Tab")
    expect(page.get_by_label("区县")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("所属年度")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("2023")
    page.get_by_label("记账日期").focus()
    page.keyboard.type("06302023")  # headless Chromium's date box: month, day, year
    expect(page.get_by_label("记账日期")).to_have_value("2023-06-30")
    page.get_by_label("金额（元）").focus()
    page.keyboard.type("1234.56")
    page.get_by_label("记账事由").focus()
    page.keyboard.type("二季度银行存款利息")
    page.keyboard.press("Enter")

    page.wait_for_url("**/audit/fund/entries/")
    expect(page.locator("ul.messages")).to_contain_text("已记账")
    entry = JournalEntry.objects.get()
    assert (entry.year, entry.accounting_date, entry.memo) == (2023, dt.date(2023, 6, 30), "二季度银行存款利息")
    assert dict(entry.lines.values_list("account__code", "amount")) == {
        "bank": D("1234.56"), "interest": D("-1234.56"),
    }  # fmt: skip
    expect(page.get_by_test_id("manual-entries")).to_contain_text("城乡居民基本医疗保险基金 · 利息收入：-1,234.56")
    assert_no_axe_violations(page)
