"""Accessibility of the page chrome: skip link, focus ring, field borders, error-summary focus,
date hints and limits, the idle-logout warning, error pages, 200% zoom, and a keyboard-only day.

The journey crawl (tests/test_journey_crawl.py) runs axe-core on every page; these tests check what
axe cannot see: tab order, computed focus styles, timing, and layout at 200% zoom.
"""

import datetime as dt
import re

import pytest
from django.test import RequestFactory
from playwright.sync_api import Page, expect

from benefits.models import Settlement
from config import api_urls
from config import urls as root_urls
from config.api_urls import API_NAMES
from config.views import server_error
from contributions.models import ContributionBill, ContributionPayment
from core.forms import DATE, DateField, ImportUploadForm
from core.middleware import IDLE_KEY
from tests.browser_support import assert_no_axe_violations, axe_violations, log_in
from tests.factories import ResidentEnrollmentFactory
from tests.test_journey_crawl import load_demo_data

browser = pytest.mark.browser
transactional = pytest.mark.django_db(transaction=True)

# WCAG relative luminance and contrast ratio of two CSS rgb()/rgba() colours.


def _rgb(css: str) -> tuple[float, float, float]:
    r, g, b = (float(x) for x in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def _luminance(css: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(css))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# The colour behind an element: the first ancestor (itself included) with an opaque background.
BACKGROUND_JS = """(el) => {
    for (let e = el; e; e = e.parentElement) {
        const bg = getComputedStyle(e).backgroundColor;
        if (bg && bg !== 'transparent' && !bg.startsWith('rgba(0, 0, 0, 0')) return bg;
    }
    return 'rgb(255, 255, 255)';
}"""

FOCUS_JS = (
    """() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const behind = """
    + BACKGROUND_JS
    + """;
    return {tag: el.tagName, text: (el.innerText || el.value || '').trim(), id: el.id, name: el.name || '',
            outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor,
            background: behind(el.parentElement || el)};
}"""
)


def focused(page: Page) -> dict:
    return page.evaluate(FOCUS_JS)


def assert_visible_focus(page: Page) -> dict:
    """The focused element has a 3px ring with at least 3:1 contrast against what is behind it."""
    f = focused(page)
    assert f["outlineStyle"] != "none" and f["outlineWidth"] >= 3, f"no visible focus ring on {f}"
    assert contrast(f["outlineColor"], f["background"]) >= 3, f"focus ring too faint on {f}"
    return f


def tab_to(page: Page, matches: str, *, limit: int = 60, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches the JS predicate on `el`; check its ring."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({matches}); }}"):
            return assert_visible_focus(page)
    raise AssertionError(f"never reached {matches} by keyboard; stopped on {focused(page)}")


def label_is(text: str) -> str:
    """JS predicate: the focused field's label text starts with `text`."""
    return f"el.labels && el.labels.length && el.labels[0].innerText.trim().startsWith({text!r})"


def date_box_order(page: Page) -> str:
    """Chromium's date box follows the browser's own locale (年/月/日 on a Chinese PC, mm/dd/yyyy
    where only en-US is installed): find out which on a scratch page."""
    probe = page.context.new_page()
    try:
        probe.set_content("<input type=date id=d>")
        probe.focus("#d")
        probe.keyboard.type("12")
        probe.keyboard.type("01")
        probe.keyboard.type("2022")
        return "mdy" if probe.evaluate("document.getElementById('d').value") == "2022-12-01" else "ymd"
    finally:
        probe.close()


def type_date(page: Page, order: str, year: str, month: str, day: str) -> None:
    """Type a date into the focused date box, segment by segment, as a keyboard user does."""
    if order == "mdy":
        page.keyboard.type(month + day + year)
    else:
        page.keyboard.type(year)
        page.keyboard.press("ArrowRight")  # the year takes up to six digits
        page.keyboard.type(month + day)


def link_or_button(text: str) -> str:
    return f"['A', 'BUTTON'].includes(el.tagName) && el.innerText.trim() === {text!r}"


@browser
@transactional
def test_axe_helper_reports_violations_with_their_nodes(page):
    page.set_content("<html lang='zh-hans'><title>t</title><main><select id='s'><option>1</option></select></main>")
    violations = axe_violations(page)
    assert [v["id"] for v in violations] == ["select-name"]
    assert violations[0]["nodes"][0]["target"] == "#s"
    with pytest.raises(AssertionError, match="select-name"):
        assert_no_axe_violations(page)


# ---- Chrome: skip link, focus ring, field borders, favicon --------------------------------------


@browser
@transactional
def test_skip_link_is_the_first_tab_stop_and_focus_is_visible(page, live_server, clerk_yuzhong, conftest_password):
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/benefits/settlements/")
    page.keyboard.press("Tab")
    first = assert_visible_focus(page)
    assert (first["tag"], first["text"]) == ("A", "跳到主要内容")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab lands inside the main content, not in the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)"), focused(page)
    # On the blue top bar the ring is white, and still 3:1 against the bar.
    page.keyboard.press("Shift+Tab")
    tab_to(page, "el.closest('nav.mainnav')", backwards=True)
    assert focused(page)["outlineColor"] == "rgb(255, 255, 255)"
    # The favicon is served.
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").status == 200
    assert page.request.get(f"{live_server.url}/favicon.ico").status == 200


