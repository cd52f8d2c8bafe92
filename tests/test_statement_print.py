"""The printed settlement statement (结算单), the paper a citizen takes home: it names the issuing
bureau (from settings), when and by whom it was printed, has a place for the seal, shows amounts in
元 with thousands separators and ratios as percentages, and prints on exactly one A4 page.

Headless Chromium prints the page to PDF (page.pdf, A4) and the PDF's page objects are counted."""

import datetime as dt
import importlib
import re
from decimal import Decimal as D

import pytest
from django.apps import apps
from playwright.sync_api import expect

from assistance.models import AidRecipient
from benefits.models import Settlement
from benefits.services import SettlementRequest, settlement_create
from tests.benefits_support import resident
from tests.browser_support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUREAU = {"name": "测试市医疗保障局", "address": "测试市解放路1号", "hotline": "023-12393"}


def page_count(pdf: bytes) -> int:
    """Page objects of a PDF ("/Type /Page", not the "/Type /Pages" tree nodes)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.fixture
def realistic_settlement(policy_2023, hospital_yz, clerk_yuzhong):
    """A destitute resident's long stay: every tier pays, so the statement has all its lines and steps."""
    importlib.import_module("assistance.migrations.0003_seed_aid_policy_2023").seed(apps, None)
    person = resident()
    AidRecipient.objects.create(
        person=person, category="destitute", valid_from=dt.date(2022, 6, 1), source="civil_affairs",
        district_id=person.district_id,
    )  # fmt: skip
    settlement, _ = settlement_create(
        actor=clerk_yuzhong,
        institution=hospital_yz,
        request=SettlementRequest(
            settlement_number="FP-2023-000123456",
            id_number=person.id_number,
            benefit_type="inpatient",
            service_date=dt.date(2023, 3, 1),
            discharge_date=dt.date(2023, 3, 28),
            total_cost=D("123456.70"),
            eligible_cost=D("104938.20"),
            diagnosis_code="I63.9",
            use_account=False,
        ),
        kind=Settlement.Kind.MANUAL,
    )
    assert settlement.pooled_paid > 0 and settlement.critical_paid > 0 and settlement.aid_paid > 0
    return settlement


def test_statement_prints_on_one_a4_page_with_the_bureau_and_readable_figures(
    page, live_server, settings, clerk_yuzhong, conftest_password, realistic_settlement
):
    settings.YIBAO_BUREAU = BUREAU
    s = realistic_settlement
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/benefits/settlements/{s.pk}/")

    statement = page.get_by_test_id("statement")
    expect(statement).to_contain_text("测试市医疗保障局")
    expect(page.get_by_test_id("bureau-address")).to_have_text("测试市解放路1号")
    expect(page.get_by_test_id("bureau-hotline")).to_have_text("023-12393")
    expect(page.get_by_test_id("printed-by")).to_have_text("clerk_yz")
    expect(page.get_by_test_id("printed-at")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    expect(page.get_by_test_id("seal")).to_contain_text("盖章处")
    expect(page.get_by_test_id("total_cost")).to_have_text("123,456.70 元")
    expect(page.get_by_test_id("pooled_paid")).to_have_text(f"{s.pooled_paid:,.2f} 元")
    expect(page.get_by_test_id("pooled_ratio")).to_have_text("70%")  # level-2 resident inpatient, 2023
    expect(page.get_by_test_id("steps")).to_contain_text("× 70%")
    expect(page.get_by_test_id("steps")).to_contain_text("104,938.20 元")
    expect(page.get_by_test_id("patient-id")).to_have_text(s.person.masked_id_number)

    # Identifiers are not the smallest text on the paper: at least as large as the amounts.
    page.emulate_media(media="print")
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    amount_size = page.get_by_test_id("total_cost").evaluate(size)
    assert page.get_by_test_id("settlement-number").evaluate(size) >= amount_size
    assert page.get_by_test_id("patient-id").evaluate(size) >= amount_size
    expect(page.locator("header.topbar")).to_be_hidden()

    html = page.content()
    assert s.person.id_number not in html
    assert "css/statement.css" in html  # @page { size: A4 } lives there (CSP: no inline style)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1
    # A4 is 595 x 842 points: the page Chromium printed is A4, not Letter.
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595(\.\d+)? 841\.\d+|/MediaBox\s*\[\s*0 0 595(\.\d+)? 842", pdf)


def test_page_count_reads_pages_not_the_page_tree():
    two = b"<< /Type /Pages /Kids [3 0 R 4 0 R] >> << /Type /Page >> << /Type/Page /Parent 2 0 R >>"
    assert page_count(two) == 2
