"""Shared pieces of the browser tests: how Chromium starts, logging in through the form, axe-core.

The ``page`` fixture itself is in tests/conftest.py, so every test module can ask for it.
"""

from pathlib import Path

from playwright.sync_api import Page, expect

# axe-core, vendored (tests/vendor/README.md); WCAG 2.1 A/AA is the basis of GB/T 37668-2019.
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def log_in(page: Page, live_server, username: str, password: str) -> None:
    """Through the login form, as staff do; land on the home page."""
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core (WCAG 2.1 A/AA) on the current page; each violation with the CSS targets of its nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
            }));
        }""",
        AXE_TAGS,
    )


def format_axe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join(node["summary"].split())[:200]
            lines.append(f"    {node['target']}  {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core found violations on {page.url}:\n" + format_axe_violations(violations)