@browser
@transactional
def test_form_fields_have_borders_of_three_to_one(page, live_server, clerk_yuzhong, conftest_password):
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/new/")
    fields = page.locator("main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main select")
    assert fields.count() >= 5
    for i in range(fields.count()):
        field = fields.nth(i)
        border = field.evaluate("el => getComputedStyle(el).borderTopColor")
        behind = field.evaluate(f"el => ({BACKGROUND_JS})(el.parentElement)")
        ratio = contrast(border, behind)
        assert ratio >= 3, f"{field.get_attribute('name')}: border {border} on {behind} is {ratio:.2f}:1"


# ---- Forms: error summary focus, date hints and limits ------------------------------------------


@browser
@transactional
def test_failed_submit_moves_focus_to_the_error_summary(page, live_server, clerk_yuzhong, conftest_password):
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/new/")
    page.locator("form:has(button:text('提交'))").evaluate("f => f.noValidate = true")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    # The summary names the fields, so "该字段是必填项。" is never read without its field.
    expect(summary).to_contain_text("身份证号")
    expect(summary).to_contain_text("姓名")
    # Each date box has the format hint as its description.
    expect(page.get_by_label("参保开始日期")).to_have_accessible_description(re.compile("例如 2023-03-01"))
    assert_no_axe_violations(page)


@browser
@transactional
def test_login_error_takes_focus(page, live_server, clerk_yuzhong):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("账号").fill("clerk_yz")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def test_date_field_refuses_years_outside_1900_to_2100_and_names_the_format(db):
    field = DateField(label="就诊日期")
    with pytest.raises(Exception) as refused:
        field.clean("0006-03-01")
    assert "日期年份应在1900至2100之间" in str(refused.value)
    assert field.clean("2023-03-01") == dt.date(2023, 3, 1)
    with pytest.raises(Exception) as malformed:
        field.clean("2023/13/01")
    assert "例如 2023-03-01" in str(malformed.value)
    html = DATE.render("start", None, attrs={"id": "id_start"})
    assert 'min="1900-01-01"' in html and 'max="2100-12-31"' in html
    assert 'aria-describedby="id_start_helptext"' in html
    form = ImportUploadForm(data={"kind": "enrollees", "mode": "atomic", "effective_date": "0006-01-01"})
    form.is_valid()
    assert any("1900至2100" in e for e in form.errors.get("effective_date", []))


# ---- Idle warning -------------------------------------------------------------------------------


