"""WeChat official account routes against the WeChat API and Rasa stand-ins."""

import asyncio
import hashlib
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from bot.settings import load_settings
from channels import texts
from channels.app import create_app
from channels.wechat import routes
from channels.wechat.crypto import IllegalAesKey, WeChatCrypto
from channels.wechat.xml_codec import MAX_TEXT_REPLY_BYTES
from tests.channels.gateway.rasa_standin import EXAM_CHOICES, GREETING, GUIDE_URL
from tests.channels.routes.conftest import base_env, settle, until
from tests.channels.routes.rasa_script import LONG_ANSWER, RouteRasa
from tests.channels.routes.wechat_api_standin import (
    APP_ID,
    APP_SECRET,
    WeChatApiStandIn,
)

TOKEN = "pamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oUser_openid_test"
ACCOUNT = "gh_0123456789ab"

# spec/channels-and-privacy.md §1.2-1.3: official key, derived regression vectors.
VECTOR_INBOUND_TEXT = "查违章 粤B12345"
VECTOR_ENCRYPT = (
    "jn1L23DB+6ELqJ+6bruv23I70V28J4i3js2YV7vHpAAz0GeiPD5cZdPfAxIQEqUj7pvJoxtQwVX2N2GLKf5q92vU0"
    "usp88FURCZA8EFNevvL6GJUzMK4MjaKymmrvHWOq6yrTbKNFviMCKxS3sAs867mz42Syb5K/9zq+exRgB/NGTd5O+"
    "EgcqOgkmxqXiT37z6otMMwY7PHkcp5rMTLJGSdBySNORkcCCLYfE/AnFdAsx7f+Q+7W8oS9NpdpFgXVVztr0rcDor"
    "IXG0fxojrWP0XrUKnSB51tllMTXfcC4kGnqq+sBxEM2/TAXgekhG5CdgLhm9Jo8fN70630RGr1QoeKMQQXjYboxX3L"
    "tSj4KZY2MeJWGiDh98p+XXS73a+LI2kr4Voh3jTjLPEl4rTsnVJcEUTR+aqBqD8upVmIao="
)
VECTOR_QUERY = {
    "signature": "b35065fcacdfd8c3fd127a84a74ac7444aabc7b0",
    "timestamp": "1700000000",
    "nonce": "nonce123",
    "encrypt_type": "aes",
    "msg_signature": "7e6e9196c2155a30b5ffcb72d1a989a98a4dd95a",
}
WRONG_APPID_ENCRYPT = "jn1L23DB+6ELqJ+6bruv262+vIpQoIg40P7tSLkKh1+TZMGFRHxJexY8S4sRU1k4M70lJ+nV8bH/9YMgYCTH7Q=="


def sha1_sorted(*parts: str) -> str:
    """WeChat's signature, computed here independently of channels.wechat.crypto."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(
    timestamp: str | None = None, nonce: str | None = None
) -> dict[str, str]:
    """The query of a genuine request made now (fresh nonce, like WeChat)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:10]
    return {
        "signature": sha1_sorted(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": OPENID,
    }


def text_xml(content: str, msg_id: str, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, key: str | None = None, create_time: int = 1700000100) -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
    )


def reply_fields(body: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ET.fromstring(body)}


@dataclass
class WeChat:
    """A gateway with WeChat mounted, and the stand-ins it talks to."""

    client: TestClient
    api: WeChatApiStandIn
    rasa: RouteRasa

    async def post(
        self, body: str | bytes, query: dict[str, str] | None = None
    ) -> ClientResponse:
        return await self.client.post(
            routes.PATH,
            params=query or signed_query(),
            data=body.encode() if isinstance(body, str) else body,
            headers={"Content-Type": "text/xml"},
        )

    def set_clock(self, now: float) -> None:
        self.client.app[routes.STATE].clock = lambda: now


WeChatFactory = Callable[..., Awaitable[WeChat]]


@pytest.fixture
async def api(aiohttp_server) -> WeChatApiStandIn:
    standin = WeChatApiStandIn()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


@pytest.fixture
def make_wechat(
    aiohttp_client, rasa: RouteRasa, api: WeChatApiStandIn, store_env
) -> WeChatFactory:
    async def make(**env: str) -> WeChat:
        settings = load_settings(
            {
                **base_env(rasa),
                **store_env,
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_APP_SECRET": APP_SECRET,
                "WECHAT_API_BASE": api.url,
                **env,
            }
        )
        return WeChat(await aiohttp_client(create_app(settings)), api, rasa)

    return make


