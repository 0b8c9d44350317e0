"""The web chat page in headless Chromium, served by the real gateway app.

Rasa is the loopback stand-in. The page is driven only through stable
``data-testid`` attributes and the keyboard, as a citizen (or a screen reader
user) would.
"""

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Route,
    async_playwright,
    expect,
)

from bot.settings import load_settings
from channels import texts
from channels.app import create_app
from tests.channels.gateway import rasa_standin
from tests.channels.gateway.rasa_standin import RasaStandIn

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_MS = 10_000


@dataclass
class Chat:
    """An open chat page and the gateway URL it came from."""

    page: Page
    url: str
    console_errors: list[str]

    def messages(self, role: str | None = None) -> Locator:
        selector = "[data-testid='message']"
        if role:
            selector += f"[data-role='{role}']"
        return self.page.locator(selector)

    async def send_with_keyboard(self, text: str) -> None:
        await self.page.get_by_test_id("input").fill(text)
        await self.page.get_by_test_id("input").press("Enter")


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
async def gateway_url(aiohttp_server, rasa: RasaStandIn) -> str:
    settings = load_settings({"RASA_URL": rasa.url, "GATEWAY_RASA_TIMEOUT_S": "2"})
    server: TestServer = await aiohttp_server(create_app(settings))
    return str(server.make_url("/"))


@pytest.fixture
async def chat(browser: Browser, gateway_url: str) -> AsyncIterator[Chat]:
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(gateway_url)
    yield Chat(page, gateway_url, errors)
    await context.close()


async def test_send_shows_typing_then_the_reply(chat: Chat, rasa: RasaStandIn) -> None:
    rasa.delay_s = 0.8
    page = chat.page
    await expect(page.get_by_test_id("welcome")).to_be_visible()
    await chat.send_with_keyboard("你好")
    await expect(page.get_by_test_id("typing")).to_be_visible()
    await expect(chat.messages("user")).to_have_text(["我说：你好"])
    await expect(chat.messages("bot")).to_have_count(1)
    await expect(chat.messages("bot").get_by_test_id("message-text")).to_have_text(
        "您说的是：你好"
    )
    await expect(page.get_by_test_id("typing")).to_be_hidden()
    await expect(page.get_by_test_id("welcome")).to_be_hidden()
    await expect(page.get_by_test_id("input")).to_have_value("")
    await expect(page.get_by_test_id("chat-log")).to_have_attribute(
        "aria-live", "polite"
    )
    assert chat.console_errors == []  # no CSP violation, no script error


async def test_choices_are_buttons_used_once_and_links_are_safe(
    chat: Chat, rasa: RasaStandIn
) -> None:
    page = chat.page
    await chat.send_with_keyboard("预约驾考")
    buttons = page.get_by_test_id("choice-button")
    await expect(buttons).to_have_text(["科目一", "科目二"])
    await buttons.first.click()
    await expect(chat.messages("user").last).to_contain_text("科目一")
    await expect(chat.messages("bot").nth(1)).to_contain_text("好的，您选择了科目一")
    await expect(buttons.first).to_be_disabled()
    await expect(buttons.last).to_be_disabled()
    assert rasa.texts_received() == [
        "预约驾考",
        rasa_standin.EXAM_CHOICES[0]["payload"],
    ]
    link = page.get_by_test_id("link")
    await expect(link).to_have_text("考试须知")
    await expect(link).to_have_attribute("href", rasa_standin.GUIDE_URL)
    await expect(link).to_have_attribute("rel", "noopener noreferrer")


async def test_bot_text_is_shown_as_text_never_as_markup(
    chat: Chat, rasa: RasaStandIn
) -> None:
    hostile = '<img src=x onerror="window.pwned=1">'
    await chat.send_with_keyboard(hostile)
    await expect(chat.messages("bot")).to_contain_text(f"您说的是：{hostile}")
    assert await chat.page.evaluate("window.pwned === undefined")
    assert await chat.page.locator("[data-testid='chat-log'] img").count() == 0


