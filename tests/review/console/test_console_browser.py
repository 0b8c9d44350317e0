"""The console in headless Chromium: log in with the keyboard, read the dashboard, log out."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, async_playwright, expect

from review.console.app import create_app
from review.logdb.database import LogDatabase
from tests.review.console.kit import PASSWORDS
from tests.review.console.test_console_dashboard import known_log  # noqa: F401

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_MS = 10_000


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


async def test_login_dashboard_logout(
    browser: Browser,
    aiohttp_server,
    settings,
    staff,
    known_log: LogDatabase,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    server: TestServer = await aiohttp_server(create_app(settings))
    base = str(server.make_url("/")).rstrip("/")
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))

    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/login?next=/")
    await page.get_by_label("用户名").fill("rita")
    await page.get_by_label("密码").fill("wrong-password-123")
    await page.get_by_label("密码").press("Enter")
    await expect(page.get_by_test_id("login-error")).to_have_text(
        "用户名或密码不正确。"
    )

    await page.get_by_test_id("username").fill("rita")
    await page.get_by_test_id("password").fill(PASSWORDS["rita"])
    await page.get_by_test_id("password").press("Enter")
    await expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    await expect(page.get_by_test_id("current-user")).to_contain_text("rita")
    # A reviewer sees no admin links.
    await expect(page.get_by_test_id("nav-users")).to_have_count(0)

    await page.get_by_test_id("range-from").fill("2026-11-20")
    await page.get_by_test_id("range-to").fill("2026-11-21")
    await page.get_by_test_id("range-submit").click()
    await expect(page.get_by_test_id("figure-conversations")).to_have_text("4")
    await expect(page.get_by_test_id("figure-handoff-rate")).to_have_text("25.0%")
    chart = page.get_by_test_id("chart-channel")
    await expect(chart).to_be_visible()
    await expect(chart.get_by_test_id("bar")).to_have_count(3)
    await expect(page.get_by_role("img", name="各渠道会话量")).to_be_visible()
    assert "11010519491231002X" not in await page.content()

    await page.get_by_test_id("logout").focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{base}/login")
    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/login?next=/")
    # The wrong password's page is answered 401, which Chromium reports.
    assert [p for p in problems if "status of 401" not in p] == []
    await context.close()
