"""The Telegram load target against a loopback Bot API and a scripted webhook.

The webhook stand-in plays the gateway's part at the seam the target sees
(acknowledge at once, answer later through ``sendMessage``), with timings the
real gateway does not give on demand: parts of one answer close together, a
part that comes far too late, no answer at all. The Bot API is the target's
own stand-in, served on loopback.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.load import telegram
from bench.load.checks import FailureKind, check_transcript
from bench.load.replies import readable
from bench.load.runner import ThinkTime, converse, watch_for_late
from bench.load.script import Errand, GrabButton, Script, Turn
from bench.load.telegram import ChatInboxes, TelegramTarget, serve_bot_api
from tests.e2e.stack import free_port

SECRET = "load-test-secret"
PAY = '/pay_fine{"decision_number": "4403052690000001"}'


class Gateway:
    """Acknowledges each update, then answers through the Bot API per ``plan``.

    ``plan`` maps what the citizen sent (text, or button data) to the
    messages to send: ``(delay_s, text, reply_markup or None)``.
    """

    def __init__(self, bot_api: str, plan: dict[str, list[tuple[float, str, Any]]]):
        self.bot_api = bot_api
        self.plan = plan
        self.updates: list[dict[str, Any]] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/telegram/webhook", self.webhook)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        if request.headers.get(telegram.SECRET_HEADER) != SECRET:
            return web.Response(status=401)
        update = await request.json()
        self.updates.append(update)
        if "callback_query" in update:
            query = update["callback_query"]
            said, chat = query["data"], query["message"]["chat"]["id"]
        else:
            said, chat = update["message"]["text"], update["message"]["chat"]["id"]
        task = asyncio.create_task(self.answer(chat, self.plan.get(said, [])))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.json_response({})

    async def answer(self, chat: int, messages: list[tuple[float, str, Any]]) -> None:
        async with aiohttp.ClientSession() as session:
            for delay, text, markup in messages:
                await asyncio.sleep(delay)
                fields = {"chat_id": str(chat), "text": text}
                if markup is not None:
                    fields["reply_markup"] = json.dumps(markup, ensure_ascii=False)
                url = f"{self.bot_api}/bot{telegram.TOKEN}/sendMessage"
                async with session.post(url, data=fields) as response:
                    assert response.status == 200


@pytest.fixture
async def bot_api() -> AsyncIterator[ChatInboxes]:
    async with serve_bot_api(free_port()) as api:
        yield api


async def _target(
    aiohttp_server: Any, api: ChatInboxes, plan: dict[str, list[tuple[float, str, Any]]]
) -> tuple[TelegramTarget, Gateway]:
    gateway = Gateway(api.url, plan)
    server: TestServer = await aiohttp_server(gateway.app())
    base = str(server.make_url("")).rstrip("/")
    return TelegramTarget(base, SECRET, api, timeout_s=5), gateway


def _expects(*markers: str) -> Any:
    return lambda replies: all(m in readable(replies) for m in markers)


async def test_a_turn_collects_every_part_and_times_the_last(
    aiohttp_server: Any, bot_api: ChatInboxes
) -> None:
    plan = {
        "查违章": [
            (0.0, "请提供发动机号后6位。", None),
            (0.005, "也可以发车架号。", None),
        ]
    }
    target, _ = await _target(aiohttp_server, bot_api, plan)
    try:
        sent = time.perf_counter()
        replies = await target.send("citizen-1", "查违章", _expects("后6位"))
        returned = time.perf_counter()
        assert [r.text for r in replies] == [
            "请提供发动机号后6位。",
            "也可以发车架号。",
        ]
        last = target.last_arrival("citizen-1")
        assert last is not None and sent < last < returned
        # The settle wait is not part of the turn's latency.
        assert returned - last >= telegram.SETTLE_S * 0.9
        assert await target.drain("citizen-1") == []
        assert target.strays == 0
    finally:
        await target.close()


async def test_buttons_are_pressed_as_callback_queries(
    aiohttp_server: Any, bot_api: ChatInboxes
) -> None:
    keyboard = {
        "inline_keyboard": [
            [{"text": "缴纳200元", "callback_data": PAY}],
            [{"text": "去支付", "url": "https://pay.example/ZF1"}],
        ]
    }
    plan = {
        # The buttons come in a second message, after the settle time.
        "250001": [
            (0.0, "1条未缴款的交通违法记录。", None),
            (0.1, "需要缴纳吗？", keyboard),
        ],
        PAY: [(0.0, "确认缴纳处罚决定书4403052690000001吗？", None)],
    }
    target, gateway = await _target(aiohttp_server, bot_api, plan)
    script = Script(
        Errand.VIOLATIONS,
        "test",
        (
            Turn("250001", ("未缴款",), capture=(GrabButton("pay", "pay_fine"),)),
            Turn("{pay}", ("确认缴纳",)),
        ),
    )
    try:
        transcript = await converse(
            target, script, "citizen-2", ThinkTime(), random.Random(1)
        )
        assert check_transcript(transcript) == []
        assert target.strays == 0  # the turn waited for its button
        first = transcript.turns[0].replies[-1]
        assert first.links() == ["https://pay.example/ZF1"]
        pressed = gateway.updates[1]["callback_query"]
        assert pressed["data"] == PAY
        assert pressed["message"]["reply_markup"] == keyboard
        assert "message" not in gateway.updates[1]
    finally:
        await target.close()


async def test_a_slow_last_part_joins_its_turn(
    aiohttp_server: Any, bot_api: ChatInboxes
) -> None:
    plan = {
        "你好": [
            (0.0, "您好，请问办理什么业务？", None),
            (0.2, "（慢了一步的一条）", None),
        ],
        "谢谢": [(0.0, "不客气。", None)],
    }
    target, _ = await _target(aiohttp_server, bot_api, plan)
    script = Script(
        Errand.FAQ, "test", (Turn("你好", ("业务",)), Turn("谢谢", ("不客气",)))
    )
    try:
        transcript = await converse(
            target, script, "citizen-3", ThinkTime(0.4, 0.4), random.Random(1)
        )
        first, second = transcript.turns
        assert [r.text for r in first.replies] == [
            "您好，请问办理什么业务？",
            "（慢了一步的一条）",
        ]
        assert first.latency_ms >= 150  # timed to the slow part
        assert [r.text for r in second.replies] == ["不客气。"]
        assert target.strays == 1
        await watch_for_late(target, transcript, tail_s=0.05, late_s=0.05)
        assert check_transcript(transcript) == []
    finally:
        await target.close()


async def test_a_reply_long_after_the_conversation_is_late(
    aiohttp_server: Any, bot_api: ChatInboxes
) -> None:
    plan = {
        "你好": [(0.0, "您好，请问办理什么业务？", None), (0.4, "（迟到的一条）", None)]
    }
    target, _ = await _target(aiohttp_server, bot_api, plan)
    script = Script(Errand.FAQ, "test", (Turn("你好", ("业务",)),))
    try:
        transcript = await converse(
            target, script, "citizen-4", ThinkTime(), random.Random(1)
        )
        assert transcript.late == []  # not drained yet: watched in the background
        await watch_for_late(target, transcript, tail_s=0.1, late_s=0.6)
        assert [r.text for r in transcript.late] == ["（迟到的一条）"]
        kinds = [f.kind for f in check_transcript(transcript)]
        assert kinds == [FailureKind.LATE]
    finally:
        await target.close()


async def test_a_wrong_answer_is_returned_after_a_quiet_spell(
    aiohttp_server: Any, bot_api: ChatInboxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegram, "QUIET_S", 0.2)
    plan = {"预约": [(0.0, "抱歉，我没听懂。", None)]}
    target, _ = await _target(aiohttp_server, bot_api, plan)
    script = Script(Errand.BOOKING, "test", (Turn("预约", ("哪个科目",)),))
    try:
        transcript = await converse(
            target, script, "citizen-5", ThinkTime(), random.Random(1)
        )
        kinds = [f.kind for f in check_transcript(transcript)]
        assert kinds == [FailureKind.UNEXPECTED]
    finally:
        await target.close()


async def test_no_answer_at_all_is_a_timeout_error(
    aiohttp_server: Any, bot_api: ChatInboxes
) -> None:
    target, _ = await _target(aiohttp_server, bot_api, {})
    target.timeout_s = 0.3
    script = Script(Errand.FAQ, "test", (Turn("在吗", ("您好",)),))
    try:
        transcript = await converse(
            target, script, "citizen-6", ThinkTime(), random.Random(1)
        )
        failures = check_transcript(transcript)
        assert [f.kind for f in failures] == [FailureKind.ERROR]
        assert "TimeoutError" in failures[0].detail
    finally:
        await target.close()


async def test_a_refused_update_is_a_target_error(
    aiohttp_server: Any, bot_api: ChatInboxes
) -> None:
    target, _ = await _target(aiohttp_server, bot_api, {})
    target.secret = "wrong"
    try:
        with pytest.raises(telegram.TargetError, match="HTTP 401"):
            await target.send("citizen-7", "你好")
    finally:
        await target.close()