async def test_reload_restores_the_conversation(chat: Chat, rasa: RasaStandIn) -> None:
    page = chat.page
    await chat.send_with_keyboard("预约驾考")
    await expect(page.get_by_test_id("choice-button")).to_have_count(2)
    await page.reload()
    await expect(chat.messages()).to_have_count(2)
    await expect(chat.messages("user")).to_contain_text(["预约驾考"])
    await expect(chat.messages("bot")).to_contain_text([rasa_standin.EXAM_QUESTION])
    # The last offer is still usable after the reload.
    await page.get_by_test_id("choice-button").last.click()
    await expect(chat.messages("bot").nth(1)).to_contain_text("您选择了科目二")
    await page.get_by_test_id("new-conversation").click()
    await expect(chat.messages()).to_have_count(0)
    await page.reload()
    await expect(page.get_by_test_id("welcome")).to_be_visible()
    await expect(chat.messages()).to_have_count(0)


async def test_elder_mode_is_bigger_and_remembered(chat: Chat) -> None:
    page = chat.page
    toggle = page.get_by_test_id("elder-toggle")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    normal = await page.evaluate("getComputedStyle(document.documentElement).fontSize")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("html")).to_have_class("elder")
    large = await page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert float(large.removesuffix("px")) >= 1.3 * float(normal.removesuffix("px"))
    await page.reload()
    await expect(page.get_by_test_id("elder-toggle")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.get_by_test_id("elder-toggle").click()
    await expect(page.locator("html")).not_to_have_class("elder")


async def test_keyboard_only(chat: Chat, rasa: RasaStandIn) -> None:
    page = chat.page
    input_box = page.get_by_test_id("input")
    for _ in range(20):  # Tab from the top of the page to the input
        if await input_box.evaluate("el => el === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the input")
    await page.keyboard.type("预约驾考")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("choice-button")).to_have_count(2)
    first = page.get_by_test_id("choice-button").first
    for _ in range(20):  # Shift+Tab back from the input to the choices
        if await first.evaluate("el => el === document.activeElement"):
            break
        await page.keyboard.press("Shift+Tab")
    else:
        pytest.fail("Tab never reached the choice buttons")
    await page.keyboard.press("Enter")
    await expect(chat.messages("bot").nth(1)).to_contain_text("科目一")
    await expect(page.get_by_test_id("input")).to_be_focused()


@pytest.mark.parametrize("resend", ["retry-button", "enter-again"])
async def test_network_failure_keeps_the_text_and_retry_sends_it_once(
    chat: Chat, rasa: RasaStandIn, resend: str
) -> None:
    page = chat.page
    attempts: list[str] = []

    async def lose_the_answer(route: Route) -> None:
        # The request reaches the gateway, but the answer never comes back.
        attempts.append(route.request.post_data or "")
        await route.fetch()
        await route.abort("connectionreset")

    await page.route("**/web/api/messages", lose_the_answer)
    await chat.send_with_keyboard("我要查违章")
    retry = page.get_by_test_id("retry-button")
    await expect(retry).to_be_visible()
    await expect(page.get_by_test_id("status")).to_contain_text("重试")
    await expect(page.get_by_test_id("input")).to_have_value("我要查违章")
    assert len(attempts) == 3  # the first try and two automatic retries
    assert len(set(attempts)) == 1  # all with the same message_id
    await page.unroute("**/web/api/messages")
    if resend == "retry-button":
        await retry.click()
    else:  # the restored text sent again is the same message, not a new one
        await page.get_by_test_id("input").press("Enter")
    await expect(chat.messages("bot")).to_have_count(1)
    await expect(chat.messages("bot")).to_contain_text("您说的是：我要查违章")
    await expect(retry).to_have_count(0)
    await expect(chat.messages("user")).to_have_count(1)
    assert rasa.texts_received() == ["我要查违章"]  # one Rasa turn in all


async def test_rasa_down_shows_the_fallback_text(chat: Chat, rasa: RasaStandIn) -> None:
    rasa.status = 500
    await chat.send_with_keyboard("你好")
    await expect(chat.messages("bot")).to_contain_text(texts.UNAVAILABLE)
