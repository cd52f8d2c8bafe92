"""Staff pages as staff use them: headless Chromium driven by Playwright."""

import pytest

from core.models import AuditEvent


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_logs_in_sees_navigation_and_switches_language(page, live_server, reviewer_yuzhong, conftest_password):
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.get_by_label("账号").fill("reviewer_yz")
    page.get_by_label("密码").fill(conftest_password)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("current-user").inner_text() == "reviewer_yz"
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link", name="操作日志").is_visible()
    assert "渝中区" in page.locator(".who").inner_text()

    page.get_by_role("link", name="操作日志").click()
    assert page.locator("table.list tbody tr").first.inner_text().count("登录") >= 1

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.get_by_role("link", name="Audit trail").is_visible()

    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=reviewer_yuzhong).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wrong_password_shows_chinese_message(page, live_server, clerk_yuzhong):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("账号").fill("clerk_yz")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").is_visible()
    assert "正确的用户名和密码" in page.get_by_role("alert").inner_text()
