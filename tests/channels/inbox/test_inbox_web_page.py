"""The chat page while its conversation is with staff, in headless Chromium.

The real gateway app in front of the Rasa stand-in; staff act through the
internal API. The page must show a staff reply without the citizen writing,
keep listening after a reload, and stop listening once released.
"""

import shutil
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.settings import load_settings
from channels.app import create_app
from channels.inbox import texts
from tests.channels.gateway.rasa_standin import HANDOFF, RasaStandIn
from tests.channels.inbox.conftest import INTERNAL_TOKEN

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_MS = 15_000
AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


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


@pytest.fixture
async def rasa(aiohttp_server) -> RasaStandIn:
    standin = RasaStandIn()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


@pytest.fixture
async def gateway_url(aiohttp_server, rasa: RasaStandIn) -> str:
    settings = load_settings(
        {
            "RASA_URL": rasa.url,
            "GATEWAY_RASA_TIMEOUT_S": "2",
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
        }
    )
    server: TestServer = await aiohttp_server(create_app(settings))
    return str(server.make_url("")).rstrip("/")


async def staff_call(base: str, method: str, path: str, body: object = None) -> dict:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, base + path, json=body, headers=AUTH) as response,
    ):
        assert response.status == 200, await response.text()
        return dict(await response.json())


async def send(page: Page, text: str) -> None:
    await page.get_by_test_id("input").fill(text)
    await page.get_by_test_id("input").press("Enter")


def bot_texts(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(
        "[data-testid='message'][data-role='bot'] [data-testid='message-text']"
    )


async def test_page_shows_staff_replies_and_the_release(
    browser: Browser, gateway_url: str, rasa: RasaStandIn
) -> None:
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(gateway_url + "/")

    await send(page, "转人工")
    await expect(bot_texts(page).last).to_have_text(HANDOFF)
    await expect(page.locator("html")).to_have_attribute("data-with-staff", "true")
    (handoff,) = (await staff_call(gateway_url, "GET", "/internal/handoffs"))[
        "handoffs"
    ]
    sender = handoff["sender"]

    await staff_call(
        gateway_url,
        "POST",
        f"/internal/handoffs/{sender}/reply",
        {"text": "您好，我是窗口的李四。", "staff": "李四"},
    )
    await expect(bot_texts(page).last).to_have_text(
        "【人工客服】您好，我是窗口的李四。"
    )

    # A reload restores the conversation and keeps listening.
    await page.reload()
    await expect(bot_texts(page).last).to_have_text(
        "【人工客服】您好，我是窗口的李四。"
    )
    await expect(page.locator("html")).to_have_attribute("data-with-staff", "true")
    await staff_call(
        gateway_url,
        "POST",
        f"/internal/handoffs/{sender}/reply",
        {"text": "请问还有什么问题？", "staff": "李四"},
    )
    await expect(bot_texts(page).last).to_have_text("【人工客服】请问还有什么问题？")
    await expect(bot_texts(page)).to_have_count(3)  # nothing shown twice

    await staff_call(
        gateway_url, "POST", f"/internal/handoffs/{sender}/release", {"staff": "李四"}
    )
    await expect(bot_texts(page).last).to_have_text(texts.RELEASED)
    await expect(page.locator("html")).not_to_have_attribute("data-with-staff", "true")
    polls = len(rasa.tracker_reads)
    await page.wait_for_timeout(4000)
    assert len(rasa.tracker_reads) == polls  # polling stopped

    await send(page, "你好")
    await expect(bot_texts(page).last).to_have_text("您说的是：你好")
    assert errors == []
    await context.close()
