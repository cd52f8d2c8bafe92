"""Fund supervision in the browser: the fund dashboard's charts, and a 飞行检查 case from opening to closing.

Headless Chromium driven by Playwright against pytest-django's live server (see tests/test_browser.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from audit.models import Inspection
from core.models import AuditEvent
from core.roles import Role
from tests.benefits_support import resident
from tests.browser_support import log_in
from tests.supervision_support import pay, settle
from tests.test_browser_benefits import nav_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def test_supervisor_reads_the_fund_dashboard_and_runs_an_inspection(
    page,
    live_server,
    make_user,
    districts,
    hospital_yz,
    conftest_password,
    settings,
):
    settings.YIBAO_FUND_OPENING_RESERVE = {"500103": {"resident": "350.00"}}
    make_user("sup_yz", Role.FUND_SUPERVISOR, "500103")
    person = resident(paid=False)
    pay(person, "350.00", dt.date(2023, 1, 5))
    settle(person, hospital_yz, dt.date(2023, 2, 1), pooled="600.00")  # February: spending over income
    log_in(page, live_server, "sup_yz", conftest_password)

    nav_link(page, "基金运行").click()
    page.wait_for_url("**/audit/fund/")
    page.get_by_label("年度").fill("2023")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/audit/fund/?year=2023")
    expect(page.get_by_test_id("fund-scope")).to_have_text("渝中区")
    expect(page.get_by_test_id("closing-resident")).to_have_text("100.00")
    warnings = page.get_by_test_id("fund-warnings")
    expect(warnings).to_contain_text("2023-02（缺口 600.00）")
    expect(warnings).to_contain_text("【红色预警】居民医保 2023-12 累计结存可支付月数为 2.0 个月，低于 3 个月")
    page.wait_for_function("window.yibaoFundChartsReady === true")
    bars = page.evaluate("Chart.getChart('chart-flow-1').data.datasets.map(d => d.data.slice(0, 2))")
    assert bars == [[350, 0], [0, 600]]
    line = page.evaluate("Chart.getChart('chart-reserve-1').data.datasets[0].data.slice(0, 3)")
    assert line == [None, 2, 2]  # 100.00 / (600.00 / 12)

    nav_link(page, "飞行检查").click()
    page.wait_for_url("**/audit/inspections/")
    page.get_by_role("link", name="新建飞行检查").click()
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
    actions = list(AuditEvent.objects.filter(object_type="audit.inspection").values_list("action", flat=True))
    assert actions == ["create", "update", "status"]
