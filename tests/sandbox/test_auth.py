"""HMAC request signatures: good, bad, missing, stale, replayed, tampered."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import unquote

from sandbox_testkit import Api, make_settings
from yarl import URL

from sandbox.auth import NonceCache, sign_request, string_to_sign
from sandbox.settings import SandboxSettings

PATH = "/traffic/v1/licenses/44030519900101123X"


def test_sign_request_matches_the_contract_formula() -> None:
    body = b'{"a":1}'
    headers = sign_request("post", "/x?y=1", body, "k", "s", 1700000000, "nonce-123")
    text = "POST\n/x?y=1\n1700000000\nnonce-123\n" + hashlib.sha256(body).hexdigest()
    expected = hmac.new(b"s", text.encode(), hashlib.sha256).hexdigest()
    assert headers == {
        "X-App-Key": "k",
        "X-Timestamp": "1700000000",
        "X-Nonce": "nonce-123",
        "X-Signature": expected,
    }
    assert string_to_sign("post", "/x?y=1", "1700000000", "nonce-123", body) == text


async def test_good_signature(api: Api) -> None:
    reply = await api.get(PATH)
    assert reply.status == 200
    assert reply.data["points_used"] == 12


async def test_missing_signature(api: Api) -> None:
    reply = await api.get(PATH, sign=False)
    assert reply.status == 401
    assert reply.data["error"]["code"] == "missing_signature"
    assert "李婉清" not in reply.text


async def test_bad_secret(api: Api) -> None:
    reply = await api.get(PATH, secret="not-the-secret")
    assert (reply.status, reply.data["error"]["code"]) == (401, "bad_signature")


async def test_unknown_app_key(api: Api) -> None:
    other = Api(api.client, key="someone-else")
    reply = await other.get(PATH)
    assert (reply.status, reply.data["error"]["code"]) == (401, "unknown_app_key")


async def test_configured_key_pairs(
    make_api: Callable[[SandboxSettings], Awaitable[Api]], db_path: Path
) -> None:
    custom = await make_api(
        make_settings(db_path, SANDBOX_APP_KEYS="bot:s3cret,ops:0ps")
    )
    assert (await custom.get(PATH)).status == 401  # default pair no longer accepted
    assert (await Api(custom.client, "bot", "s3cret").get(PATH)).status == 200
    assert (await Api(custom.client, "ops", "0ps").get(PATH)).status == 200


async def test_stale_and_future_timestamps(api: Api) -> None:
    now = int(time.time())
    for ts in (now - 301, now + 301):
        reply = await api.get(PATH, timestamp=ts)
        assert (reply.status, reply.data["error"]["code"]) == (401, "stale_timestamp")
    assert (await api.get(PATH, timestamp=now - 250)).status == 200


async def test_replayed_nonce(api: Api) -> None:
    assert (await api.get(PATH, nonce="fixed-nonce-1")).status == 200
    reply = await api.get(PATH, nonce="fixed-nonce-1")
    assert (reply.status, reply.data["error"]["code"]) == (401, "nonce_reused")


async def test_forged_request_does_not_burn_the_nonce(api: Api) -> None:
    assert (await api.get(PATH, nonce="future-nonce", secret="wrong")).status == 401
    assert (await api.get(PATH, nonce="future-nonce")).status == 200


async def test_tampered_body(api: Api) -> None:
    body = {
        "type": "complaint",
        "content": "路灯坏了很久没人修",
        "district": "南山区",
        "phone": "13800138000",
    }
    reply = await api.post(
        "/hotline/v1/tickets", body, signed_body=b'{"type":"suggestion"}'
    )
    assert (reply.status, reply.data["error"]["code"]) == (401, "bad_signature")
    tickets = await api.get("/sandbox/v1/tickets")
    assert all("路灯" not in t["content"] for t in tickets.data["tickets"])


async def test_tampered_query(api: Api) -> None:
    headers = sign_request(
        "GET",
        "/traffic/v1/exam-slots?subject=1",
        b"",
        "govbot-sandbox",
        "sandbox-secret",
        int(time.time()),
        "tamper-query-1",
    )
    resp = await api.client.get("/traffic/v1/exam-slots?subject=2", headers=headers)
    assert resp.status == 401


async def test_malformed_auth_headers(api: Api) -> None:
    cases = {
        "bad_timestamp": {"X-Timestamp": "yesterday"},
        "bad_nonce": {"X-Nonce": "short"},
        "bad_signature": {"X-Signature": "zz"},
    }
    for code, override in cases.items():
        reply = await api.get(PATH, headers=override)
        assert (reply.status, reply.data["error"]["code"]) == (401, code)


async def test_percent_decoded_path_is_accepted(api: Api) -> None:
    raw = "/traffic/v1/vehicles/%E7%B2%A4B12345/inspection"
    headers = sign_request(
        "GET",
        unquote(raw),
        b"",
        "govbot-sandbox",
        "sandbox-secret",
        int(time.time()),
        "decoded-1",
    )
    resp = await api.client.get(URL(raw, encoded=True), headers=headers)
    assert resp.status == 200


async def test_public_paths_need_no_signature(api: Api) -> None:
    assert (await api.client.get("/health")).status == 200
    assert (await api.client.get("/pay/ZF0000000000000000")).status == 404


async def test_admin_routes_are_signed_too(api: Api) -> None:
    assert (await api.post("/sandbox/v1/reset", sign=False)).status == 401
    assert (await api.get("/sandbox/v1/faults", sign=False)).status == 401


def test_nonce_cache_expires_and_is_bounded() -> None:
    cache = NonceCache(ttl_s=10, max_size=3)
    assert cache.add("k", "a", now=0)
    assert not cache.add("k", "a", now=5)
    assert cache.add("other", "a", now=5)  # per app key
    assert cache.add("k", "a", now=11)  # expired, so accepted again
    for n in range(10):
        cache.add("k", f"n{n}", now=12)
    assert len(cache) <= 3
