"""Hostile bodies through every webhook route of the real gateway, over real HTTP.

Properties, for each route: never a 5xx (a crash or a stack trace); forged
or unsigned requests never reach Rasa; correctly signed garbage gets a clear
4xx (or the provider's acknowledgement) and the process stays healthy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.security import signing
from tests.security.live_gateway import ALIYUN_SECRET, LiveGateway, live_gateway
from tests.security.strategies import EDGE_TEXT, HEADER_TEXT, JSON_VALUE, wechat_xml

CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/xml",
        "text/plain; charset=gbk",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=4000),
    JSON_VALUE.map(
        lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")
    ),
    wechat_xml(),
    st.dictionaries(EDGE_TEXT, EDGE_TEXT, max_size=6).map(
        lambda d: urlencode(d, encoding="utf-8", errors="surrogatepass").encode()
    ),
)
PROFILE = settings(settings.get_profile("security"), max_examples=60)


@pytest.fixture(scope="module")
def gateway() -> Iterator[LiveGateway]:
    with live_gateway() as running:
        yield running
        status, _ = running.request("GET", "/health")
        assert status == 200  # still healthy after everything


def _headers(content_type: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {"Content-Type": content_type} if content_type else {}
    return {**headers, **(extra or {})}


@PROFILE
@given(
    body=BODIES, content_type=CONTENT_TYPES, secret=st.one_of(st.none(), HEADER_TEXT)
)
def test_forged_requests_never_reach_rasa(
    gateway: LiveGateway, body: bytes, content_type: str, secret: str | None
) -> None:
    before = gateway.turns()
    forged: list[tuple[str, str, dict[str, str]]] = [
        ("POST", "/telegram/webhook", signing.telegram_headers(secret)),
        (
            "POST",
            "/wechat?" + urlencode({**signing.wechat_query(), "signature": "0" * 40}),
            {},
        ),
        ("POST", "/sms/twilio", {"X-Twilio-Signature": secret or ""}),
        ("POST", "/sms/aliyun/not-the-secret", {}),
        (
            "POST",
            "/voice/turn",
            {"X-Timestamp": str(int(time.time())), "X-Signature": "0" * 64},
        ),
        (
            "POST",
            "/internal/handoffs/web:" + "0" * 32 + "/reply",
            {"Authorization": "Bearer x"},
        ),
    ]
    for method, path, extra in forged:
        status, _ = gateway.request(method, path, body, _headers(content_type, extra))
        assert 400 <= status < 500, (path, status)
    assert gateway.turns() == before


@PROFILE
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_signed_garbage_gets_a_clear_answer(
    gateway: LiveGateway, body: bytes, content_type: str
) -> None:
    query = urlencode(signing.wechat_query())
    stamp = str(int(time.time()))
    signed = [
        ("/telegram/webhook", signing.telegram_headers()),
        (f"/wechat?{query}", {}),
        (f"/sms/aliyun/{ALIYUN_SECRET}", {}),
        ("/voice/turn", signing.voice_headers(body, timestamp=stamp)),
        ("/web/api/messages", {}),
    ]
    for path, extra in signed:
        status, answer = gateway.request(
            "POST", path, body, _headers(content_type, extra)
        )
        assert status < 500, (path, status, answer[:200])
        assert b"Traceback" not in answer


@PROFILE
@given(
    form=st.dictionaries(
        st.sampled_from(
            ["MessageSid", "From", "Body", "AccountSid", "To", "NumMedia", "x"]
        ),
        EDGE_TEXT,
        max_size=6,
    )
)
def test_signed_twilio_forms(gateway: LiveGateway, form: dict[str, str]) -> None:
    clean = {k: v.replace("\x00", "") for k, v in form.items()}
    body = urlencode(clean, encoding="utf-8", errors="surrogatepass").encode()
    try:
        headers = signing.twilio_headers(gateway, clean)
    except UnicodeEncodeError:
        return  # not sendable as a form at all
    status, answer = gateway.request("POST", "/sms/twilio", body, headers)
    assert status < 500 and b"Traceback" not in answer


@PROFILE
@given(
    query=st.dictionaries(
        st.sampled_from(
            ["signature", "timestamp", "nonce", "echostr", "conversation_id", "after"]
        ),
        EDGE_TEXT,
        max_size=5,
    )
)
def test_hostile_query_strings(gateway: LiveGateway, query: dict[str, str]) -> None:
    encoded = urlencode(query, encoding="utf-8", errors="surrogatepass")
    for path in ("/wechat", "/web/api/history", "/web/api/staff", "/internal/handoffs"):
        status, answer = gateway.request("GET", f"{path}?{encoded}")
        assert status < 500 and b"Traceback" not in answer, (path, status)
