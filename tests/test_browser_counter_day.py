"""A district clerk's day at the counter, in headless Chromium against the live server (issue 11, must-show 3):
register a person, open their page, issue the bill for the year the page offers, take a counter payment,
receive the same payment reference again (a double submission: recorded once), take the rest, see the
bill paid."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from contributions.models import ContributionBill, ContributionPayment
from contributions.selectors import coverage_year_default
from enrollment.models import Person
from tests.browser_support import log_in
from tests.factories import make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _register(page: Page, *, id_number: str, name: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="参保人", exact=True).click()
    page.get_by_role("link", name="参保登记").click()
    page.wait_for_url("**/enrollment/people/new/")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("区县").select_option(label="500103 渝中区")
    page.get_by_label("险种").select_option(label="居民医保")
    page.get_by_label("人员类别").select_option(label="成年居民")
    page.get_by_label("档次").select_option(label="一档")
    page.get_by_label("参保开始日期").fill("2023-01-01")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*/enrollment/people/\d+/$"))


def _pay(page: Page, *, amount: str, reference: str) -> None:
    page.get_by_test_id("bills").get_by_role("link", name="记录缴费").click()
    page.wait_for_url("**/contributions/bills/*/pay/")
    expect(page.get_by_label("缴费渠道")).to_have_value("counter")  # 窗口, the counter
    page.get_by_label("缴费金额").fill(amount)
    page.get_by_label("缴费流水号").fill(reference)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*/enrollment/people/\d+/$"))


def test_clerk_registers_bills_and_takes_a_counter_payment_once(
    page, live_server, clerk_yuzhong, conftest_password, standards_2023
):
    year = coverage_year_default()
    assert year == 2023  # the latest year with a standard, not the calendar year
    id_number = make_id_number(area="500103", birth=dt.date(1979, 4, 2), seq=321)
    log_in(page, live_server, clerk_yuzhong.username, conftest_password)

    _register(page, id_number=id_number, name="柜台甲")
    expect(page.get_by_role("heading", level=1)).to_have_text("柜台甲")
    expect(page.locator("ul.messages")).to_contain_text("已登记参保人 柜台甲")
    person = Person.objects.get(id_number=id_number)

    # The year field offers the default year; issuing takes it as offered.
    bills = page.get_by_test_id("bills")
    expect(bills).to_contain_text("暂无记录")
    year_field = page.get_by_label("参保年度")
    expect(year_field).to_have_value(str(year))
    page.get_by_role("button", name="生成缴费单").click()
    expect(page.locator("ul.messages")).to_contain_text(f"已生成{year}年度缴费单")
    bill = ContributionBill.objects.get(person=person, coverage_year=year)
    expect(bills.locator("tbody tr").first).to_contain_text("350.00")
    expect(bills.locator("tbody tr").first).to_contain_text("未缴")

    # Part at the counter; the form offers what is still owed and today's date.
    page.get_by_test_id("bills").get_by_role("link", name="记录缴费").click()
    page.wait_for_url(f"**/contributions/bills/{bill.pk}/pay/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("未缴 350.00 元")
    expect(page.get_by_label("缴费金额")).to_have_value("350.00")
    expect(page.get_by_label("缴费日期")).to_have_value(dt.date.today().isoformat())
    page.go_back()
    _pay(page, amount="200.00", reference="CTR-0001")
    expect(page.locator("ul.messages")).to_contain_text("已记录缴费")
    expect(bills.locator("tbody tr").first).to_contain_text("部分缴费")
    expect(bills).to_contain_text("CTR-0001")

    # The same receipt again (a double submission): recorded once, and the clerk is told so.
    _pay(page, amount="200.00", reference="CTR-0001")
    expect(page.locator("ul.messages")).to_contain_text("该缴费流水号已记录，未重复入账")
    assert ContributionPayment.objects.filter(reference="CTR-0001").count() == 1
    bill.refresh_from_db()
    assert bill.paid_amount == 200

    # The same reference with another amount is refused next to the field; nothing is written.
    page.get_by_test_id("bills").get_by_role("link", name="记录缴费").click()
    page.get_by_label("缴费金额").fill("150.00")
    page.get_by_label("缴费流水号").fill("CTR-0001")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("input[name=reference]")).to_have_accessible_description(
        re.compile("该缴费流水号已记录为另一笔缴费")
    )
    assert ContributionPayment.objects.filter(bill=bill).count() == 1

    # The rest, under its own receipt: the bill is paid and no longer offers 记录缴费.
    page.get_by_label("缴费流水号").fill("CTR-0002")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"**/enrollment/people/{person.pk}/")
    expect(page.locator("ul.messages")).to_contain_text("已记录缴费")
    row = bills.locator("tbody tr").first
    expect(row).to_contain_text("已缴")
    expect(row).to_contain_text("CTR-0002")
    expect(bills.get_by_role("link", name="记录缴费")).to_have_count(0)
    bill.refresh_from_db()
    assert (bill.status, bill.paid_amount) == ("paid", bill.due_amount)
    assert sorted(ContributionPayment.objects.filter(bill=bill).values_list("reference", "channel")) == [
        ("CTR-0001", "counter"),
        ("CTR-0002", "counter"),
    ]
