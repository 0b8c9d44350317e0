"""The inbox's internal API and the web page's poll, through the real gateway.

Citizens write on the web chat, Telegram, WeChat, SMS (Aliyun uplink) and the
voice relay; Rasa and the providers are loopback stand-ins that record what
they received.
"""

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from structlog.testing import capture_logs

from channels import texts as gateway_texts
from channels.inbox import texts
from channels.inbox.routes import INBOX
from tests.channels.gateway.rasa_standin import GREETING, HANDOFF
from tests.channels.inbox.conftest import (
    ALIYUN_PATH_SECRET,
    TELEGRAM_SECRET,
    VOICE_SECRET,
    WECHAT_TOKEN,
    Gateway,
    GatewayFactory,
)
from tests.channels.routes.conftest import until
from tests.channels.routes.telegram_api_standin import CHAT_ID, message_update

ID_NUMBER = "440305199001011234"
OPENID = "oInbox_openid_test"
PHONE = "13900139000"


# --- citizens on their channels ------------------------------------------------


async def web_say(gw: Gateway, conversation: str, text: str) -> dict[str, Any]:
    response = await gw.client.post(
        "/web/api/messages",
        json={
            "conversation_id": conversation,
            "message_id": str(uuid.uuid4()),
            "text": text,
        },
    )
    assert response.status == 200
    return dict(await response.json())