@browser
@transactional
def test_idle_warning_before_logout_and_continue_extends_the_session(
    page, live_server, clerk_yuzhong, conftest_password, settings
):
    settings.SESSION_IDLE_SECONDS = 8  # warning shown 4 s before (half the time when shorter than 2 min)
    log_in(page, live_server, "clerk_yz", conftest_password)
    page.goto(f"{live_server.url}/enrollment/people/")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=7000)
    expect(dialog).to_contain_text("未保存的输入将会丢失")
    expect(dialog.get_by_role("button", name="继续工作")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/session/keepalive/")) as ping:
        dialog.get_by_role("button", name="继续工作").click()
    assert ping.value.status == 204
    expect(dialog).to_be_hidden()
    # The ping counted as activity: past the original deadline the session is still alive. (A polling
    # request checks without counting as activity itself.)
    page.wait_for_timeout(5000)
    check = page.request.get(f"{live_server.url}/enrollment/people/", headers={"X-Yibao-Poll": "1"})
    assert check.url.endswith("/enrollment/people/")
    # Left alone, the page goes to the login form when the time is up.
    expect(dialog).to_be_visible(timeout=9000)
    page.wait_for_url("**/login/**", timeout=9000)


def test_keepalive_needs_post_and_a_session(client, clerk_yuzhong):
    assert client.post("/session/keepalive/").status_code == 302  # to the login page
    client.force_login(clerk_yuzhong)
    assert client.get("/session/keepalive/").status_code == 405
    assert client.post("/session/keepalive/").status_code == 204
    assert IDLE_KEY in client.session


# ---- Error pages and the API root ---------------------------------------------------------------


def test_error_pages_are_chinese_with_a_way_back(client, clerk_yuzhong, django_assert_num_queries):
    client.force_login(clerk_yuzhong)
    missing = client.get("/enrollment/people/999999999/")
    assert missing.status_code == 404
    assert "未找到" in missing.content.decode() and "返回工作台" in missing.content.decode()
    refused = client.get("/audit/events/")
    assert refused.status_code == 403
    assert "无权访问" in refused.content.decode() and "返回工作台" in refused.content.decode()
    assert root_urls.handler500 == "config.views.server_error"
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    text = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in text and 'href="/"' in text and "返回工作台" in text


def test_api_root_lists_the_endpoints_for_staff_only(client, clerk_yuzhong):
    assert client.get("/api/v1/").status_code in (401, 403)
    client.force_login(clerk_yuzhong)
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    endpoints = response.json()
    assert endpoints["person-list"] == "http://testserver/api/v1/persons/"
    assert endpoints["settlement-manual"] == "http://testserver/api/v1/settlements/manual/"
    assert endpoints["person-detail"] == "http://testserver/api/v1/persons/{pk}/"
    assert len(endpoints) >= 40


def test_browsable_api_pages_are_titled_in_chinese_without_developer_docstrings(client, clerk_yuzhong):
    """DRF's browsable pages showed "Person List Api" and the class docstring (issue 11, finding 12)."""
    client.force_login(clerk_yuzhong)
    for url, title in [("/api/v1/persons/", "参保人"), ("/api/v1/", "接口目录"), ("/api/v1/settlements/", "医保结算")]:
        html = client.get(url, HTTP_ACCEPT="text/html").content.decode()
        assert f"<h1>{title}</h1>" in html, url
        assert "List Api" not in html and "Api</h1>" not in html
    assert set(API_NAMES) == {p.name for p in api_urls.urlpatterns}  # every endpoint has a name


# ---- 200% zoom on 1366x768 ----------------------------------------------------------------------


def no_horizontal_scroll(page: Page) -> tuple[int, int]:
    return page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")


@browser
@transactional
def test_main_pages_at_200_percent_zoom(page, live_server):
    load_demo_data()
    settlement = Settlement.objects.filter(person__district__code="500103").order_by("pk").first()
    context = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 683, "height": 384}, device_scale_factor=2
    )
    zoomed = context.new_page()
    try:
        zoomed.goto(f"{live_server.url}/login/")
        zoomed.get_by_label("账号").fill("admin_city")
        zoomed.get_by_label("密码").fill("Yibao-demo-2026")
        zoomed.get_by_role("button", name="登录").click()
        zoomed.wait_for_url(f"{live_server.url}/")
        header = zoomed.locator("header.topbar")
        assert header.bounding_box()["height"] < 120
        menu = zoomed.get_by_role("button", name="菜单")
        nav = zoomed.get_by_role("navigation", name="主导航")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(nav).to_be_hidden()
        menu.focus()
        zoomed.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="参保人", exact=True)).to_be_visible()
        zoomed.screenshot(path="/tmp/zoom-200-menu-open.png")
        zoomed.keyboard.press("Tab")
        zoomed.keyboard.press("Escape")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(menu).to_be_focused()

        pages = [
            "/enrollment/people/",
            "/benefits/settlements/",
            f"/enrollment/people/{settlement.person_id}/",
            f"/benefits/settlements/{settlement.pk}/",
        ]
        for path in pages:
            zoomed.goto(f"{live_server.url}{path}")
            zoomed.wait_for_load_state("networkidle")
            zoomed.screenshot(path=f"/tmp/zoom-200{path.replace('/', '-').rstrip('-')}.png")
            width, inner = no_horizontal_scroll(zoomed)
            assert width <= inner + 1, f"{path} scrolls sideways at 200% zoom: {width} > {inner}"
            # Masked ID numbers stay on one line.
            for code in zoomed.locator("main code").all()[:5]:
                box = code.bounding_box()
                if box:
                    assert box["height"] < 40, f"{path}: {code.inner_text()} breaks over lines"
    finally:
        context.close()


