"""The 人工帮办 pages against the real gateway (on Redis) and Rasa's stand-in.

Complements tests/review/console/test_console_inbox_pages.py (the basic
reply/release round trip): waiting times and the overdue highlight, roles,
CSRF, masking of what the bot collected, a colleague releasing first, a wrong
internal token, and the whole loop in Chromium with the citizen's own chat page.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, async_playwright, expect
from sqlalchemy import select

from channels.inbox import texts as gateway_texts
from review.console.app import create_app
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from tests.channels.gateway.rasa_standin import HANDOFF
from tests.review.console.kit import HTML, PASSWORDS, csrf_in, login
from tests.review.inbox.conftest import InboxWorld, console_settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_MS = 15_000
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"


async def _audited(db: LogDatabase, action: str) -> list[AuditEntry]:
    async with db.read() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action)
        )
        return list(rows)


async def _handoff(world: InboxWorld) -> str:
    """A citizen asks for a person; their sender id as the console lists it."""
    assert await world.citizen_says(str(uuid.uuid4()), "转人工") == [HANDOFF]
    client = await world.client()
    await login(client, "rita")
    page = await (await client.get("/inbox", headers=HTML)).text()
    senders = [part.split('"', 1)[0] for part in page.split('data-sender="')[1:]]
    assert senders, page
    return senders[0]


async def test_a_long_wait_is_highlighted_and_a_reply_clears_it(
    world: InboxWorld, db: LogDatabase
) -> None:
    sender = await _handoff(world)
    rita = await world.client()
    token = await login(rita, "rita")
    fresh = await (await rita.get("/inbox", headers=HTML)).text()
    assert '<meta http-equiv="refresh"' in fresh  # the list refreshes itself
    assert 'class="overdue"' not in fresh and "已超时" not in fresh

    await world.backdate(sender, 95)
    late = await (await rita.get("/inbox", headers=HTML)).text()
    row = late.split(f'data-sender="{sender}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="overdue"' in row and "1分3" in row and "（已超时）" in row
    assert "其中 <strong" in late and "已等待超过 60 秒" in late

    sent = await rita.post(
        f"/inbox/{sender}/reply",
        data={"csrf_token": token, "text": "您好，让您久等了。"},
        headers=HTML,
    )
    assert sent.status == 200
    answered = await (await rita.get("/inbox", headers=HTML)).text()
    row = answered.split(f'data-sender="{sender}"', 1)[1].split("</tr>", 1)[0]
    assert "已回复" in row and 'class="overdue"' not in row
    assert [e.target for e in await _audited(db, "inbox.replied")] == [sender]


async def test_collected_slots_and_transcript_are_masked(world: InboxWorld) -> None:
    conversation = str(uuid.uuid4())
    assert await world.citizen_says(conversation, f"我的手机号是{PHONE}") == [
        f"您说的是：我的手机号是{PHONE}"
    ]
    assert await world.citizen_says(conversation, "转人工") == [HANDOFF]
    rita = await world.client()
    await login(rita, "rita")
    listing = await (await rita.get("/inbox", headers=HTML)).text()
    sender = listing.split('data-sender="', 1)[1].split('"', 1)[0]
    world.rasa.slots[sender] = {"id_number": ID_NUMBER, "phone_number": PHONE}

    page = await (await rita.get(f"/inbox/{sender}", headers=HTML)).text()
    slots = page.split('data-testid="slots"', 1)[1].split("</dl>", 1)[0]
    assert "id_number" in slots and "phone_number" in slots
    assert "1101**********002X" in slots and "138****8000" in slots
    transcript = page.split('data-testid="transcript"', 1)[1].split("</ol>", 1)[0]
    assert "138****8000" in transcript and transcript.count("data-role=") >= 3
    assert ID_NUMBER not in page and PHONE not in page


async def test_roles_and_csrf(world: InboxWorld, db: LogDatabase) -> None:
    sender = await _handoff(world)
    anonymous = await world.client()
    redirected = await anonymous.get(
        f"/inbox/{sender}", headers=HTML, allow_redirects=False
    )
    assert redirected.status in (302, 303)
    assert redirected.headers["Location"].startswith("/login")
    refused = await anonymous.post(
        f"/inbox/{sender}/release", data={"text": "x"}, allow_redirects=False
    )
    assert refused.status in (302, 303, 401, 403)

    # Roles include the lower ones: a trainer and an admin also help citizens.
    for name in ("tom", "ada"):
        member = await world.client()
        await login(member, name)
        page = await member.get("/inbox", headers=HTML)
        assert page.status == 200 and f'data-sender="{sender}"' in await page.text()

    rita = await world.client()
    token = await login(rita, "rita")
    for path, data in (
        (f"/inbox/{sender}/reply", {"text": "没有令牌"}),
        (f"/inbox/{sender}/release", {}),
        (f"/inbox/{sender}/reply", {"text": "错的令牌", "csrf_token": token[::-1]}),
    ):
        forged = await rita.post(path, data=data, headers=HTML)
        assert forged.status == 403, path
    assert world.rasa.appended == []  # nothing reached the citizen or Rasa
    for action in ("inbox.replied", "inbox.released"):
        assert await _audited(db, action) == []

    long = "好" * 1001
    too_long = await rita.post(
        f"/inbox/{sender}/reply",
        data={"csrf_token": token, "text": long},
        headers=HTML,
    )
    text = await too_long.text()
    assert too_long.status == 400 and "回复不能超过1000个字" in text
    assert long in text  # the draft is kept
    assert world.rasa.appended == []


async def test_a_colleague_released_it_first(
    world: InboxWorld, db: LogDatabase
) -> None:
    sender = await _handoff(world)
    rita, ada = await world.client(), await world.client()
    rita_token = await login(rita, "rita")
    ada_page = await (
        await (await _logged_in(ada, "ada")).get(f"/inbox/{sender}", headers=HTML)
    ).text()
    released = await rita.post(
        f"/inbox/{sender}/release", data={"csrf_token": rita_token}, headers=HTML
    )
    assert released.status == 200
    assert 'data-testid="released-notice"' in await released.text()

    late = await ada.post(
        f"/inbox/{sender}/reply",
        data={"csrf_token": csrf_in(ada_page), "text": "您好"},
        headers=HTML,
    )
    text = await late.text()
    assert late.status == 404 and 'data-testid="inbox-error"' in text
    assert "没有待处理的人工服务" in text
    assert await _audited(db, "inbox.replied") == []
    [entry] = await _audited(db, "inbox.released")
    assert (entry.actor, entry.target) == ("rita", sender)
    assert (await ada.get(f"/inbox/{sender}", headers=HTML)).status == 404


async def _logged_in(client: TestClient, name: str) -> TestClient:
    await login(client, name)
    return client


async def test_a_wrong_internal_token_is_explained(
    world: InboxWorld,
    aiohttp_client: Any,
    db_path: Path,
    tmp_path: Path,
) -> None:
    await _handoff(world)
    app = create_app(
        console_settings(
            db_path, tmp_path / "other-var", world.gateway_url, "not-the-token"
        )
    )
    client = await aiohttp_client(app)
    await login(client, "rita")
    page = await client.get("/inbox", headers=HTML)
    text = await page.text()
    assert page.status == 503 and 'data-testid="inbox-error"' in text
    assert "内部接口令牌（INTERNAL_API_TOKEN）不一致" in text
    assert 'data-testid="handoff-row"' not in text


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


@pytest.mark.browser
async def test_in_chromium_staff_answer_and_release_a_citizen(
    browser: Browser, world: InboxWorld, db: LogDatabase
) -> None:
    problems: list[str] = []
    citizen_context = await browser.new_context(locale="zh-CN")
    citizen = await citizen_context.new_page()
    citizen.set_default_timeout(TIMEOUT_MS)
    citizen.on("pageerror", lambda e: problems.append(f"citizen: {e}"))
    await citizen.goto(world.gateway_url + "/")
    await citizen.get_by_test_id("input").fill("转人工")
    await citizen.get_by_test_id("input").press("Enter")
    bot_texts = citizen.locator(
        "[data-testid='message'][data-role='bot'] [data-testid='message-text']"
    )
    await expect(bot_texts.last).to_have_text(HANDOFF)

    staff_context = await browser.new_context(locale="zh-CN")
    staff = await staff_context.new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    staff.on("pageerror", lambda e: problems.append(f"staff: {e}"))
    staff.on(
        "console",
        lambda m: problems.append(f"staff: {m.text}") if m.type == "error" else None,
    )
    await staff.goto(world.console_url + "/inbox")
    await staff.get_by_test_id("username").fill("rita")
    await staff.get_by_test_id("password").fill(PASSWORDS["rita"])
    await staff.get_by_test_id("password").press("Enter")
    await expect(staff.get_by_role("heading", name="人工帮办")).to_be_visible()
    await expect(staff.get_by_test_id("nav-inbox")).to_have_attribute(
        "aria-current", "page"
    )
    rows = staff.get_by_test_id("handoff-row")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("市民要求转人工")
    await rows.first.get_by_test_id("handoff-link").click()

    await expect(staff.get_by_test_id("transcript-line").first).to_contain_text(
        "转人工"
    )
    await staff.get_by_label("回复市民").fill(
        "您好，我是窗口的小李，请问需要办理什么？"
    )
    await staff.get_by_test_id("reply-submit").click()
    await expect(staff.get_by_test_id("sent-notice")).to_be_visible()
    await expect(
        staff.locator("[data-testid='transcript-line'][data-role='staff']")
    ).to_contain_text("您好，我是窗口的小李")
    # The citizen gets it on their own channel, without writing again.
    await expect(bot_texts.last).to_have_text(
        "【人工客服】您好，我是窗口的小李，请问需要办理什么？"
    )

    await staff.get_by_role("button", name="交还机器人").click()
    await expect(staff.get_by_test_id("released-notice")).to_contain_text(
        "已交还智能助手"
    )
    await expect(staff.get_by_test_id("inbox-empty")).to_be_visible()
    await expect(bot_texts.last).to_have_text(gateway_texts.RELEASED)

    actions = {
        e.action: e.actor
        for action in ("inbox.viewed", "inbox.replied", "inbox.released")
        for e in await _audited(db, action)
    }
    assert actions == {
        "inbox.viewed": "rita",
        "inbox.replied": "rita",
        "inbox.released": "rita",
    }
    assert problems == []
    await staff_context.close()
    await citizen_context.close()
