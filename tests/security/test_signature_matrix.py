"""Every route the gateway mounts is either authenticated or public on purpose.

The matrix below names, for each (method, route), how a forged request is
refused and how a replay is refused (or made harmless by deduplication).
The test fails when a route is added without an entry, so a new webhook
cannot ship unchecked. Each check sends real requests to the real gateway
(every channel on) and counts the turns that reach Rasa.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest

from bot.settings import load_settings
from channels.app import create_app
from tests.security import signing
from tests.security.live_gateway import (
    ALIYUN_SECRET,
    INTERNAL_TOKEN,
    LiveGateway,
    live_gateway,
)

Check = Callable[[LiveGateway], None]


@pytest.fixture(scope="module")
def gateway() -> Iterator[LiveGateway]:
    with live_gateway() as running:
        yield running


def _settled(gateway: LiveGateway, turns: int, timeout: float = 5.0) -> None:
    """Wait until ``turns`` turns reached Rasa (background channels), then a bit more."""
    deadline = time.monotonic() + timeout
    while gateway.turns() < turns and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert gateway.turns() == turns


def telegram(gateway: LiveGateway) -> None:
    before = gateway.turns()
    update_id = int(time.time() * 1000) % 2**31
    body = signing.telegram_update(update_id)
    for headers in (signing.telegram_headers(None), signing.telegram_headers("wrong")):
        status, _ = gateway.request("POST", "/telegram/webhook", body, headers)
        assert status == 401
    for _ in range(2):  # Telegram redelivers with the same update_id: one turn
        status, _ = gateway.request(
            "POST", "/telegram/webhook", body, signing.telegram_headers()
        )
        assert status == 200
    _settled(gateway, before + 1)


def wechat_verify(gateway: LiveGateway) -> None:
    query = signing.wechat_query()
    good = urlencode({**query, "echostr": "echo123"})
    status, body = gateway.request("GET", f"/wechat?{good}")
    assert (status, body) == (200, b"echo123")
    wrong = urlencode({**query, "signature": "0" * 40, "echostr": "echo123"})
    assert gateway.request("GET", f"/wechat?{wrong}")[0] == 403
    stale = signing.wechat_query(timestamp=str(int(time.time()) - 3600))
    status, body = gateway.request(
        "GET", f"/wechat?{urlencode({**stale, 'echostr': 'e'})}"
    )
    assert status == 403 and body != b"e"
    assert gateway.request("GET", "/wechat?echostr=e")[0] == 400


def wechat_receive(gateway: LiveGateway) -> None:
    before = gateway.turns()
    msg_id = int(time.time() * 1000)
    query = signing.wechat_query()
    body, signed = signing.wechat_safe_body(msg_id, "你好", query)
    forged = signed.replace(query["signature"], "0" * 40)
    assert gateway.request("POST", f"/wechat?{forged}", body, signing.XML)[0] == 403
    # A valid outer signature with a wrong msg_signature (fresh nonce).
    other_body, other = signing.wechat_safe_body(
        msg_id + 2, "你好", signing.wechat_query()
    )
    wrong_msg = other.replace("msg_signature=", "msg_signature=0")
    status, _ = gateway.request("POST", f"/wechat?{wrong_msg}", other_body, signing.XML)
    assert status in (400, 403)
    stale = signing.wechat_query(timestamp=str(int(time.time()) - 3600))
    stale_body, stale_signed = signing.wechat_safe_body(msg_id + 1, "你好", stale)
    status, _ = gateway.request(
        "POST", f"/wechat?{stale_signed}", stale_body, signing.XML
    )
    assert status == 403
    assert gateway.request("POST", f"/wechat?{signed}", body, signing.XML)[0] == 200
    # The same (timestamp, nonce) again is a replay: acknowledged, not processed.
    assert gateway.request("POST", f"/wechat?{signed}", body, signing.XML)[0] == 200
    _settled(gateway, before + 1)


def twilio(gateway: LiveGateway) -> None:
    before = gateway.turns()
    form = signing.twilio_form("SM" + uuid.uuid4().hex)
    body = urlencode(form).encode()
    assert gateway.request("POST", "/sms/twilio", body, signing.FORM)[0] == 403
    wrong = signing.twilio_headers(gateway, form, good=False)
    assert gateway.request("POST", "/sms/twilio", body, wrong)[0] == 403
    tampered = urlencode({**form, "Body": "转账"}).encode()
    good = signing.twilio_headers(gateway, form)
    assert gateway.request("POST", "/sms/twilio", tampered, good)[0] == 403
    for _ in range(2):  # Twilio retries with the same MessageSid: one turn
        assert gateway.request("POST", "/sms/twilio", body, good)[0] == 200
    _settled(gateway, before + 1)


def aliyun(gateway: LiveGateway) -> None:
    before = gateway.turns()
    item = {
        "phone_number": "13800138000",
        "content": "你好",
        "send_time": "2026-11-22 10:00:00",
        "dest_code": "1234",
        "sequence_id": int(time.time() * 1000),
    }
    body = json.dumps([item], ensure_ascii=False).encode()
    assert gateway.request("POST", "/sms/aliyun/guess", body, signing.JSON)[0] == 403
    assert (
        gateway.request("POST", f"/sms/aliyun/{ALIYUN_SECRET}x", body, signing.JSON)[0]
        == 403
    )
    for _ in range(2):  # a pushed batch again (same sequence_id): one turn
        status, _ = gateway.request(
            "POST", f"/sms/aliyun/{ALIYUN_SECRET}", body, signing.JSON
        )
        assert status == 200
    _settled(gateway, before + 1)


def voice(gateway: LiveGateway) -> None:
    before = gateway.turns()
    body = json.dumps(
        {"call_id": uuid.uuid4().hex, "turn_no": 1, "text": "你好", "confidence": 0.9}
    ).encode()
    assert gateway.request("POST", "/voice/turn", body, signing.JSON)[0] == 401
    wrong = signing.voice_headers(body, secret="wrong")
    assert gateway.request("POST", "/voice/turn", body, wrong)[0] == 401
    stale = signing.voice_headers(body, timestamp=str(int(time.time()) - 3600))
    assert gateway.request("POST", "/voice/turn", body, stale)[0] == 401
    other = body.replace(b"0.9", b"1.0")
    good = signing.voice_headers(body)
    assert gateway.request("POST", "/voice/turn", other, good)[0] == 401
    for _ in range(2):  # the relay's retry (same call_id + turn_no): one turn
        assert gateway.request("POST", "/voice/turn", body, good)[0] == 200
    _settled(gateway, before + 1)


def internal(method: str, path: str) -> Check:
    def check(gateway: LiveGateway) -> None:
        concrete = path.replace("{sender}", "web:" + "0" * 32)
        body = b"{}" if method == "POST" else None
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": INTERNAL_TOKEN},
        ):
            status, _ = gateway.request(
                method, concrete, body, {**signing.JSON, **headers}
            )
            assert status == 401, (method, concrete, headers)
        ok = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
        status, _ = gateway.request(method, concrete, body, {**signing.JSON, **ok})
        assert status != 401

    return check


def public(reason: str) -> Check:
    """A route open to anyone by design; ``reason`` says why that is safe."""

    def check(gateway: LiveGateway) -> None:
        assert reason

    return check


MATRIX: dict[tuple[str, str], Check] = {
    ("POST", "/telegram/webhook"): telegram,
    ("GET", "/wechat"): wechat_verify,
    ("POST", "/wechat"): wechat_receive,
    ("POST", "/sms/twilio"): twilio,
    ("POST", "/sms/aliyun/{secret}"): aliyun,
    ("POST", "/voice/turn"): voice,
    ("GET", "/internal/handoffs"): internal("GET", "/internal/handoffs"),
    ("GET", "/internal/handoffs/{sender}"): internal(
        "GET", "/internal/handoffs/{sender}"
    ),
    ("POST", "/internal/handoffs/{sender}/reply"): internal(
        "POST", "/internal/handoffs/{sender}/reply"
    ),
    ("POST", "/internal/handoffs/{sender}/release"): internal(
        "POST", "/internal/handoffs/{sender}/release"
    ),
    ("GET", "/health"): public("liveness: names mounted channels only"),
    ("GET", "/"): public("the web chat page: static"),
    ("GET", "/favicon.ico"): public("static"),
    ("GET", "/web/static/{name}"): public("static files from an allow-list"),
    ("POST", "/web/api/messages"): public(
        "anonymous web chat: a conversation is a random UUID v4 kept by the page; "
        "rate-limited per conversation, message ids deduplicated"
    ),
    ("GET", "/web/api/history"): public("readable only with the conversation's UUID"),
    ("GET", "/web/api/staff"): public("readable only with the conversation's UUID"),
}


def mounted_routes() -> set[tuple[str, str]]:
    """(method, canonical path) of every route the fully configured gateway mounts."""
    from tests.security.live_gateway import (  # the same settings as the live one
        TELEGRAM_SECRET,
        TELEGRAM_TOKEN,
        VOICE_SECRET,
        WECHAT_AES_KEY,
        WECHAT_APP_ID,
        WECHAT_TOKEN,
    )

    app = create_app(
        load_settings(
            {
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                "WECHAT_TOKEN": WECHAT_TOKEN,
                "WECHAT_APP_ID": WECHAT_APP_ID,
                "WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
                "TWILIO_AUTH_TOKEN": "t",
                "ALIYUN_SMS_PATH_SECRET": ALIYUN_SECRET,
                "VOICE_RELAY_SECRET": VOICE_SECRET,
            }
        )
    )
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }


def test_every_mounted_route_is_in_the_matrix() -> None:
    routes = mounted_routes()
    assert routes - set(MATRIX) == set(), "route(s) without a security check"
    assert set(MATRIX) - routes == set(), "matrix entries for routes that are gone"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_forged_and_replayed_requests_are_refused(
    gateway: LiveGateway, route: tuple[str, str]
) -> None:
    MATRIX[route](gateway)