async def telegram_say(gw: Gateway, update_id: int, text: str) -> None:
    response = await gw.client.post(
        "/telegram/webhook",
        json=message_update(update_id, text),
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert response.status == 200


def _wechat_query() -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signature = hashlib.sha1(
        "".join(sorted([WECHAT_TOKEN, timestamp, nonce])).encode()
    ).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


async def wechat_say(gw: Gateway, text: str) -> None:
    body = (
        f"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>"
    )
    response = await gw.client.post("/wechat", params=_wechat_query(), data=body)
    assert response.status == 200


async def sms_say(gw: Gateway, text: str) -> None:
    body = json.dumps(
        [
            {
                "phone_number": PHONE,
                "content": text,
                "send_time": "2026-11-22 10:00:00",
                "dest_code": "1234",
                "sequence_id": uuid.uuid4().int % 10**9,
            }
        ],
        ensure_ascii=False,
    ).encode()
    response = await gw.client.post(
        f"/sms/aliyun/{ALIYUN_PATH_SECRET}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200


async def voice_say(gw: Gateway, call_id: str, turn_no: int, text: str) -> Any:
    body = json.dumps({"call_id": call_id, "turn_no": turn_no, "text": text}).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(
        VOICE_SECRET.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256
    ).hexdigest()
    response = await gw.client.post(
        "/voice/turn",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Timestamp": timestamp,
            "X-Signature": signature,
        },
    )
    assert response.status == 200
    return await response.json()


async def open_handoffs(gw: Gateway) -> list[dict[str, Any]]:
    status, body = await gw.api("GET", "/internal/handoffs")
    assert status == 200, body
    return list(body["handoffs"])


async def only_handoff(gw: Gateway, channel: str) -> dict[str, Any]:
    await until(lambda: any(s.startswith(channel) for s in gw.rasa.paused))
    for _ in range(100):
        handoffs = [h for h in await open_handoffs(gw) if h["channel"] == channel]
        if handoffs:
            assert len(handoffs) == 1
            return handoffs[0]
        await until(lambda: True)
    raise AssertionError(f"no {channel} handoff recorded")


# --- web chat: the whole loop ---------------------------------------------------


async def test_web_handoff_reply_and_release(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    conversation = str(uuid.uuid4())
    await web_say(gw, conversation, f"我的身份证是{ID_NUMBER}")
    handed = await web_say(gw, conversation, "转人工")
    assert handed["status"] == "handed_off"
    assert [r["text"] for r in handed["replies"]] == [HANDOFF]

    summary = await only_handoff(gw, "web")
    sender = summary["sender"]
    assert sender.startswith("web:") and conversation not in json.dumps(summary)
    assert summary["reason"] == "requested" and summary["can_reply"] is True
    assert summary["waiting_s"] is not None and summary["waiting_s"] < 5

    # The page starts polling: first the cursor, then nothing new yet.
    poll = await (
        await gw.client.get("/web/api/staff", params={"conversation_id": conversation})
    ).json()
    assert poll["with_staff"] is True and poll["messages"] == []
    cursor = poll["cursor"]

    # The citizen writes while waiting: stored by Rasa, no bot answer.
    waiting = await web_say(gw, conversation, "请快点")
    assert waiting["status"] == "handed_off"
    assert [r["text"] for r in waiting["replies"]] == [gateway_texts.HANDED_OFF]

    gw.rasa.slots[sender] = {"id_number": ID_NUMBER, "exam_subject": "科目一"}
    status, detail = await gw.api("GET", f"/internal/handoffs/{sender}")
    assert status == 200 and detail["paused"] is True
    assert ID_NUMBER not in json.dumps(detail, ensure_ascii=False)
    assert detail["slots"] == {
        "exam_subject": "科目一",
        "id_number": "4403**********1234",
    }
    assert [(e["role"], e["text"]) for e in detail["transcript"]] == [
        ("user", "我的身份证是4403**********1234"),
        ("bot", "您说的是：我的身份证是4403**********1234"),
        ("user", "转人工"),
        ("bot", HANDOFF),
        ("user", "请快点"),
    ]

    status, sent = await gw.api(
        "POST",
        f"/internal/handoffs/{sender}/reply",
        {"text": f"您好，已查到身份证{ID_NUMBER}的预约。", "staff": "李四"},
    )
    assert status == 200, sent
    assert sent["delivered"] and sent["recorded"] and sent["masked"]
    shown = "【人工客服】您好，已查到身份证4403**********1234的预约。"
    assert sent["text"] == shown
    assert gw.rasa.appended[-1][1][0]["metadata"] == {
        "source": "staff",
        "staff": "李四",
    }

    # The page's poll and the history both show it.
    poll = await (
        await gw.client.get(
            "/web/api/staff",
            params={"conversation_id": conversation, "after": str(cursor)},
        )
    ).json()
    assert [m["text"] for m in poll["messages"]] == [shown]
    history = await (
        await gw.client.get(
            "/web/api/history", params={"conversation_id": conversation}
        )
    ).json()
    assert history["messages"][-1]["text"] == shown
    (listed,) = await open_handoffs(gw)
    assert listed["waiting_s"] is None and listed["last_reply_at"] is not None

    status, released = await gw.api(
        "POST", f"/internal/handoffs/{sender}/release", {"staff": "李四"}
    )
    assert status == 200, released
    assert released["released"] and released["citizen_notified"]
    assert [e["event"] for e in gw.rasa.appended[-1][1]] == ["resume", "bot", "action"]
    assert sender not in gw.rasa.paused
    assert await open_handoffs(gw) == []
    poll = await (
        await gw.client.get(
            "/web/api/staff",
            params={"conversation_id": conversation, "after": str(poll["cursor"])},
        )
    ).json()
    assert poll["with_staff"] is False
    assert [m["text"] for m in poll["messages"]] == [texts.RELEASED]

    answered = await web_say(gw, conversation, "你好")
    assert answered["status"] == "answered"
    assert [r["text"] for r in answered["replies"]] == ["您说的是：你好"]


async def test_a_conversation_resumed_elsewhere_leaves_the_inbox(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    conversation = str(uuid.uuid4())
    await web_say(gw, conversation, "转人工")
    summary = await only_handoff(gw, "web")
    gw.rasa.paused.discard(summary["sender"])  # e.g. the Rasa session expired
    assert (await web_say(gw, conversation, "你好"))["status"] == "answered"
    assert await open_handoffs(gw) == []


# --- other channels -------------------------------------------------------------


async def test_telegram_reply_reaches_the_chat_and_the_address_is_sealed(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    await telegram_say(gw, 1, "转人工")
    await until(lambda: HANDOFF in gw.telegram.sent_texts())
    summary = await only_handoff(gw, "telegram")
    sender = summary["sender"]
    stored = await gw.client.app[INBOX]._store.get(sender)
    assert stored is not None and stored.address is not None
    assert str(CHAT_ID) not in stored.to_json()

    status, sent = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "您好", "staff": "王五"}
    )
    assert status == 200, sent
    last = gw.telegram.called("sendMessage")[-1]
    assert last["text"] == "【人工客服】您好" and int(last["chat_id"]) == CHAT_ID

    count = len(gw.telegram.sent_texts())
    await telegram_say(gw, 2, "还有一个问题")  # paused: nothing from the bot
    await until(lambda: len(gw.rasa.turns) == 2)
    await until(lambda: len(gw.telegram.sent_texts()) == count + 1)
    assert gw.telegram.sent_texts()[-1] == gateway_texts.HANDED_OFF

    status, released = await gw.api(
        "POST", f"/internal/handoffs/{sender}/release", {"staff": "王五"}
    )
    assert status == 200 and released["citizen_notified"]
    assert gw.telegram.sent_texts()[-1] == texts.RELEASED
    await telegram_say(gw, 3, "/start")
    await until(lambda: gw.telegram.sent_texts()[-1] == GREETING)


async def test_telegram_blocked_and_throttled(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    await telegram_say(gw, 1, "转人工")
    sender = (await only_handoff(gw, "telegram"))["sender"]
    gw.telegram.throttle = 1
    status, body = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "您好", "staff": "王五"}
    )
    assert (status, body["reason"]) == (502, "telegram_flood_wait_1s")
    gw.telegram.blocked.add(CHAT_ID)
    status, body = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "您好", "staff": "王五"}
    )
    assert (status, body["error"]) == (409, "undeliverable")
    assert body["reason"] == "telegram_bot_blocked_by_citizen"
    assert not any(e[1][0].get("event") == "bot" for e in gw.rasa.appended)


