"""Request signing and targets: the exact bytes on the request line are signed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from actions.backend import Backend
from actions.backend.errors import BackendMisconfigured, InvalidInput
from actions.backend.signing import sign
from actions.backend.statuses import Period
from actions.backend.targets import request_url, service_of
from bot.settings import BackendSettings
from sandbox.auth import sign_request
from tests.support.sandbox_process import SandboxProcess

PLATE_TARGET = "/traffic/v1/vehicles/%E7%B2%A4B12345/violations?engine_suffix=123456"


def test_sign_matches_the_sandbox_reference() -> None:
    body = '{"plate":"粤B12345"}'.encode()
    ours = sign(
        "post", PLATE_TARGET, body, "k", "s", now=1_772_416_800.9, nonce="nonce-0001"
    )
    theirs = sign_request(
        "POST", PLATE_TARGET, body, "k", "s", 1_772_416_800, "nonce-0001"
    )
    assert ours == theirs


def test_sign_by_hand() -> None:
    headers = sign("GET", "/health", b"", "key", "secret", now=100, nonce="abcdefgh")
    text = "GET\n/health\n100\nabcdefgh\n" + hashlib.sha256(b"").hexdigest()
    expected = hmac.new(b"secret", text.encode(), hashlib.sha256).hexdigest()
    assert headers == {
        "X-App-Key": "key",
        "X-Timestamp": "100",
        "X-Nonce": "abcdefgh",
        "X-Signature": expected,
    }


def test_fresh_nonce_and_current_time_by_default() -> None:
    first = sign("GET", "/x", b"", "k", "s")
    second = sign("GET", "/x", b"", "k", "s")
    assert first["X-Nonce"] != second["X-Nonce"]
    assert len(first["X-Nonce"]) == 32
    assert abs(int(first["X-Timestamp"]) - dt.datetime.now().timestamp()) < 5


def test_chinese_plate_is_percent_encoded_once() -> None:
    url = request_url(
        "http://127.0.0.1:8600",
        "/traffic/v1/vehicles/{plate}/violations",
        {"plate": "粤B12345"},
        {"engine_suffix": "123456", "status": None},
    )
    assert url.raw_path_qs == PLATE_TARGET
    assert str(url) == "http://127.0.0.1:8600" + PLATE_TARGET


def test_path_values_cannot_leave_their_segment() -> None:
    route = "/traffic/v1/licenses/{id_number}"
    base = "http://h"
    assert request_url(base, route, {"id_number": "a/b?c#d"}).raw_path == (
        "/traffic/v1/licenses/a%2Fb%3Fc%23d"
    )
    assert request_url(base, route, {"id_number": ".."}).raw_path.endswith("/%2E%2E")
    with pytest.raises(ValueError):
        request_url(base, route, {"id_number": ""})
    with pytest.raises(ValueError):
        request_url(base, route, {})
    with pytest.raises(ValueError):
        request_url(base, route, {"id_number": "x", "typo": "y"})


def test_query_values_and_base_prefix() -> None:
    url = request_url(
        "https://gw.example/api/",
        "/traffic/v1/exam-slots",
        query={
            "subject": "科目一",
            "date": dt.date(2026, 3, 3),
            "period": Period.MORNING,
            "include_full": True,
            "site": None,
        },
    )
    assert url.raw_path == "/api/traffic/v1/exam-slots"
    assert dict(url.query) == {
        "subject": "科目一",
        "date": "2026-03-03",
        "period": "morning",
        "include_full": "true",
    }


def test_service_from_route() -> None:
    assert service_of("/traffic/v1/licenses/{id_number}") == "traffic"
    assert service_of("/hotline/v1/tickets") == "hotline"
    assert service_of("/directory/v1/offices") == "directory"
    with pytest.raises(ValueError):
        service_of("/sandbox/v1/reset")


async def test_request_line_is_what_was_signed(
    settings: BackendSettings,
) -> None:
    """The URL aiohttp sends is byte-identical to the signed target."""
    seen: list[tuple[str, dict[str, str]]] = []

    async def on_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        seen.append((params.url.raw_path_qs, dict(params.headers)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        report = await Backend(settings, session).traffic.violations(
            "粤B12345", engine_suffix="123456"
        )
    assert report.plate == "粤B12345"
    [(target, headers)] = seen
    assert target == PLATE_TARGET
    expected = sign_request(
        "GET",
        PLATE_TARGET,
        b"",
        settings.app_key,
        settings.app_secret,
        headers["X-Timestamp"],
        headers["X-Nonce"],
    )
    assert headers["X-Signature"] == expected["X-Signature"]


async def test_slash_in_a_plate_is_refused_as_a_plate(backend: Backend) -> None:
    with pytest.raises(InvalidInput) as bad:
        await backend.traffic.violations("粤B/12345", engine_suffix="123456")
    assert bad.value.code == "invalid_plate"
    with pytest.raises(InvalidInput) as dots:
        await backend.traffic.license("..")
    assert dots.value.code == "invalid_id_number"


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        ("govbot-sandbox", "wrong-secret", "bad_signature"),
        ("someone-else", "sandbox-secret", "unknown_app_key"),
    ],
)
async def test_refused_credentials_are_misconfiguration(
    sandbox: SandboxProcess,
    http: aiohttp.ClientSession,
    key: str,
    secret: str,
    code: str,
) -> None:
    settings = BackendSettings(url=sandbox.base_url, app_key=key, app_secret=secret)
    backend = Backend(settings, http)
    with pytest.raises(BackendMisconfigured) as refused:
        await backend.traffic.license("440304198503122318")
    assert (refused.value.service, refused.value.code) == ("traffic", code)
    # A write is refused the same way and leaves no trace.
    with pytest.raises(BackendMisconfigured):
        await backend.hotline.rate(
            target_type="conversation",
            target_id="web-1",
            score=5,
            idempotency_key="k-1",
        )
    assert sandbox.admin_get("ratings")["ratings"] == []
