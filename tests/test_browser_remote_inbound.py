"""Inbound cross-region settlements in the browser: a Yuzhong reviewer opens the list of patients insured
elsewhere settled at the district's hospitals, searches it and opens one statement; axe-clean pages.

(The menu entry is added by the lead; the journey starts at the list's address.)
"""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from benefits.services.remote_settlements import InboundMessage, InboundTerms, inbound_settle
from tests.browser_support import assert_no_axe_violations, log_in
from tests.factories import make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _settle(user, number: str, name: str, area: str) -> None:
    inbound_settle(
        actor=user,
        message=InboundMessage(
            platform_number=number, insured_area_code=area, id_number=make_id_number(area="510104", seq=31),
            name=name, scheme="resident", benefit_type="inpatient", service_date=dt.date(2023, 3, 1),
            discharge_date=dt.date(2023, 3, 8), total_cost=Decimal("8000.00"), eligible_cost=Decimal("6000.00"),
            terms=InboundTerms(
                deductible=Decimal("600.00"), ratio=Decimal("0.6500"), cap_remaining=Decimal("80000.00")
            ),
        ),
    )  # fmt: skip


def test_reviewer_opens_inbound_list_and_statement(page, live_server, reviewer_yuzhong, institution_user,
                                                   conftest_password):  # fmt: skip
    _settle(institution_user, "IN-BR-1", "赵四川", "510100")
    _settle(institution_user, "IN-BR-2", "钱广东", "440300")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server, "reviewer_yz", conftest_password)

    page.goto(f"{live_server.url}/benefits/remote-inbound/")
    expect(page.get_by_role("heading", level=1)).to_have_text("异地就医人员结算")
    expect(page.get_by_test_id("inbound-table").locator("tbody tr")).to_have_count(2)
    assert_no_axe_violations(page)

    page.get_by_label("参保地").select_option(label="四川省")
    page.get_by_role("button", name="筛选").click()
    rows = page.get_by_test_id("inbound-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("赵四川")

    page.get_by_role("link", name="IN-BR-1").click()
    page.wait_for_url("**/benefits/remote-inbound/*/")
    expect(page.get_by_test_id("platform-number")).to_have_text("IN-BR-1")
    expect(page.get_by_test_id("terms-ratio")).to_have_text("65%")
    # (6,000.00 - 600.00) x 65% = 3,510.00 advanced; 8,000.00 - 3,510.00 = 4,490.00 out of pocket.
    expect(page.get_by_test_id("pooled_paid")).to_contain_text("3,510.00")
    expect(page.get_by_test_id("advanced")).to_contain_text("3,510.00")
    expect(page.get_by_test_id("out_of_pocket")).to_contain_text("4,490.00")
    expect(page.get_by_test_id("steps").locator("li").first).to_contain_text("执行参保地待遇政策")
    assert_no_axe_violations(page)
    assert errors == []
