"""The web chat in headless Chromium against the real assistant.

The whole stack runs as real processes: sandbox, action server, Rasa with the
trained model, and the channel gateway (``python -m channels``) serving the
page. The browser books a driving test by clicking the offered choices, and
the sandbox is then asked whether the seat was really taken.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    async_playwright,
    expect,
)

from tests.e2e.conftest import Admin
from tests.e2e.stack import Process, Stack, start_gateway
from tests.e2e.test_exam_flows import (
    LEARNER,
    bookings,
    free_session,
    session_remaining,
    spoken,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Real turns: Rasa, the action server and the sandbox on a shared machine.
TIMEOUT_MS = 30_000
BOOKING_CODE = re.compile(r"预约成功！预约号：(KS\d{8})")


@dataclass
class Chat:
    """An open chat page served by the real gateway."""

    page: Page
    console_errors: list[str]

    def messages(self, role: str | None = None) -> Locator:
        selector = "[data-testid='message']"
        if role:
            selector += f"[data-role='{role}']"
        return self.page.locator(selector)

    def choices(self) -> Locator:
        """The choice buttons that can still be pressed (the last offer)."""
        return self.page.locator("[data-testid='choice-button']:enabled")

    def choice(self, title: str) -> Locator:
        """The usable choice button whose title contains ``title``."""
        return self.choices().filter(has_text=title)

    async def send(self, text: str) -> None:
        """Type a message and press Enter, as a citizen does."""
        await self.page.get_by_test_id("input").fill(text)
        await self.page.get_by_test_id("input").press("Enter")

    async def answered(self, count: int) -> Locator:
        """Wait until ``count`` bot messages are shown; the ``count``-th one."""
        await expect(self.messages("bot")).to_have_count(count)
        await expect(self.page.get_by_test_id("typing")).to_be_hidden()
        return self.messages("bot").nth(count - 1)


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[Process]:
    """The real gateway process in front of the stack's Rasa."""
    process = start_gateway(
        stack.rasa.url, stack.work, {"GATEWAY_RATE_LIMIT_PER_MINUTE": "100"}
    )
    try:
        yield process
    finally:
        process.stop()


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
async def chat(browser: Browser, gateway: Process, admin: Admin) -> AsyncIterator[Chat]:
    """A fresh browser context (empty localStorage) on the chat page."""
    context = await browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(gateway.url + "/")
    yield Chat(page, errors)
    await context.close()


async def test_booking_by_clicking_choices_survives_a_reload(
    chat: Chat, admin: Admin
) -> None:
    slot = free_session(admin, "科目二", "南山考场")
    before = session_remaining(admin, slot)
    period = "上午" if slot["period"] == "morning" else "下午"
    page = chat.page
    await expect(page.get_by_test_id("welcome")).to_be_visible()

    await chat.send("我想预约驾考")
    ask = await chat.answered(1)
    await expect(ask).to_contain_text("哪个科目")
    await expect(chat.choices()).to_have_text(["科目一", "科目二", "科目三", "科目四"])
    await chat.choice("科目二").click()
    await expect(await chat.answered(2)).to_contain_text("准驾车型")
    await expect(chat.messages("user").last).to_contain_text("科目二")
    await chat.choice("C1").click()
    await expect(await chat.answered(3)).to_contain_text("哪一天")
    await chat.send(spoken(slot["date"]))
    await expect(await chat.answered(4)).to_contain_text("上午场")

    # Reload mid-conversation: the log comes back from the tracker, and the
    # last offer (上午 / 下午) is still usable.
    await page.reload()
    await expect(chat.messages("bot")).to_have_count(4)
    await expect(chat.messages("user")).to_have_count(4)
    await expect(chat.messages("user").nth(1)).to_contain_text("科目二")
    await expect(chat.choices()).to_have_text(["上午", "下午"])
    await chat.choice(period).click()

    sites = await chat.answered(5)
    await expect(sites).to_contain_text("还有名额")
    site_button = chat.choice("南山考场")
    await expect(site_button).to_have_text(f"南山考场（南山区，余{before}）")
    await site_button.click()
    await expect(chat.messages("user").last).to_have_text(
        f"我说：南山考场（南山区，余{before}）"
    )
    await expect(await chat.answered(6)).to_contain_text("身份证")
    await chat.send(LEARNER)
    confirm = await chat.answered(7)
    await expect(confirm).to_contain_text("确认预约")
    await expect(confirm).to_contain_text("4403**********0036")
    await expect(confirm).not_to_contain_text(LEARNER)
    await chat.choice("确认预约").click()
    await expect(chat.messages("user").last).to_contain_text("确认预约")
    await expect(chat.messages("bot").filter(has_text="预约成功！")).to_have_count(1)
    done = await chat.messages("bot").filter(has_text="预约成功！").inner_text()
    found = BOOKING_CODE.search(done)
    assert found, done
    code = found.group(1)

    held = [b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]
    assert [b["booking_code"] for b in held] == [code]
    assert (held[0]["date"], held[0]["period"], held[0]["site"]) == (
        slot["date"],
        slot["period"],
        "南山考场",
    )
    assert session_remaining(admin, slot) == before - 1

    # The finished conversation survives a reload too; nothing is offered twice.
    await page.reload()
    await expect(chat.messages("bot").filter(has_text=code)).to_have_count(1)
    await expect(chat.choice("确认预约")).to_have_count(0)
    assert chat.console_errors == []


async def test_elder_mode_with_real_replies(chat: Chat) -> None:
    page = chat.page
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    toggle = page.get_by_test_id("elder-toggle")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("html")).to_have_class("elder")

    await chat.send("居住证怎么办理")
    answer = await chat.answered(1)
    await expect(answer).to_contain_text("居住证")
    await expect(answer).to_contain_text("所需材料")
    text = answer.get_by_test_id("message-text")
    large = await text.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    # A long real answer wraps inside a phone screen in large text.
    assert await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )

    # Elder mode and the conversation both survive a reload; the chat goes on.
    await page.reload()
    await expect(page.locator("html")).to_have_class("elder")
    await expect(chat.messages("bot")).to_have_count(1)
    await chat.send("预约驾考")
    await expect(await chat.answered(2)).to_contain_text("哪个科目")
    await expect(chat.choice("科目一")).to_be_visible()
    height = await chat.choice("科目一").evaluate(
        "el => el.getBoundingClientRect().height"
    )
    assert height >= 48  # 3rem touch targets in elder mode

    await page.get_by_test_id("elder-toggle").click()
    await expect(page.locator("html")).not_to_have_class("elder")
    normal = await text.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert large >= 1.3 * normal, (large, normal)
    assert chat.console_errors == []
