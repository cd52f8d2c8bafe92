"""Benefits pages as a district clerk uses them: 零星报销 in the browser, the statement, its print view.

Headless Chromium driven by Playwright against pytest-django's live server; the `page`
fixture (and how Chromium is found) comes from tests/test_browser.py.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from benefits.models import AnnualAccumulator, Settlement
from core.models import AuditEvent
from tests.benefits_support import resident
from tests.browser_support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


paid_resident = resident  # a resident who paid for the year (tests/benefits_support.py)


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)


def fill_manual_form(page: Page, *, id_number: str, institution_code: str, eligible: str) -> None:
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("机构编码").fill(institution_code)
    page.get_by_label("发票号/结算单号").fill("FP-20230310-01")
    page.get_by_label("待遇类型").select_option(label="住院")
    page.get_by_label("就诊/入院日期").fill("2023-03-01")
    page.get_by_label("出院日期").fill("2023-03-10")
    page.get_by_label("医疗总费用").fill("12000.00")
    page.get_by_label("政策范围内费用").fill(eligible)


def test_clerk_records_manual_reimbursement_and_prints_the_statement(
    page,
    live_server,
    clerk_yuzhong,
    conftest_password,
    policy_2023,
    hospital_yz,
):
    person = paid_resident()
    log_in(page, live_server, "clerk_yz", conftest_password)

    nav_link(page, "医保结算").click()
    page.wait_for_url(f"{live_server.url}/benefits/settlements/")
    expect(page.get_by_test_id("settlement-table").locator("tbody tr")).to_have_text("没有符合条件的结算记录。")
    page.get_by_role("link", name="零星报销").click()
    page.wait_for_url("**/benefits/settlements/manual/")
    expect(page.get_by_role("heading", level=1)).to_have_text("零星报销")

    # First with a policy-covered amount above the total: refused next to the field, nothing written.
    fill_manual_form(page, id_number=person.id_number, institution_code=hospital_yz.code, eligible="13000.00")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert page.url.endswith("/benefits/settlements/manual/")
    # The message is the field's accessible description (aria-describedby), so a screen reader says it.
    expect(page.locator("input[name=eligible_cost]")).to_have_accessible_description("政策范围内费用不能大于医疗总费用")
    expect(page.locator(".field", has=page.locator("input[name=eligible_cost]"))).to_have_class(re.compile("has-error"))
    expect(page.locator("input[name=id_number]")).to_have_value(person.id_number)  # kept to correct
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()

    page.get_by_label("政策范围内费用").fill("10000.00")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/benefits/settlements/*/")

    settlement = Settlement.objects.get()
    assert page.url.endswith(f"/benefits/settlements/{settlement.pk}/")
    expect(page.locator("ul.messages")).to_contain_text("已办理零星报销")
    statement = page.get_by_test_id("statement")
    expect(statement.get_by_role("heading", level=1)).to_have_text("医保结算单")
    expect(statement).to_contain_text("渝中区人民医院")
    expect(page.get_by_test_id("patient")).to_have_text(person.name)
    expect(page.get_by_test_id("patient-id")).to_have_text(person.masked_id_number)
    for testid, amount in [
        ("total_cost", "12,000.00 元"),
        ("eligible_cost", "10,000.00 元"),
        ("deductible_applied", "500.00 元"),
        ("pooled_paid", "6,650.00 元"),
        ("critical_paid", "0.00 元"),
        ("aid_paid", "0.00 元"),
        ("account_paid", "0.00 元"),
        ("out_of_pocket", "5,350.00 元"),
    ]:
        expect(page.get_by_test_id(testid)).to_have_text(amount)
    expect(page.get_by_test_id("steps").locator("li").first).to_contain_text("统筹基金")
    assert person.id_number not in page.content()
    assert (settlement.kind, settlement.pooled_paid, settlement.created_by) == ("manual", D("6650.00"), clerk_yuzhong)
    assert AuditEvent.objects.filter(object_type="benefits.settlement", action="create", actor=clerk_yuzhong).exists()

    # The print view: the statement only, no navigation, buttons or messages.
    print_button = page.get_by_role("button", name="打印")
    nav = page.get_by_role("navigation", name="主导航")
    expect(print_button).to_be_visible()
    expect(nav).to_be_visible()
    page.emulate_media(media="print")
    expect(nav).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(page.locator("ul.messages")).to_be_hidden()
    expect(statement).to_be_visible()
    expect(page.get_by_test_id("out_of_pocket")).to_be_visible()
    page.screenshot(path="/tmp/settlement-statement-print.png", full_page=True)
    page.emulate_media(media="screen")
    expect(nav).to_be_visible()

    # The person page loads the benefits panel (htmx), which links back to the statement.
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    panel = page.get_by_test_id("benefits-panel")
    expect(panel.get_by_test_id("accumulators").locator("tbody tr")).to_have_count(1)
    expect(panel.get_by_test_id("accumulators").locator("tbody tr td").nth(3)).to_have_text("6650.00")
    panel.get_by_role("link", name="FP-20230310-01").click()
    page.wait_for_url(f"**/benefits/settlements/{settlement.pk}/")


def test_reviewer_reverses_from_the_statement(
    page,
    live_server,
    reviewer_yuzhong,
    conftest_password,
    policy_2023,
    hospital_yz,
    clerk_yuzhong,
):
    from benefits.services import SettlementRequest, settlement_create

    person = paid_resident()
    settlement, _ = settlement_create(
        actor=clerk_yuzhong,
        institution=hospital_yz,
        request=SettlementRequest(
            settlement_number="FP-9",
            id_number=person.id_number,
            benefit_type="inpatient",
            service_date=dt.date(2023, 3, 1),
            discharge_date=dt.date(2023, 3, 2),
            total_cost=D("3000.00"),
            eligible_cost=D("3000.00"),
            use_account=False,
        ),
        kind=Settlement.Kind.MANUAL,
    )
    log_in(page, live_server, "reviewer_yz", conftest_password)
    page.goto(f"{live_server.url}/benefits/settlements/{settlement.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("已结算")
    page.get_by_role("button", name="冲正").click()  # no reason: refused next to the field
    page.wait_for_load_state()
    expect(page.locator("#id_reason_error")).to_be_visible()
    page.get_by_label("冲正原因").fill("发票重复报销")
    page.get_by_role("button", name="冲正").click()
    # A confirmation says what goes back before anything changes.
    expect(page.get_by_test_id("reverse-effects")).to_contain_text("统筹基金")
    settlement.refresh_from_db()
    assert settlement.status == "settled"
    page.get_by_role("button", name="确认冲正").click()
    page.wait_for_url(f"**/benefits/settlements/{settlement.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("已冲正")
    expect(page.get_by_test_id("reversal-reason")).to_have_text("发票重复报销")
    expect(page.get_by_role("button", name="冲正")).to_have_count(0)
    settlement.refresh_from_db()
    assert settlement.status == "reversed"
    assert AnnualAccumulator.objects.get(person=person).settlement_count == 0


def test_clerk_suspends_an_institution_keeping_its_agreement_dates(
    page,
    live_server,
    clerk_yuzhong,
    conftest_password,
    hospital_yz,
):
    log_in(page, live_server, "clerk_yz", conftest_password)
    nav_link(page, "定点机构").click()
    page.wait_for_url(f"{live_server.url}/benefits/institutions/")
    page.get_by_label("机构编码或名称").fill("H5001")
    page.get_by_label("机构编码或名称").press("Enter")
    rows = page.get_by_test_id("institution-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="渝中区人民医院").click()
    page.wait_for_url(f"**/benefits/institutions/{hospital_yz.pk}/")

    expect(page.get_by_label("协议开始日期")).to_have_value("2020-01-01")  # the date input shows the stored date
    page.get_by_label("协议状态").select_option(label="暂停结算")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/benefits/institutions/{hospital_yz.pk}/")
    expect(page.get_by_test_id("agreement-status")).to_have_text("暂停结算")
    hospital_yz.refresh_from_db()
    assert (hospital_yz.agreement_status, hospital_yz.agreement_start) == ("suspended", dt.date(2020, 1, 1))
    assert AuditEvent.objects.filter(object_type="benefits.institution", action="update", actor=clerk_yuzhong).exists()