# --- server URL verification ---------------------------------------------------------


async def test_url_verification_with_the_official_vector(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat()
    wx.set_clock(1409304348 + 30)
    query = {
        "signature": "76480565cbe296026c53aaacd1ad523a1ddba24f",
        "timestamp": "1409304348",
        "nonce": "xxxxxx",
        "echostr": "6403247895999416811",
    }
    response = await wx.client.get(routes.PATH, params=query)
    assert response.status == 200
    assert await response.read() == b"6403247895999416811"
    forged = {**query, "signature": query["signature"][:-1] + "e"}
    response = await wx.client.get(routes.PATH, params=forged)
    assert response.status == 403
    assert b"6403247895999416811" not in await response.read()


async def test_url_verification_outside_the_time_window(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat()
    stale = signed_query(timestamp=str(int(time.time()) - 600))
    response = await wx.client.get(routes.PATH, params={**stale, "echostr": "123"})
    assert response.status == 403
    response = await wx.client.get(routes.PATH, params={"echostr": "123"})
    assert response.status == 400


# --- plaintext mode ------------------------------------------------------------------


async def test_a_text_message_gets_a_passive_reply(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    response = await wx.post(text_xml("办事大厅在哪", "24000000000000001"))
    assert response.status == 200
    assert response.content_type == "application/xml"
    reply = reply_fields(await response.text())
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == ACCOUNT
    assert reply["MsgType"] == "text"
    assert reply["Content"] == "您说的是：办事大厅在哪"
    assert wx.rasa.turns[0]["sender"].startswith("wechat:")


async def test_choices_are_a_numbered_menu_and_numbers_map_back(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat()
    response = await wx.post(text_xml("预约驾考", "1001"))
    content = reply_fields(await response.text())["Content"]
    assert content.endswith("回复1：科目一\n回复2：科目二")
    response = await wx.post(text_xml("1", "1002"))
    assert wx.rasa.texts_received()[-1] == EXAM_CHOICES[0]["payload"]
    content = reply_fields(await response.text())["Content"]
    assert f'<a href="{GUIDE_URL}">考试须知</a>' in content


async def test_a_redelivered_msgid_makes_one_turn(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    first = await wx.post(text_xml("查违章", "2001"))
    again = await wx.post(text_xml("查违章", "2001"))
    assert reply_fields(await first.text())["Content"] == "您说的是：查违章"
    assert await again.text() == routes.SUCCESS
    assert len(wx.rasa.turns) == 1


async def test_a_slow_turn_is_answered_success_then_sent_by_the_api(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat(WECHAT_PASSIVE_S="0.3")
    wx.rasa.delay_s = 1.0
    started = time.perf_counter()
    response = await wx.post(text_xml("查违章", "3001"))
    assert await response.text() == routes.SUCCESS
    assert time.perf_counter() - started < 0.9  # inside WeChat's 5 s, with margin
    # WeChat's retry (same MsgId, new nonce) while the turn is still running.
    retry = await wx.post(text_xml("查违章", "3001"))
    assert await retry.text() == routes.SUCCESS
    await until(lambda: len(wx.api.sent) == 1)
    await settle(0.5)
    assert wx.api.texts_to(OPENID) == ["您说的是：查违章"]
    assert len(wx.rasa.turns) == 1
    assert wx.api.tokens_issued == 1
    wx.rasa.delay_s = 0.5
    await wx.post(text_xml("再查一次", "3002"))
    await until(lambda: len(wx.api.sent) == 2)
    assert wx.api.tokens_issued == 1  # the token is cached


async def test_an_expired_token_is_refreshed_once(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat(WECHAT_PASSIVE_S="0.1")
    wx.rasa.delay_s = 0.3
    wx.api.expire_next = 1
    await wx.post(text_xml("查违章", "4001"))
    await until(lambda: len(wx.api.sent) == 1)
    assert wx.api.tokens_issued == 2 and wx.api.send_attempts == 2


async def test_out_of_window_is_given_up_without_retries(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat(WECHAT_PASSIVE_S="0.1")
    wx.rasa.delay_s = 0.3
    wx.api.out_of_window.add(OPENID)
    with capture_logs() as logs:
        await wx.post(text_xml("查违章", "4002"))
        await until(lambda: wx.api.send_attempts == 1)
        await settle(0.3)
    assert wx.api.send_attempts == 1 and wx.api.sent == []
    assert any(e["event"] == "channel.wechat.custom.out_of_window" for e in logs)


async def test_a_long_answer_goes_through_the_api_in_parts(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat()
    response = await wx.post(text_xml("长回答", "5001"))
    assert await response.text() == routes.SUCCESS
    await until(lambda: len(wx.api.sent) >= 2)
    await settle(0.2)
    parts = wx.api.texts_to(OPENID)
    assert all(len(p.encode()) <= MAX_TEXT_REPLY_BYTES for p in parts)
    assert "".join(parts) == LONG_ANSWER


async def test_rasa_down_gives_the_fallback_text(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    wx.rasa.status = 500
    response = await wx.post(text_xml("查违章", "6001"))
    assert reply_fields(await response.text())["Content"] == texts.UNAVAILABLE


# --- other message types and events -----------------------------------------------------


async def test_subscribe_greets_and_a_redelivered_event_is_deduped(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat()
    first = await wx.post(event_xml("subscribe"))
    again = await wx.post(event_xml("subscribe"))
    assert reply_fields(await first.text())["Content"] == GREETING
    assert await again.text() == routes.SUCCESS
    assert wx.rasa.texts_received() == ["/greet"]


async def test_menu_click_sends_its_key(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    response = await wx.post(event_xml("CLICK", "预约驾考"))
    assert "回复1：科目一" in reply_fields(await response.text())["Content"]
    assert wx.rasa.texts_received() == ["预约驾考"]


@pytest.mark.parametrize(
    "body",
    [event_xml("unsubscribe"), event_xml("VIEW", "https://www.sz-sandbox.gov.cn")],
)
async def test_other_events_are_only_acknowledged(
    make_wechat: WeChatFactory, body: str
) -> None:
    wx = await make_wechat()
    response = await wx.post(body)
    assert await response.text() == routes.SUCCESS
    assert wx.rasa.turns == []


async def test_pictures_get_a_polite_answer(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    body = (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType>image</MsgType>"
        "<PicUrl>https://mmbiz.example/p.jpg</PicUrl><MediaId>m1</MediaId>"
        "<MsgId>7001</MsgId></xml>"
    )
    response = await wx.post(body)
    assert reply_fields(await response.text())["Content"] == texts.EMPTY_MESSAGE
    assert wx.rasa.turns == []


async def test_voice_with_recognition_and_location(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    voice = (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType>voice</MsgType><MediaId>m</MediaId>"
        "<Format>amr</Format><Recognition>查一下驾照扣分</Recognition>"
        "<MsgId>7002</MsgId></xml>"
    )
    location = (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType>location</MsgType>"
        "<Location_X>22.54</Location_X><Location_Y>113.93</Location_Y><Scale>15</Scale>"
        "<Label>广东省深圳市南山区粤海街道科技园</Label><MsgId>7003</MsgId></xml>"
    )
    await wx.post(voice)
    await wx.post(location)
    assert wx.rasa.texts_received() == ["查一下驾照扣分", "南山区附近的办事大厅"]


# --- forged, replayed and malformed requests --------------------------------------------


async def test_a_bad_signature_is_403_and_reaches_nobody(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat()
    query = signed_query()
    query["signature"] = query["signature"][:-1] + (
        "0" if query["signature"][-1] != "0" else "1"
    )
    with capture_logs() as logs:
        response = await wx.post(text_xml("查违章 粤B12345", "8001"), query)
    assert response.status == 403
    assert wx.rasa.turns == []
    assert "粤B12345" not in repr(logs)


async def test_a_replayed_signature_starts_no_turn(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    query = signed_query()
    await wx.post(text_xml("查违章", "8002"), query)
    replay = await wx.post(text_xml("取消预约", "8003"), query)
    assert await replay.text() == routes.SUCCESS
    assert wx.rasa.texts_received() == ["查违章"]


async def test_an_old_timestamp_is_refused(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    query = signed_query(timestamp=str(int(time.time()) - 600))
    response = await wx.post(text_xml("查违章", "8004"), query)
    assert response.status == 403 and wx.rasa.turns == []


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<xml><Content>&lol2;</Content></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BILLION_LAUGHS, "forbidden XML construct"),
        (EXTERNAL_ENTITY, "forbidden XML construct"),
        ("<xml><ToUserName>a</ToUserName>", "malformed XML"),
        ("<root/>", "root element"),
        (b"\xff\xfe<xml/>", "XML"),
        ("", "empty body"),
    ],
)
async def test_malformed_xml_is_400_with_a_reason(
    make_wechat: WeChatFactory, body: str | bytes, reason: str
) -> None:
    wx = await make_wechat()
    response = await wx.post(body)
    assert response.status == 400
    assert reason in await response.text()
    assert wx.rasa.turns == []


async def test_an_oversized_body_is_refused(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    response = await wx.post(text_xml("查" * 40_000, "8005"))
    assert response.status == 413 and wx.rasa.turns == []


# --- safe mode -------------------------------------------------------------------------


def envelope(encrypt: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )


async def test_safe_mode_with_the_official_key_and_vector(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat(WECHAT_ENCODING_AES_KEY=AES_KEY)
    wx.set_clock(1700000000 + 3)
    response = await wx.post(envelope(VECTOR_ENCRYPT), VECTOR_QUERY)
    assert response.status == 200
    assert wx.rasa.texts_received() == [VECTOR_INBOUND_TEXT]
    reply = reply_fields(await response.text())
    assert set(reply) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    expected = sha1_sorted(TOKEN, reply["TimeStamp"], reply["Nonce"], reply["Encrypt"])
    assert reply["MsgSignature"] == expected
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt(reply["Encrypt"])
    fields = reply_fields(inner.decode())
    assert fields["ToUserName"] == "oUser_openid_test"
    assert fields["Content"] == f"您说的是：{VECTOR_INBOUND_TEXT}"


async def test_safe_mode_rejects_a_wrong_msg_signature(
    make_wechat: WeChatFactory,
) -> None:
    wx = await make_wechat(WECHAT_ENCODING_AES_KEY=AES_KEY)
    wx.set_clock(1700000000)
    forged = {
        **VECTOR_QUERY,
        "msg_signature": "7e6e9196c2155a30b5ffcb72d1a989a98a4dd95b",
    }
    response = await wx.post(envelope(VECTOR_ENCRYPT), forged)
    assert response.status == 403 and wx.rasa.turns == []


async def test_safe_mode_rejects_another_appid(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat(WECHAT_ENCODING_AES_KEY=AES_KEY)
    query = signed_query()
    query.update(
        encrypt_type="aes",
        msg_signature=sha1_sorted(
            TOKEN, query["timestamp"], query["nonce"], WRONG_APPID_ENCRYPT
        ),
    )
    response = await wx.post(envelope(WRONG_APPID_ENCRYPT), query)
    assert response.status == 400
    assert "-40005" in await response.text()
    assert wx.rasa.turns == []


async def test_safe_mode_refuses_plaintext(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat(WECHAT_ENCODING_AES_KEY=AES_KEY)
    response = await wx.post(text_xml("查违章", "9001"))
    assert response.status == 400 and wx.rasa.turns == []


async def test_safe_mode_late_answer_and_round_trip(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat(WECHAT_ENCODING_AES_KEY=AES_KEY, WECHAT_PASSIVE_S="0.1")
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    wx.rasa.delay_s = 0.3
    encrypt = crypto.encrypt(text_xml("查违章", "9002"))
    query = signed_query()
    query.update(
        encrypt_type="aes",
        msg_signature=sha1_sorted(TOKEN, query["timestamp"], query["nonce"], encrypt),
    )
    response = await wx.post(envelope(encrypt), query)
    assert await response.text() == routes.SUCCESS
    await until(lambda: len(wx.api.sent) == 1)
    assert wx.api.texts_to(OPENID) == ["您说的是：查违章"]


def test_an_illegal_aes_key_fails_at_start(rasa: RouteRasa) -> None:
    settings = load_settings(
        {
            **base_env(rasa),
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_ENCODING_AES_KEY": "!" * 43,
        }
    )
    with pytest.raises(IllegalAesKey):
        create_app(settings)


async def test_many_concurrent_redeliveries(make_wechat: WeChatFactory) -> None:
    wx = await make_wechat()
    wx.rasa.delay_s = 0.2
    bodies = [text_xml(f"问题{i}", str(10_000 + i)) for i in range(5)]
    responses = await asyncio.gather(*(wx.post(b) for b in bodies for _ in range(4)))
    assert all(r.status == 200 for r in responses)
    await settle(0.5)
    assert sorted(wx.rasa.texts_received()) == sorted(f"问题{i}" for i in range(5))
    passive = [r for r in responses if r.content_type == "application/xml"]
    assert len(passive) == 5