async def test_wechat_reply_and_its_48_hour_window(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    await wechat_say(gw, "转人工")
    sender = (await only_handoff(gw, "wechat"))["sender"]
    status, sent = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "您好", "staff": "赵六"}
    )
    assert status == 200, sent
    assert gw.wechat.texts_to(OPENID) == ["【人工客服】您好"]
    gw.wechat.out_of_window.add(OPENID)
    status, body = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "在吗", "staff": "赵六"}
    )
    assert (status, body["reason"]) == (409, "wechat_48h_window_closed")


async def test_sms_reply_goes_through_the_provider_and_respects_opt_out(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    await sms_say(gw, "转人工")
    sender = (await only_handoff(gw, "sms"))["sender"]
    status, sent = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "您好", "staff": "孙七"}
    )
    assert status == 200 and sent["parts"] == 1, sent
    assert gw.aliyun.contents_to(PHONE)[-1] == "【人工客服】您好"
    await sms_say(gw, "TD")  # opt-out, answered by the channel
    await until(lambda: len(gw.aliyun.contents_to(PHONE)) >= 3)
    status, body = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "在吗", "staff": "孙七"}
    )
    assert (status, body["reason"]) == (409, "sms_opted_out")


async def test_voice_calls_cannot_get_replies_but_can_be_released(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    answer = await voice_say(gw, "c-inbox-1", 1, "转人工")
    assert answer["action"] == "transfer"
    summary = await only_handoff(gw, "voice")
    assert summary["can_reply"] is False
    sender = summary["sender"]
    status, body = await gw.api(
        "POST", f"/internal/handoffs/{sender}/reply", {"text": "您好", "staff": "周八"}
    )
    assert (status, body["reason"]) == (409, "voice_call_already_transferred")
    status, released = await gw.api(
        "POST", f"/internal/handoffs/{sender}/release", {"staff": "周八"}
    )
    assert status == 200 and released["citizen_notified"] is False
    assert released["notice_error"] == "voice_call_already_transferred"


# --- refusals and failures ------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic aW5ib3g6dGVzdA=="},
        {"Authorization": "Bearer"},
    ],
)
async def test_internal_api_refuses_without_the_token(
    make_gateway: GatewayFactory, headers: dict[str, str]
) -> None:
    gw = await make_gateway()
    for method, path in [
        ("GET", "/internal/handoffs"),
        ("GET", "/internal/handoffs/web:" + "0" * 32),
        ("POST", "/internal/handoffs/web:" + "0" * 32 + "/release"),
    ]:
        response = await gw.client.request(method, path, headers=headers, json={})
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert await response.json() == {"error": "unauthorized"}


async def test_unknown_senders_and_bad_bodies(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    for sender in ["web:" + "0" * 32, "not-a-sender", "web:..%2F"]:
        status, body = await gw.api("GET", f"/internal/handoffs/{sender}")
        assert (status, body) == (404, {"error": "no_open_handoff"})
        status, body = await gw.api(
            "POST", f"/internal/handoffs/{sender}/reply", {"text": "x", "staff": "y"}
        )
        assert status == 404
    conversation = str(uuid.uuid4())
    await web_say(gw, conversation, "转人工")
    sender = (await only_handoff(gw, "web"))["sender"]
    for body_sent, reason in [
        ({"staff": "李四"}, "text_required"),
        ({"text": "   ", "staff": "李四"}, "text_required"),
        ({"text": "好", "staff": ""}, "staff_required"),
        ({"text": "好" * 1001, "staff": "李四"}, "text_too_long"),
        ([1, 2], "bad_json"),
    ]:
        status, body = await gw.api(
            "POST", f"/internal/handoffs/{sender}/reply", body_sent
        )
        assert (status, body.get("reason")) == (400, reason)
    response = await gw.client.post(
        f"/internal/handoffs/{sender}/reply",
        data="text=x",
        headers={**gw.auth(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400
    bad_poll = await gw.client.get("/web/api/staff", params={"conversation_id": "x"})
    assert bad_poll.status == 400


async def test_rasa_failures_are_502_and_keep_the_handoff(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    conversation = str(uuid.uuid4())
    await web_say(gw, conversation, "转人工")
    sender = (await only_handoff(gw, "web"))["sender"]
    gw.rasa.append_status = 500
    with capture_logs() as logs:
        status, body = await gw.api(
            "POST",
            f"/internal/handoffs/{sender}/reply",
            {"text": "好", "staff": "李四"},
        )
        assert (status, body) == (
            502,
            {"error": "undeliverable", "reason": "rasa_http_500"},
        )
        status, body = await gw.api(
            "POST", f"/internal/handoffs/{sender}/release", {"staff": "李四"}
        )
        assert (status, body["error"]) == (502, "rasa_unavailable")
    assert not any("Traceback" in json.dumps(entry, default=str) for entry in logs)
    assert [h["sender"] for h in await open_handoffs(gw)] == [sender]
    gw.rasa.status = 503
    status, body = await gw.api("GET", f"/internal/handoffs/{sender}")
    assert (status, body["error"]) == (502, "rasa_unavailable")
