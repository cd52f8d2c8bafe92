"""A district office's day, the benefits end, in headless Chromium against the live server:

1. a clerk opens a person, starts 零星报销 from the person page (no ID typed, none unmasked), the
   settlement page shows the result and the printable statement (bureau, 元 amounts, percentages);
2. an aid application from the person page through 初审 (reviewer), 批准 (reviewer) and 确认支付
   (clerk), each step by the right role, the status in words at each step; another district's
   reviewer gets 404.
"""

from decimal import Decimal as D

import pytest
from playwright.sync_api import Page, expect

from assistance.models import AidApplication
from benefits.models import Settlement
from core.models import AuditEvent
from tests.benefits_support import resident
from tests.browser_support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/**")


def test_clerk_enters_manual_reimbursement_from_the_person_page_and_opens_the_statement(
    page, live_server, clerk_yuzhong, conftest_password, policy_2023, hospital_yz, settings
):
    settings.YIBAO_BUREAU = {"name": "渝中测试医疗保障局", "address": "渝中区测试路1号", "hotline": "12393"}
    person = resident()
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    page.get_by_test_id("person-actions").get_by_role("link", name="零星报销").click()
    page.wait_for_url(f"**/benefits/settlements/manual/?person={person.pk}")

    chosen = page.get_by_test_id("chosen-person")
    expect(chosen).to_contain_text(person.name)
    expect(page.get_by_test_id("chosen-person-id")).to_have_text(person.masked_id_number)
    expect(page.locator("input[name=id_number]")).to_have_count(0)
    expect(page.get_by_text("（住院时必填）")).to_be_visible()

    page.get_by_label("机构编码").fill(hospital_yz.code)
    page.get_by_label("发票号/结算单号").fill("FP-20230310-77")
    page.get_by_label("待遇类型").select_option("inpatient")
    page.get_by_label("就诊/入院日期").fill("2023-03-01")
    page.get_by_label("出院日期").fill("2023-03-10")
    page.get_by_label("医疗总费用").fill("12000.00")
    page.get_by_label("政策范围内费用").fill("10000.00")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/benefits/settlements/*/")

    settlement = Settlement.objects.get()
    assert (settlement.person, settlement.kind, settlement.created_by) == (person, "manual", clerk_yuzhong)
    expect(page.locator("ul.messages")).to_contain_text("已办理零星报销")
    statement = page.get_by_test_id("statement")
    expect(statement.get_by_role("heading", level=1)).to_have_text("医保结算单")
    expect(page.get_by_test_id("bureau-name")).to_have_text("渝中测试医疗保障局")
    expect(page.get_by_test_id("status")).to_have_text("已结算")
    expect(page.get_by_test_id("total_cost")).to_have_text("12,000.00 元")
    expect(page.get_by_test_id("pooled_paid")).to_have_text("6,650.00 元")
    expect(page.get_by_test_id("pooled_ratio")).to_have_text("70%")
    expect(page.get_by_test_id("printed-by")).to_have_text("clerk_yz")
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(statement).to_be_visible()
    assert person.id_number not in page.content()
    assert not AuditEvent.objects.filter(action="view_sensitive").exists()  # nothing was unmasked


def test_aid_application_from_entry_through_review_and_decision_to_payment(
    page,
    live_server,
    clerk_yuzhong,
    reviewer_yuzhong,
    reviewer_jiangbei,
    conftest_password,
    districts,
):
    person = resident(district=districts["500103"])

    # 1. The clerk takes the application in, from the person page.
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    page.get_by_test_id("person-actions").get_by_role("link", name="申请医疗救助").click()
    page.wait_for_url(f"**/assistance/applications/new/?person={person.pk}")
    expect(page.get_by_test_id("chosen-person-id")).to_have_text(person.masked_id_number)
    page.get_by_label("年度").fill("2023")
    page.get_by_label("申请金额（元）").fill("5000.00")
    page.get_by_label("申请事由").fill("住院自付费用较高")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/assistance/applications/*/")
    application = AidApplication.objects.get()
    detail = f"{live_server.url}/assistance/applications/{application.pk}/"
    expect(page.get_by_test_id("status")).to_have_text("已提交")
    expect(page.get_by_role("button", name="初审通过")).to_have_count(0)  # the clerk does not review
    log_out(page)

    # Another district's reviewer does not even see it.
    log_in(page, live_server, "reviewer_jb", conftest_password)
    response = page.goto(detail)
    assert response is not None and response.status == 404
    expect(page.get_by_text("住院自付费用较高")).to_have_count(0)
    log_out(page)

    # 2. The reviewer of the district: 初审通过, then 批准 with an amount.
    log_in(page, live_server, "reviewer_yz", conftest_password)
    page.goto(detail)
    expect(page.get_by_role("button", name="已初审")).to_have_count(0)  # named after the action
    page.get_by_label("审核意见").fill("材料齐全")
    page.get_by_role("button", name="初审通过").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("status")).to_have_text("已初审")
    expect(page.locator("ul.messages")).to_contain_text("初审通过")

    page.get_by_role("button", name="批准").click()  # without an amount: refused next to the field
    expect(page.locator("#id_approved_amount_error")).to_contain_text("批准须填写批准金额")
    expect(page.get_by_test_id("status")).to_have_text("已初审")
    page.get_by_label("批准金额（元）").fill("4000.00")
    page.get_by_role("button", name="批准").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("status")).to_have_text("已批准")
    expect(page.get_by_test_id("approved-amount")).to_have_text("4,000.00 元")
    log_out(page)

    # 3. The clerk records the payment.
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(detail)
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("status")).to_have_text("已支付")
    expect(page.get_by_role("button", name="确认支付")).to_have_count(0)

    application.refresh_from_db()
    assert (application.status, application.approved_amount, application.decided_by) == (
        "paid",
        D("4000.00"),
        reviewer_yuzhong,
    )
    assert application.paid_on is not None
    moves = AuditEvent.objects.filter(object_type="assistance.aidapplication", action="status")
    assert [e.new_values["status"] for e in moves.order_by("id")] == ["reviewed", "approved", "paid"]
