"""The relay pipeline in the real gateway app, with the memory and Redis stores.

Rasa is the loopback stand-in; everything of ours is real (``create_app``,
stores, middlewares, RasaClient).
"""

import asyncio
import itertools
import json

import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from channels import keys, texts
from channels.messages import InboundMessage, Outcome, RelayResult
from channels.relay import Relay
from channels.replies import BotReply
from tests.channels.gateway import rasa_standin
from tests.channels.gateway.conftest import GatewayFactory
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import free_port

_ids = itertools.count(1)
PHONE = "13800138000"


def message(
    text: str | None = None,
    *,
    payload: str | None = None,
    user: str = "user-1",
    message_id: str | None = None,
    channel: str = "web",
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        user_id=user,
        text=text,
        payload=payload,
        message_id=message_id or f"m{next(_ids)}",
    )


def relay_of(client: TestClient) -> Relay:
    return client.app[keys.RELAY]


def reply_texts(result: RelayResult) -> list[str]:
    return [reply.text for reply in result.replies]


async def test_answer_from_rasa_with_pseudonymous_sender(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    result = await relay.handle(message("你好", user=PHONE, channel="sms"))
    assert result.outcome is Outcome.ANSWERED
    assert reply_texts(result) == ["您说的是：你好"]
    sender = rasa.turns[0]["sender"]
    assert sender.startswith("sms:") and PHONE not in sender
    assert sender == relay.sender("sms", PHONE)
    assert relay.sender("web", PHONE) != sender
    assert rasa.turns[0]["metadata"] == {"channel": "sms"}


async def test_redelivery_gets_the_first_answer_without_a_second_turn(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    first = await relay.handle(message("预约驾考", message_id="wx-1"))
    again = await relay.handle(message("预约驾考", message_id="wx-1"))
    assert len(rasa.turns) == 1
    assert again.duplicate and not first.duplicate
    assert again.replies == first.replies and again.outcome is Outcome.ANSWERED
    # Same id from another user or channel is another delivery.
    await relay.handle(message("预约驾考", message_id="wx-1", user="user-2"))
    await relay.handle(message("预约驾考", message_id="wx-1", channel="wechat"))
    assert len(rasa.turns) == 3


async def test_concurrent_redeliveries_make_one_turn(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    rasa.delay_s = 0.3
    relay = relay_of(await make_gateway())
    results = await asyncio.gather(
        *(relay.handle(message("你好", message_id="tg-77")) for _ in range(5))
    )
    assert len(rasa.turns) == 1
    assert sum(not r.duplicate for r in results) == 1
    assert all(reply_texts(r) == ["您说的是：你好"] for r in results)


@pytest.mark.redis
async def test_two_replicas_sharing_redis_make_one_turn(
    aiohttp_client, rasa: RasaStandIn, redis_url: str
) -> None:
    from channels.app import create_app
    from tests.channels.gateway.conftest import gateway_settings

    settings = gateway_settings(rasa, REDIS_URL=redis_url, REDIS_PREFIX="replicas:")
    replicas = [await aiohttp_client(create_app(settings)) for _ in range(2)]
    rasa.delay_s = 0.2
    same = message("你好", message_id="update-9")
    results = await asyncio.gather(
        *(relay_of(replica).handle(same) for replica in replicas * 3)
    )
    assert len(rasa.turns) == 1
    assert all(reply_texts(r) == ["您说的是：你好"] for r in results)


async def test_rasa_down_gives_the_fallback_text_and_an_operator_error(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    rasa.status = 500
    with capture_logs() as logs:
        result = await relay.handle(message(f"我的手机号{PHONE}"))
    assert result.outcome is Outcome.FAILED
    assert reply_texts(result) == [texts.UNAVAILABLE]
    assert "12345" in texts.UNAVAILABLE
    failure = [e for e in logs if e["event"] == "relay.rasa.failed"]
    assert failure and failure[0]["log_level"] == "error"
    assert "exc_info" not in failure[0]
    assert PHONE not in json.dumps(logs, ensure_ascii=False, default=str)


async def test_unreachable_rasa_and_empty_answers_are_failures(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    rasa.empty = True
    assert (await relay.handle(message("你好"))).outcome is Outcome.FAILED
    down = relay_of(await make_gateway(RASA_URL=f"http://127.0.0.1:{free_port()}"))
    result = await down.handle(message("你好"))
    assert result.outcome is Outcome.FAILED
    assert reply_texts(result) == [texts.UNAVAILABLE]


async def test_slow_rasa_is_cut_off_by_the_timeout(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway(GATEWAY_RASA_TIMEOUT_S="0.3"))
    rasa.delay_s = 3
    started = asyncio.get_running_loop().time()
    result = await relay.handle(message("你好"))
    assert asyncio.get_running_loop().time() - started < 2
    assert result.outcome is Outcome.FAILED


async def test_handoff_notice_once_then_silence_then_normal_again(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    handoff = await relay.handle(message("转人工"))
    assert reply_texts(handoff) == [rasa_standin.HANDOFF]
    assert handoff.outcome is Outcome.HANDED_OFF  # known at once, not a turn late
    first = await relay.handle(message("我的问题是这样的"))
    second = await relay.handle(message("还有一个问题"))
    assert first.outcome is second.outcome is Outcome.HANDED_OFF
    assert reply_texts(first) == [texts.HANDED_OFF]
    assert second.replies == ()
    # Rasa still got (and stored for staff) every message.
    assert rasa.texts_received()[-2:] == ["我的问题是这样的", "还有一个问题"]
    # Staff release the conversation; a later pause gets a notice again.
    rasa.paused.clear()
    assert (await relay.handle(message("谢谢"))).outcome is Outcome.ANSWERED
    await relay.handle(message("转人工"))
    again = await relay.handle(message("在吗"))
    assert reply_texts(again) == [texts.HANDED_OFF]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/start", "/greet"),
        ("/start@govbot_bot", "/greet"),
        ("/start deeplink-42", "/greet"),
        ("/restart", "／restart"),
        (
            '/cancel_exam_booking{"booking_code":"KS26120503"}',
            '／cancel_exam_booking{"booking_code":"KS26120503"}',
        ),
        ("  /::)/::~", "／::)/::~"),
        ("查询 /违章", "查询 /违章"),
    ],
)
async def test_slash_guard(
    make_gateway: GatewayFactory, rasa: RasaStandIn, typed: str, sent: str
) -> None:
    relay = relay_of(await make_gateway())
    await relay.handle(message(typed))
    assert rasa.texts_received() == [sent]


async def test_start_is_shown_as_typed_in_history(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    result = await relay.handle(message("/start"))
    assert reply_texts(result) == [rasa_standin.GREETING]
    assert rasa.turns[0]["metadata"]["display_text"] == "/start"


async def test_empty_or_control_only_text_is_refused_without_a_turn(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    for text in (None, "", "   ", "\x00\x07\u202e", "\ud800"):
        result = await relay.handle(message(text))
        assert result.outcome is Outcome.REFUSED
        assert reply_texts(result) == [texts.EMPTY_MESSAGE]
    assert rasa.turns == []


async def test_long_text_is_cut_and_cleaned(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    await relay.handle(message("违\x00章" + "啊" * 60_000))
    sent = rasa.texts_received()[0]
    assert sent.startswith("违章") and len(sent) == 1000


async def test_offered_payload_is_forwarded_with_its_title(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    await relay.handle(message("预约驾考"))
    payload = rasa_standin.EXAM_CHOICES[1]["payload"]
    result = await relay.handle(message("科目二", payload=payload))
    assert rasa.texts_received()[-1] == payload
    assert rasa.turns[-1]["metadata"]["display_text"] == "科目二"
    assert reply_texts(result)[0] == "好的，您选择了科目二。请问想约哪一天？"
    # The answer offered no choices: the old buttons are withdrawn.
    stale = await relay.handle(message(None, payload=payload))
    assert stale.outcome is Outcome.REFUSED
    assert reply_texts(stale) == [texts.CHOICE_EXPIRED]
    assert len(rasa.turns) == 2


async def test_forged_payload_goes_as_text_or_is_refused(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    await relay.handle(message("预约驾考"))
    forged = '/cancel_exam_booking{"booking_code":"KS26120503"}'
    refused = await relay.handle(message(None, payload=forged))
    assert refused.outcome is Outcome.REFUSED
    await relay.handle(message("取消预约", payload=forged))
    assert rasa.texts_received() == ["预约驾考", "取消预约"]
    # Another conversation's offer does not count either.
    await relay.handle(message("预约驾考", user="user-2"))
    other = rasa_standin.EXAM_CHOICES[0]["payload"]
    assert (
        await relay.handle(message(None, payload=other, user="user-3"))
    ).outcome is Outcome.REFUSED


@pytest.mark.parametrize("answer", ["1", "１", "第一个", "科目一"])
async def test_numbered_or_titled_answer_selects_the_offered_choice(
    make_gateway: GatewayFactory, rasa: RasaStandIn, answer: str
) -> None:
    relay = relay_of(await make_gateway())
    await relay.handle(message("预约驾考", channel="sms", user=PHONE))
    await relay.handle(message(answer, channel="sms", user=PHONE))
    assert rasa.texts_received()[-1] == rasa_standin.EXAM_CHOICES[0]["payload"]
    assert rasa.turns[-1]["metadata"]["display_text"] == answer


async def test_rate_limit_answers_once_per_window(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway(GATEWAY_RATE_LIMIT_PER_MINUTE="3"))
    results = [await relay.handle(message(f"问题{i}")) for i in range(6)]
    assert [r.outcome for r in results] == [Outcome.ANSWERED] * 3 + [
        Outcome.RATE_LIMITED
    ] * 3
    assert reply_texts(results[3]) == [texts.RATE_LIMITED]
    assert results[4].replies == results[5].replies == ()
    assert len(rasa.turns) == 3
    # Another sender is not affected; redeliveries do not count.
    assert (
        await relay.handle(message("你好", user="user-2"))
    ).outcome is Outcome.ANSWERED


async def test_opt_out_flag_and_channel_hook(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    seen: list[bool] = []

    async def sms_hook(msg: InboundMessage, opted_out: bool) -> RelayResult | None:
        seen.append(opted_out)
        if msg.text == "TD":
            await relay.set_opted_out(msg.channel, msg.user_id, True)
            return RelayResult(Outcome.CHANNEL, (BotReply(text="退订成功"),))
        return None

    relay.register_opt_out_hook("sms", sms_hook)
    stop = await relay.handle(message("TD", channel="sms", user=PHONE))
    assert stop.outcome is Outcome.CHANNEL and rasa.turns == []
    assert await relay.is_opted_out("sms", PHONE)
    later = await relay.handle(message("查违章", channel="sms", user=PHONE))
    assert later.outcome is Outcome.ANSWERED and later.opted_out
    assert seen == [False, True]
    await relay.set_opted_out("sms", PHONE, False)
    assert not (
        await relay.handle(message("查违章", channel="sms", user=PHONE))
    ).opted_out
    # No hook on the web channel: flags are still reported.
    await relay.set_opted_out("web", "user-9", True)
    assert (await relay.handle(message("你好", user="user-9"))).opted_out


async def test_redis_down_is_retryable_and_never_reaches_rasa(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    client = await make_gateway(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    result = await relay_of(client).handle(message("预约科目一"))
    assert result.outcome is Outcome.STORE_UNAVAILABLE and result.retryable
    assert reply_texts(result) == [texts.UNAVAILABLE]
    assert rasa.turns == []


async def test_logs_never_carry_the_citizen_text_or_user_id(
    make_gateway: GatewayFactory, rasa: RasaStandIn
) -> None:
    relay = relay_of(await make_gateway())
    with capture_logs() as logs:
        await relay.handle(
            message(f"/我的身份证440305199001011213 {PHONE}", user=PHONE)
        )
        await relay.handle(message(None, payload="/forged", user=PHONE))
    dumped = json.dumps(logs, ensure_ascii=False, default=str)
    assert PHONE not in dumped and "440305199001011213" not in dumped
    assert any(e["event"] == "relay.text.slash_neutralised" for e in logs)