# ---- Keyboard only: log in, find a person, take a payment, submit 零星报销 ---------------------


@browser
@transactional
def test_keyboard_only_day(
    page, live_server, clerk_yuzhong, conftest_password, standards_2023, policy_2023, hospital_yz
):
    enrollment = ResidentEnrollmentFactory(start_date=dt.date(2022, 9, 1))
    person = enrollment.person
    kb = page.keyboard
    order = date_box_order(page)

    # Log in: the account box has focus on arrival.
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("document.activeElement.name") == "username"
    kb.type("clerk_yz")
    kb.press("Tab")
    kb.type(conftest_password)
    kb.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    # The skip link is the first tab stop, with a visible ring.
    kb.press("Tab")
    assert assert_visible_focus(page)["text"] == "跳到主要内容"

    # Find the person: menu -> 参保人, type the full ID number, open the person.
    tab_to(page, "el.closest('nav') && el.innerText.trim() === '参保人'")
    kb.press("Enter")
    page.wait_for_url("**/enrollment/people/")
    if page.evaluate("document.activeElement.name") != "q":
        tab_to(page, "el.name === 'q'")
    kb.type(person.id_number)  # the list narrows as one types (htmx)
    expect(page.locator("#person-rows").get_by_role("link", name=person.name)).to_be_visible()
    tab_to(page, link_or_button(person.name))
    kb.press("Enter")
    page.wait_for_url(f"**/enrollment/people/{person.pk}/")

    # Issue the 2023 bill and take the counter payment.
    tab_to(page, label_is("参保年度"))
    kb.press("Control+A")
    kb.type("2023")
    tab_to(page, link_or_button("生成缴费单"))
    kb.press("Enter")
    expect(page.get_by_text("已生成2023年度缴费单")).to_be_visible()
    bill = ContributionBill.objects.get(person=person, coverage_year=2023)
    tab_to(page, link_or_button("记录缴费"))
    kb.press("Enter")
    page.wait_for_url(f"**/contributions/bills/{bill.pk}/pay/")
    tab_to(page, label_is("缴费流水号"))
    kb.type("COUNTER-KB-01")
    tab_to(page, label_is("缴费日期"))
    type_date(page, order, "2022", "12", "01")
    assert page.evaluate("document.activeElement.value") == "2022-12-01"
    tab_to(page, link_or_button("提交"))
    kb.press("Enter")
    page.wait_for_url(f"**/enrollment/people/{person.pk}/")
    expect(page.get_by_text("已记录缴费")).to_be_visible()
    bill.refresh_from_db()
    assert bill.status == "paid" and ContributionPayment.objects.filter(bill=bill, reference="COUNTER-KB-01").exists()

    # 零星报销: menu -> 医保结算 -> 零星报销, fill the form with the keyboard.
    kb.press("Tab")
    tab_to(page, "el.closest('nav') && el.innerText.trim() === '医保结算'")
    kb.press("Enter")
    page.wait_for_url("**/benefits/settlements/")
    tab_to(page, link_or_button("零星报销"))
    kb.press("Enter")
    page.wait_for_url("**/benefits/settlements/manual/**")
    fields = [
        ("身份证号", person.id_number),
        ("机构编码", hospital_yz.code),
        ("发票号/结算单号", "FP-KB-0001"),
    ]
    for label, value in fields:
        tab_to(page, label_is(label))
        kb.press("Control+A")
        kb.type(value)
    tab_to(page, label_is("待遇类型"))
    for _ in range(6):  # arrow keys move through a closed select's options
        if page.evaluate("document.activeElement.value") == "outpatient":
            break
        kb.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "outpatient"
    tab_to(page, label_is("就诊/入院日期"))
    type_date(page, order, "2023", "03", "01")
    for label, value in [("医疗总费用", "800.00"), ("政策范围内费用", "600.00")]:
        tab_to(page, label_is(label))
        kb.press("Control+A")
        kb.type(value)
    tab_to(page, link_or_button("提交"))
    kb.press("Enter")
    page.wait_for_url(re.compile(r".*/benefits/settlements/\d+/$"))
    expect(page.locator("ul.messages")).to_contain_text("已办理零星报销")
    settlement = Settlement.objects.get(person=person)
    assert (settlement.kind, settlement.settlement_number, settlement.created_by) == (
        "manual",
        "FP-KB-0001",
        clerk_yuzhong,
    )
