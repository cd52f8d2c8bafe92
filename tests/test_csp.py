"""Content-Security-Policy and Permissions-Policy in the browser (issue 13, must-show 9).

The policy forbids inline scripts, inline styles, on* handler attributes and eval. These tests open
the pages that lean hardest on scripts (the person list's htmx live search, the fund dashboard's
Chart.js charts, a job page's polling progress bar, the printable statement) with the header on,
listen for violations (securitypolicyviolation events and console messages), and check that the
scripts still did their work: htmx swapped results in, the charts drew pixels, the progress bar
moved, the print stylesheet applies.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.ledger import books_backfill
from core.models import JobRun
from core.roles import Role
from tests.benefits_support import resident
from tests.browser_support import log_in
from tests.supervision_support import pay, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Injected through the DevTools protocol before any page script: not itself subject to the CSP.
LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


class CspWatch:
    """Collects CSP violations from console messages and from each page's event listener."""

    def __init__(self, page: Page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTENER)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            self.console.append(f"{message.type}: {message.text}")

    def violations(self) -> list[str]:
        return self.console + self.page.evaluate("window.__cspViolations || []")

    def goto(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
        assert "camera=()" in response.headers.get("permissions-policy", "")
        return response


@pytest.fixture
def watch(page):
    return CspWatch(page)


def test_the_listener_catches_an_inline_script_and_style(page, live_server, watch):
    """Without this the other tests could pass by hearing nothing."""
    watch.goto(f"{live_server.url}/login/")
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__ran = 1";
            document.head.append(s);
            const st = document.createElement("style");
            st.textContent = "body { color: red }";
            document.head.append(st);
        }"""
    )
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.__ran") is None
    found = " ".join(watch.violations())
    assert "script-src-elem blocked inline" in found and "style-src-elem blocked inline" in found


def test_person_search_swaps_results_under_the_policy(page, live_server, clerk_yuzhong, conftest_password, watch):
    person = resident()
    log_in(page, live_server, clerk_yuzhong.username, conftest_password)
    watch.goto(f"{live_server.url}/enrollment/people/")
    page.get_by_label("身份证号或姓名").press_sequentially(person.id_number, delay=20)
    # htmx (no eval, no injected <style>) fetched the rows and swapped them in, and pushed the URL.
    expect(page.locator("#person-rows")).to_contain_text(person.name)
    page.wait_for_url(f"**/enrollment/people/?q={person.id_number}")
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    # The indicator rule htmx no longer injects comes from yibao.css.
    indicator = """() => {
        const i = document.body.appendChild(Object.assign(document.createElement("i"), {className: "htmx-indicator"}));
        return getComputedStyle(i).opacity;
    }"""
    assert page.evaluate(indicator) == "0"

    # The language switch submits on change through yibao.js, not an onchange attribute.
    page.get_by_label("界面语言").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert watch.violations() == []


def test_fund_dashboard_draws_charts_under_the_policy(
    page, live_server, make_user, districts, hospital_yz, conftest_password, settings, watch
):
    make_user("sup_yz", Role.FUND_SUPERVISOR, "500103")
    person = resident(paid=False)
    pay(person, "350.00", dt.date(2023, 1, 5))
    settle(person, hospital_yz, dt.date(2023, 2, 1), pooled="600.00")
    books_backfill()  # the builders write records only; post them to the fund books as the nightly job would
    log_in(page, live_server, "sup_yz", conftest_password)
    watch.goto(f"{live_server.url}/audit/fund/?year=2023")
    page.wait_for_function("window.yibaoFundChartsReady === true")
    # 城乡居民 (the third fund): the settlement is dated the day it was written, after 2023: December
    assert page.evaluate("Chart.getChart('chart-flow-2').data.datasets[1].data[11]") == 600
    # Chart.js sized the canvas through the CSSOM (allowed) and painted it.
    painted = page.evaluate(
        """() => {
            const canvas = document.getElementById("chart-flow-2");
            const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
            return { n, width: canvas.width, styled: canvas.style.width !== "" };
        }"""
    )
    assert painted["width"] > 0 and painted["styled"] and painted["n"] > 500, painted
    assert watch.violations() == []


def test_job_progress_bar_polls_under_the_policy(page, live_server, municipal_admin, conftest_password, watch):
    run = JobRun.objects.create(
        kind="annual_collection",
        params={"year": 2023},
        status=JobRun.Status.RUNNING,
        started_by=municipal_admin,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        total=10,
        done=4,
    )
    log_in(page, live_server, municipal_admin.username, conftest_password)
    watch.goto(f"{live_server.url}/jobs/{run.pk}/")
    bar = page.get_by_test_id("job-progress-bar")
    expect(bar).to_have_attribute("value", "40")
    JobRun.objects.filter(pk=run.pk).update(
        done=10, status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )
    # The every-1s htmx poll swaps the finished progress section in.
    expect(page.get_by_test_id("job-progress-bar")).to_have_attribute("value", "100", timeout=10_000)
    assert watch.violations() == []


def test_statement_styles_and_print_button_under_the_policy(
    page, live_server, clerk_yuzhong, hospital_yz, conftest_password, watch
):
    settlement = settle(resident(), hospital_yz, dt.date(2023, 3, 1), pooled="80.00")
    log_in(page, live_server, clerk_yuzhong.username, conftest_password)
    watch.goto(f"{live_server.url}/benefits/settlements/{settlement.pk}/")
    heading = page.get_by_test_id("statement").get_by_role("heading", level=1)
    expect(heading).to_have_text("医保结算单")
    # static/css/statement.css applies on screen and, for print, sets the A4 sizes.
    assert page.evaluate("getComputedStyle(document.querySelector('.statement .issuer')).textAlign") == "center"
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.statement .issuer h1')).fontSize") == "21.3333px"
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "none"
    page.emulate_media(media="screen")
    # The 打印 button is wired by yibao.js (no onclick attribute): it calls window.print.
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="打印").click()
    page.wait_for_function("window.__printed === true")
    assert watch.violations() == []
