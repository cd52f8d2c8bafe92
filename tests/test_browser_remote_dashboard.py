"""异地就医指标 in the browser: a municipal admin and a 江北 reviewer open /audit/remote-care/; the cards and
tables show the figures counted by hand in tests/test_remote_indicators.py, both charts draw them, axe finds
nothing and the console stays clean.

Headless Chromium driven by Playwright against pytest-django's live server (see tests/test_browser.py)."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import assert_no_axe_violations, log_in
from tests.test_journey_crawl import DEV_TEXT, VISIBLE_TEXTS_JS, english_words
from tests.test_remote_indicators import scenario  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def assert_no_english_or_developer_text(page, username: str) -> None:
    """The journey crawl's checks, here already: the lead adds the page to the menu later. The header
    shows the user name, as the crawl allows."""
    texts = [t for t in page.evaluate(VISIBLE_TEXTS_JS) if t != username]
    assert [t for t in texts if any(regex.search(t) for _, regex in DEV_TEXT)] == []
    assert [t for t in texts if english_words(t)] == []


def test_municipal_admin_reads_the_city(page, live_server, municipal_admin, scenario, conftest_password):  # noqa: F811
    errors = watch_console(page)
    log_in(page, live_server, municipal_admin.username, conftest_password)
    page.goto(f"{live_server.url}/audit/remote-care/")
    page.get_by_label("年度").fill("2023")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/audit/remote-care/?year=2023*")
    expect(page.get_by_test_id("remote-scope")).to_have_text("全市")
    expect(page.get_by_test_id("value-filed_persons")).to_have_text("4 人")
    expect(page.get_by_test_id("value-direct_persons")).to_have_text("3 人")
    expect(page.get_by_test_id("value-direct_rate")).to_have_text("57.14%")
    expect(page.get_by_test_id("value-inbound_advanced")).to_have_text("6,600.00 元")
    yuzhong = page.get_by_test_id("remote-by-district").locator('tr[data-district="500103"]')
    expect(yuzhong).to_contain_text("10,800.75")
    expect(yuzhong).to_contain_text("60.00%")
    areas = page.get_by_test_id("remote-by-area").locator("tbody tr")
    expect(areas).to_have_count(5)
    expect(areas.nth(2)).to_contain_text("广东省（440300）")

    page.wait_for_function("window.yibaoRemoteChartsReady === true")
    expect(page.locator("canvas#chart-remote-districts")).to_be_visible()
    expect(page.locator("canvas#chart-remote-areas")).to_be_visible()
    districts = page.evaluate(
        "(() => { const c = Chart.getChart('chart-remote-districts');"
        " return [c.data.labels, c.data.datasets.map(d => d.data)]; })()"
    )
    assert districts == [["渝中区", "江北区"], [[3, 1], [2, 1], [2, 1]]]
    areas_chart = page.evaluate("Chart.getChart('chart-remote-areas').data.datasets.map(d => d.data)")
    assert areas_chart == [[0, 1, 0, 3], [1, 1, 1, 0]]
    assert_no_axe_violations(page)

    page.locator("select[name=district]").select_option("500105")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**district=500105*")
    expect(page.get_by_test_id("remote-scope")).to_have_text("江北区")
    expect(page.get_by_test_id("value-direct_fund_paid")).to_have_text("700.00 元")
    assert errors == []


def test_district_reviewer_sees_their_district(page, live_server, reviewer_jiangbei, scenario, conftest_password):  # noqa: F811
    errors = watch_console(page)
    log_in(page, live_server, reviewer_jiangbei.username, conftest_password)
    page.goto(f"{live_server.url}/audit/remote-care/?year=2023&district=500103")  # asks for 渝中: ignored
    expect(page.get_by_test_id("remote-scope")).to_have_text("江北区")
    expect(page.locator("select[name=district]")).to_have_count(0)
    expect(page.get_by_test_id("value-filed_persons")).to_have_text("1 人")
    expect(page.get_by_test_id("value-direct_rate")).to_have_text("50.00%")
    expect(page.get_by_test_id("remote-by-district").locator("tbody tr")).to_have_count(1)
    expect(page.locator('tr[data-district="500103"]')).to_have_count(0)
    expect(page.get_by_test_id("remote-by-area")).not_to_contain_text("广东省")
    page.wait_for_function("window.yibaoRemoteChartsReady === true")
    labels = page.evaluate("Chart.getChart('chart-remote-districts').data.labels")
    assert labels == ["江北区"]
    assert_no_axe_violations(page)
    assert_no_english_or_developer_text(page, reviewer_jiangbei.username)
    assert errors == []
