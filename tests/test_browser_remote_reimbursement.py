"""Browser journey: a Yuzhong clerk records an out-of-area 零星报销 (care in Chengdu, not settled directly) for a
person without a filing, reads on the statement which rule applied, and prints it (A4, one page).

Issue 16, point 6: "the filing status decides the ratio; the printed statement says which rule applied".
Unfiled: the policy file's labelled default, 20 points off the pooled ratio ("可配置默认值：种子文件未规定未备案
异地就医的支付比例降低幅度"): a level-2 stay, eligible 10,000.00, deductible 500.00 -> 9,500.00 x 50% = 4,750.00.
"""

import re

import pytest
from playwright.sync_api import expect

from benefits.models import Institution, Settlement
from core.models import AuditEvent
from tests.benefits_support import resident
from tests.browser_support import assert_no_axe_violations, log_in
from tests.test_statement_print import page_count

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_reimburses_care_elsewhere_for_an_unfiled_person_and_prints_the_statement(
    page, live_server, clerk_yuzhong, conftest_password, policy_2023
):
    person = resident()
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="医保结算", exact=True).click()
    page.get_by_role("link", name="零星报销").click()
    page.wait_for_url("**/benefits/settlements/manual/")
    part = page.get_by_test_id("remote-part")
    expect(part.get_by_role("heading", level=2)).to_have_text("市外就医（异地就医未直接结算）")
    assert_no_axe_violations(page)

    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_label("机构编码").fill("H51010700012")
    page.get_by_label("发票号/结算单号").fill("FP-CD-20230310")
    page.get_by_label("待遇类型").select_option(label="住院")
    page.get_by_label("就诊/入院日期").fill("2023-03-01")
    page.get_by_label("出院日期").fill("2023-03-10")
    page.get_by_label("医疗总费用").fill("12000.00")
    page.get_by_label("政策范围内费用").fill("10000.00")
    page.get_by_label("就医地（省级）").select_option(label="四川省")
    page.get_by_label("就医地市级区划代码").fill("510100")
    page.get_by_label("就医机构名称").fill("成都市第七人民医院")

    # The level left out: refused next to its field, nothing written, and the page still passes axe.
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert page.url.endswith("/benefits/settlements/manual/")
    expect(page.locator("select[name=institution_level]")).to_have_accessible_description(
        re.compile("医院等级应为 1、2 或 3")
    )
    assert not Settlement.objects.exists() and not Institution.objects.filter(area_code="510100").exists()
    assert_no_axe_violations(page)

    page.get_by_label("就医机构等级").select_option(label="二级")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/benefits/settlements/*/")
    settlement = Settlement.objects.get()
    assert (settlement.care_area_code, settlement.remote_rule, str(settlement.pooled_paid)) == (
        "510100", "unfiled", "4750.00",
    )  # fmt: skip
    assert AuditEvent.objects.filter(object_type="benefits.settlement", action="create", actor=clerk_yuzhong).exists()

    expect(page.locator("ul.messages")).to_contain_text("已办理零星报销")
    expect(page.get_by_test_id("care-area")).to_contain_text("四川省（510100）")
    expect(page.get_by_test_id("institution")).to_contain_text("成都市第七人民医院")
    expect(page.get_by_test_id("remote-rule")).to_have_text("未备案")
    expect(page.get_by_test_id("ratio-reduction")).to_have_text("20 个百分点")
    expect(page.get_by_test_id("pooled_ratio")).to_have_text("50%")
    expect(page.get_by_test_id("pooled_paid")).to_have_text("4,750.00 元")
    first_step = page.get_by_test_id("steps").locator("li").first
    expect(first_step).to_contain_text("未备案，执行参保地待遇政策，统筹基金支付比例降低 20 个百分点（可配置默认值")
    assert person.id_number not in page.content()
    assert_no_axe_violations(page)

    # The print view: the statement alone, with the rule, on one A4 page.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_test_id("remote-rule")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and page_count(pdf) == 1
