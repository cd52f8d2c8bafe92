"""异地就医备案 in the browser, as a district clerk does it at the counter: file a temporary filing for a
person, see it on the person page, shorten its end date, revoke it; axe-core clean on every page.

The pages are reached by URL (the menu entry is added with the rest of issue 16)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from benefits.models import RemoteCareFiling
from benefits.remote_filing_panel import remote_filing_panel
from benefits.services.remote_filings import add_months
from core.models import AuditEvent
from enrollment.panels import PERSON_PANELS, PersonPanel, register_person_panel
from tests.benefits_support import resident
from tests.browser_support import assert_no_axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ID_DOCS = "有效身份证件或医保电子凭证"


@pytest.fixture
def filing_panel():
    """The person page's panel, as BenefitsConfig.ready() will register it."""
    panel = PersonPanel(order=25, render=remote_filing_panel)
    added = panel not in PERSON_PANELS
    register_person_panel(panel)
    yield
    if added:
        PERSON_PANELS.remove(panel)


def test_clerk_files_changes_and_revokes_a_temporary_filing(
    page, live_server, clerk_yuzhong, conftest_password, policy_2023, filing_panel
):
    person = resident()
    today = timezone.localdate()
    log_in(page, live_server, "clerk_yz", conftest_password)

    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    panel = page.get_by_test_id("remote-filing-panel")
    expect(panel.get_by_test_id("person-remote-filings").locator("tbody tr")).to_have_text("暂无记录。")
    panel.get_by_test_id("remote-filing-new").click()
    page.wait_for_url(f"**/benefits/remote-filings/new/?person={person.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("办理异地就医备案")
    assert_no_axe_violations(page)

    # Step one: the type decides the documents to check (a plain GET).
    page.get_by_label("备案类型").select_option(label="转诊转院")
    page.get_by_role("button", name="选择").click()
    page.wait_for_url("**filing_type=referral**")
    expect(page.get_by_label("转诊转院证明")).to_be_visible()
    page.get_by_label("就医地（省级）").select_option(label="四川省")
    page.get_by_label(ID_DOCS).check()
    # Without the referral certificate: refused next to the field, nothing written.
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    expect(page.locator("[data-error-summary]")).to_contain_text("尚缺：转诊转院证明")
    assert not RemoteCareFiling.objects.exists()
    assert_no_axe_violations(page)

    page.get_by_label("转诊转院证明").check()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/benefits/remote-filings/*/")
    filing = RemoteCareFiling.objects.get()
    default_end = add_months(today, 6) - dt.timedelta(days=1)
    assert (filing.filing_type, filing.destination_code, filing.valid_from) == ("referral", "510000", today)
    assert filing.valid_to == default_end and filing.channel == "counter"
    expect(page.locator("ul.messages")).to_contain_text(f"已办理异地就医备案：转诊转院，备案号 {filing.pk}")
    expect(page.get_by_test_id("valid-to")).to_have_text(f"{default_end:%Y-%m-%d}")
    expect(page.get_by_test_id("documents").locator("li")).to_have_text([ID_DOCS, "转诊转院证明"])
    assert_no_axe_violations(page)

    # The person page lists it.
    page.goto(f"{live_server.url}/enrollment/people/{person.pk}/")
    rows = page.get_by_test_id("person-remote-filings").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("转诊转院")
    expect(rows.first).to_contain_text("有效")
    assert_no_axe_violations(page)
    rows.first.get_by_role("link", name=str(filing.pk)).click()
    page.wait_for_url(f"**/benefits/remote-filings/{filing.pk}/")

    # Change: the person comes back earlier.
    page.get_by_role("link", name="变更备案").click()
    page.wait_for_url(f"**/benefits/remote-filings/{filing.pk}/change/")
    assert_no_axe_violations(page)
    new_end = today + dt.timedelta(days=30)
    page.get_by_label("备案截止日期").fill(f"{new_end:%Y-%m-%d}")
    page.get_by_label("变更原因").fill("提前返回")
    page.get_by_role("button", name="保存变更").click()
    page.wait_for_url(f"**/benefits/remote-filings/{filing.pk}/")
    expect(page.locator("ul.messages")).to_contain_text("已变更异地就医备案")
    expect(page.get_by_test_id("valid-to")).to_have_text(f"{new_end:%Y-%m-%d}")
    filing.refresh_from_db()
    assert filing.valid_to == new_end and filing.changed_at is not None

    # Revoke.
    page.get_by_role("link", name="撤销备案").click()
    page.wait_for_url(f"**/benefits/remote-filings/{filing.pk}/revoke/")
    assert_no_axe_violations(page)
    page.get_by_label("撤销原因").fill("行程取消")
    page.get_by_role("button", name="撤销备案").click()
    page.wait_for_url(f"**/benefits/remote-filings/{filing.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("已撤销")
    expect(page.get_by_test_id("revoke-reason")).to_have_text("行程取消")
    expect(page.get_by_role("link", name="变更备案")).to_have_count(0)
    assert_no_axe_violations(page)
    filing.refresh_from_db()
    assert filing.status == "revoked"
    actions = list(
        AuditEvent.objects.filter(object_type="benefits.remotecarefiling", object_id=str(filing.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "status"]

    page.goto(f"{live_server.url}/benefits/remote-filings/")
    expect(page.get_by_test_id("remote-filing-table").locator("tbody tr")).to_have_count(1)
    assert_no_axe_violations(page)
