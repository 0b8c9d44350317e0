"""Human handoff end to end: citizen → inbox → staff reply → release → bot again.

Real processes: sandbox, action server, Rasa with the trained model and the
channel gateway (``python -m channels``). The staff side is the console's
``InboxService`` over the gateway's internal API. Citizens write on the web
chat API and on Telegram, whose Bot API is a loopback stand-in (a third-party
seam) served from a thread, so the gateway's ``sendMessage`` calls can be read.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from channels import texts as gateway_texts
from channels.inbox import texts
from review.inbox.service import HandoffSummary, InboxService
from tests.channels.routes.telegram_api_standin import (
    CHAT_ID,
    TelegramApiStandIn,
    message_update,
)
from tests.channels.routes.telegram_api_standin import (
    TOKEN as TELEGRAM_TOKEN,
)
from tests.e2e.stack import TOKEN, Process, Stack, http, start_gateway

pytestmark = pytest.mark.e2e

INTERNAL_TOKEN = "e2e-internal-token"
TELEGRAM_SECRET = "e2e-telegram-Secret_0123"
PLATE = "粤B12345"
HANDOFF_WORDS = "正在为您转接人工客服"
T = TypeVar("T")


class ThreadServer:
    """An aiohttp app served on loopback from its own thread and event loop."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner = web.AppRunner(app)
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self.url

    async def _start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[TelegramApiStandIn]:
    standin = TelegramApiStandIn()
    server = ThreadServer(standin.app())
    standin.url = server.start()
    try:
        yield standin
    finally:
        server.stop()


@pytest.fixture(scope="module")
def gateway(stack: Stack, telegram_api: TelegramApiStandIn) -> Iterator[Process]:
    process = start_gateway(
        stack.rasa.url,
        stack.work,
        {
            "GATEWAY_RATE_LIMIT_PER_MINUTE": "100",
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE": telegram_api.url,
        },
        name="gateway-inbox",
    )
    try:
        yield process
    finally:
        process.stop()


def staff(
    gateway: Process, call: Callable[[InboxService], Coroutine[Any, Any, T]]
) -> T:
    """Run one ``InboxService`` call, as the console would."""

    async def run() -> T:
        async with aiohttp.ClientSession() as session:
            return await call(InboxService(session, gateway.url, INTERNAL_TOKEN))

    return asyncio.run(run())


def wait_for(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def handoff_of(gateway: Process, channel: str, known: set[str]) -> HandoffSummary:
    """The one open handoff on ``channel`` not in ``known``."""
    found: list[HandoffSummary] = []

    def listed() -> bool:
        items = staff(gateway, lambda s: s.list_open())
        found[:] = [i for i in items if i.channel == channel and i.sender not in known]
        return bool(found)

    wait_for(listed, 30)
    assert len(found) == 1
    return found[0]


def bot_events(rasa_url: str, sender: str) -> list[dict[str, Any]]:
    status, tracker = http(
        "GET", f"{rasa_url}/conversations/{sender}/tracker?token={TOKEN}"
    )
    assert status == 200
    return [e for e in tracker["events"] if e["event"] == "bot"]


class WebCitizen:
    def __init__(self, gateway: Process) -> None:
        self.url = gateway.url
        self.conversation = str(uuid.uuid4())

    def say(self, text: str) -> dict[str, Any]:
        status, body = http(
            "POST",
            self.url + "/web/api/messages",
            {
                "conversation_id": self.conversation,
                "message_id": str(uuid.uuid4()),
                "text": text,
            },
        )
        assert status == 200, body
        return dict(body)

    def history(self) -> list[str]:
        status, body = http(
            "GET", f"{self.url}/web/api/history?conversation_id={self.conversation}"
        )
        assert status == 200, body
        return [m["text"] for m in body["messages"]]


def test_web_citizen_is_helped_by_staff_then_by_the_bot_again(
    stack: Stack, gateway: Process
) -> None:
    known = {h.sender for h in staff(gateway, lambda s: s.list_open())}
    citizen = WebCitizen(gateway)
    assert citizen.say(f"查一下{PLATE}的违章")["status"] == "answered"
    handed = citizen.say("转人工")
    assert handed["status"] == "handed_off", handed
    assert HANDOFF_WORDS in handed["replies"][0]["text"]

    item = handoff_of(gateway, "web", known)
    assert item.reason == "requested" and item.can_reply
    assert item.waiting_s is not None and not item.overdue
    detail = staff(gateway, lambda s: s.show(item.sender))
    shown = repr(detail)
    assert PLATE not in shown and "粤B***45" in shown
    assert detail.slots.get("plate_number") == "粤B***45"
    assert detail.paused
    assert [line.role for line in detail.transcript][:2] == ["user", "bot"]

    sent = staff(
        gateway, lambda s: s.reply(item.sender, "您好，我是人工客服李四。", "李四")
    )
    assert sent.recorded and sent.channel == "web"
    assert citizen.history()[-1] == "【人工客服】您好，我是人工客服李四。"

    # While with staff the bot keeps quiet: Rasa stores the message, answers nothing.
    bots_before = len(bot_events(stack.rasa.url, item.sender))
    waiting = citizen.say("你好")
    assert waiting["status"] == "handed_off"
    assert [r["text"] for r in waiting["replies"]] in ([gateway_texts.HANDED_OFF], [])
    assert len(bot_events(stack.rasa.url, item.sender)) == bots_before

    released = staff(gateway, lambda s: s.release(item.sender, "李四"))
    assert released.citizen_notified
    assert citizen.history()[-1] == texts.RELEASED
    assert item.sender not in {
        h.sender for h in staff(gateway, lambda s: s.list_open())
    }
    again = citizen.say("你好")
    assert again["status"] == "answered", again
    assert "政务服务智能助手" in again["replies"][0]["text"]


def test_telegram_citizen_gets_the_staff_reply_in_the_chat(
    gateway: Process, telegram_api: TelegramApiStandIn
) -> None:
    known = {h.sender for h in staff(gateway, lambda s: s.list_open())}
    update_ids = iter(range(int(time.time()), int(time.time()) + 100))

    def say(text: str) -> None:
        status, body = http(
            "POST",
            gateway.url + "/telegram/webhook",
            message_update(next(update_ids), text),
            {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
        assert status == 200, body

    def sent() -> list[str]:
        return telegram_api.sent_texts()

    say("转人工")
    wait_for(lambda: any(HANDOFF_WORDS in t for t in sent()))
    item = handoff_of(gateway, "telegram", known)
    assert item.can_reply

    staff(
        gateway, lambda s: s.reply(item.sender, "您好，请问需要办理什么业务？", "王五")
    )
    last = telegram_api.called("sendMessage")[-1]
    assert last["text"] == "【人工客服】您好，请问需要办理什么业务？"
    assert int(last["chat_id"]) == CHAT_ID

    count = len(sent())
    say("我想问驾照的事")
    wait_for(lambda: len(sent()) == count + 1)
    assert sent()[-1] == gateway_texts.HANDED_OFF  # the notice, not the bot

    staff(gateway, lambda s: s.release(item.sender, "王五"))
    assert sent()[-1] == texts.RELEASED
    count = len(sent())
    say("你好")
    wait_for(lambda: len(sent()) > count)
    assert "政务服务智能助手" in sent()[count]
