"""Shared pieces of the browser tests: how Chromium starts and logging in through the form.

The ``page`` fixture itself is in tests/conftest.py, so every test module can ask for it.
"""

from playwright.sync_api import Page, expect

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
