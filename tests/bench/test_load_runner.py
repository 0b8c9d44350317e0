"""Conversations driven through the REST target against a loopback stand-in for Rasa.

The stand-in is a real aiohttp server speaking Rasa's REST channel protocol
(a fake at the third-party seam); the generator's own code runs unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.load.checks import FailureKind, check_transcript
from bench.load.runner import Browser, Phase, ThinkTime, converse, run_phase
from bench.load.script import Effect, Errand, Grab, GrabButton, GrabLink, Script, Turn
from bench.load.stats import phase_stats
from bench.load.targets import RestTarget
from bench.load.transcript import Outcome

PAY = Script(
    Errand.VIOLATIONS,
    "test",
    (
        Turn("查违章 粤B70001", ("后6位",)),
        Turn("250001", ("未缴款", "1条"), capture=(GrabButton("pay", "pay_fine"),)),
        Turn("{pay}", ("确认缴纳",), capture=(Grab("decision", r"决定书(\d{16})"),)),
        Turn(
            "确认",
            ("缴款订单已生成",),
            capture=(Grab("order_id", r"(ZF\d{16})"), GrabLink("pay_url")),
            effect=Effect.PAYMENT,
            opens="pay_url",
        ),
    ),
    {"plate": "粤B70001"},
)


def pay_bot(origin: str) -> dict[str, list[dict[str, Any]]]:
    """What the stand-in answers to each message of PAY."""
    payload = '/pay_fine{"decision_number": "4403052690000001"}'
    return {
        "查违章 粤B70001": [{"text": "请再提供发动机号或车架号（VIN）的后6位。"}],
        "250001": [
            {"text": "粤B70001共有1条未缴款的交通违法记录：…决定书4403052690000001"},
            {
                "text": "需要现在缴纳罚款吗？",
                "buttons": [{"title": "缴纳200元", "payload": payload}],
            },
        ],
        payload: [
            {"text": "即将为处罚决定书4403052690000001生成缴款订单，确认缴纳吗？"}
        ],
        "确认": [
            {"text": "缴款订单已生成：订单号ZF2026112323744799，金额200元。"},
            {"custom": {"links": [{"title": "去支付", "url": f"{origin}/pay/ZF1"}]}},
        ],
    }


Handler = Callable[[web.Request], Awaitable[web.Response]]


async def serve(aiohttp_server: Any, webhook: Handler, paid: list[str]) -> TestServer:
    async def pay_page(request: web.Request) -> web.Response:
        paid.append(request.match_info["order"])
        return web.Response(text="支付成功")

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_post("/pay/{order}", pay_page)
    return await aiohttp_server(app)


def scripted(mangle: str = "") -> Handler:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        answers = pay_bot(str(request.url.origin()))
        replies = list(answers.get(body["message"], []))
        if mangle == "drop" and body["message"] == "确认":
            replies = []
        if mangle == "double":
            replies = replies + replies[:1]
        if mangle == "fail" and body["message"] == "250001":
            return web.json_response({"error": "boom"}, status=500)
        return web.json_response(
            [{"recipient_id": body["sender"], **reply} for reply in replies]
        )

    return webhook


async def run_pay(aiohttp_server: Any, mangle: str = ""):
    paid: list[str] = []
    server = await serve(aiohttp_server, scripted(mangle), paid)
    target, browser = RestTarget(str(server.make_url("")).rstrip("/")), Browser()
    try:
        talk = await converse(target, PAY, "s1", ThinkTime(), random.Random(1), browser)
    finally:
        await target.close()
        await browser.close()
    return talk, paid


async def test_a_full_conversation_captures_values_and_opens_the_pay_page(
    aiohttp_server: Any,
) -> None:
    talk, paid = await run_pay(aiohttp_server)
    assert check_transcript(talk) == []
    assert talk.turns[2].sent == '/pay_fine{"decision_number": "4403052690000001"}'
    assert talk.context["decision"] == "4403052690000001"
    assert talk.context["order_id"] == "ZF2026112323744799"
    assert talk.context["pay_url_status"] == "200" and paid == ["ZF1"]
    assert talk.effect_outcome(Effect.PAYMENT) is Outcome.CONFIRMED


async def test_a_dropped_answer_is_lost_and_the_citizen_stops(
    aiohttp_server: Any,
) -> None:
    talk, paid = await run_pay(aiohttp_server, "drop")
    assert [f.kind for f in check_transcript(talk)] == [FailureKind.LOST]
    assert paid == []
    assert talk.effect_outcome(Effect.PAYMENT) is Outcome.UNKNOWN


async def test_a_doubled_message_is_a_duplicate(aiohttp_server: Any) -> None:
    talk, _ = await run_pay(aiohttp_server, "double")
    assert FailureKind.DUPLICATED in [f.kind for f in check_transcript(talk)]


async def test_a_server_error_ends_the_conversation_as_an_error(
    aiohttp_server: Any,
) -> None:
    talk, _ = await run_pay(aiohttp_server, "fail")
    assert len(talk.turns) == 2
    assert [f.kind for f in check_transcript(talk)] == [FailureKind.ERROR]
    assert "HTTP 500" in (talk.turns[1].error or "")
    assert talk.effect_outcome(Effect.PAYMENT) is Outcome.NOT_ASKED


class EchoSource:
    """Two-turn conversations to an echoing stand-in."""

    def __init__(self) -> None:
        self.learned = 0

    def next_script(self, rng: random.Random) -> Script:
        word = f"词{rng.randrange(1000)}"
        turns = (Turn(word, (f"回声：{word}",)), Turn(word + "!", (f"回声：{word}!",)))
        return Script(Errand.FAQ, "echo", turns)

    def learn(self, script: Script, context: dict[str, str], completed: bool) -> None:
        self.learned += completed


async def echo(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response([{"text": f"回声：{body['message']}"}])


async def test_a_phase_runs_the_given_number_of_conversations_concurrently(
    aiohttp_server: Any,
) -> None:
    server = await serve(aiohttp_server, echo, [])
    target = RestTarget(str(server.make_url("")).rstrip("/"))
    source = EchoSource()
    try:
        result = await run_phase(target, source, Phase("t", 3, conversations=7), seed=1)
    finally:
        await target.close()
    assert len(result.transcripts) == 7 and source.learned == 7
    assert len({t.sender for t in result.transcripts}) == 7
    assert all(check_transcript(t) == [] for t in result.transcripts)
    stats = phase_stats(result)
    assert (stats.messages, stats.answered, stats.errors) == (14, 14, 0)
    assert stats.p50_ms <= stats.p95_ms <= stats.p99_ms


def test_a_phase_needs_exactly_one_bound() -> None:
    for bounds in ({}, {"duration_s": 1.0, "conversations": 2}):
        try:
            Phase("x", 1, **bounds)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bounds}")
