"""Answers the sandbox never gives, from a loopback stand-in of a provincial gateway.

The stand-in sits at the third-party seam (the government's HTTP API); it
checks our signature like a gateway would and answers what a test asks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from actions.backend import BackendClient
from actions.backend.breaker import BreakerState
from actions.backend.errors import (
    BackendRejected,
    BackendUnavailable,
    Conflict,
    Reason,
    RequestInProgress,
)
from bot.settings import BackendSettings
from sandbox.auth import signature, string_to_sign

Server = Callable[..., Awaitable[TestServer]]
PREFIX = "/gateway/gov"


class Gateway:
    """Answers queued replies and records what it received."""

    def __init__(self) -> None:
        self.replies: list[web.Response] = []
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        text = string_to_sign(
            request.method,
            request.raw_path,
            request.headers["X-Timestamp"],
            request.headers["X-Nonce"],
            body,
        )
        self.received.append(
            {
                "method": request.method,
                "target": request.raw_path,
                "signed": signature("sandbox-secret", text)
                == request.headers["X-Signature"],
                "key": request.headers.get("Idempotency-Key"),
                "body": body,
            }
        )
        return self.replies.pop(0)


def error(status: int, code: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": "x"}}, status=status)


@pytest.fixture
async def gateway(aiohttp_server: Server) -> tuple[Gateway, str]:
    stand_in = Gateway()
    app = web.Application()
    app.router.add_route("*", PREFIX + "/{tail:.*}", stand_in.handle)
    server = await aiohttp_server(app)
    return stand_in, str(server.make_url(PREFIX))


@pytest.fixture
async def make_client(
    gateway: tuple[Gateway, str],
) -> Any:
    sessions: list[aiohttp.ClientSession] = []

    def build(**changes: Any) -> BackendClient:
        settings = BackendSettings(url=gateway[1], breaker_failures=2, **changes)
        session = aiohttp.ClientSession()
        sessions.append(session)

        async def no_pause(_: float) -> None:
            return None

        return BackendClient(settings, session, sleep=no_pause, rng=random.Random(1))

    yield build
    for session in sessions:
        await session.close()


async def test_base_path_prefix_is_signed_and_sent(
    gateway: tuple[Gateway, str], make_client: Any
) -> None:
    stand_in, _ = gateway
    stand_in.replies.append(web.json_response({"ok": True}, status=201))
    client = make_client()
    data = await client.post(
        "/hotline/v1/ratings",
        {"score": 5, "comment": None, "target_id": "粤B12345"},
        idempotency_key="rate-1",
    )
    assert data == {"ok": True}
    [seen] = stand_in.received
    assert seen["target"] == PREFIX + "/hotline/v1/ratings"
    assert seen["signed"]
    assert seen["key"] == "rate-1"
    assert json.loads(seen["body"]) == {"score": 5, "target_id": "粤B12345"}


async def test_idempotency_in_progress_is_a_busy_service(
    gateway: tuple[Gateway, str], make_client: Any
) -> None:
    stand_in, _ = gateway
    stand_in.replies += [error(409, "idempotency_in_progress") for _ in range(3)]
    client = make_client()
    for _ in range(3):
        with pytest.raises(RequestInProgress) as busy:
            await client.delete(
                "/traffic/v1/exam-bookings/{booking_code}",
                args={"booking_code": "KS20000001"},
                idempotency_key="cancel-1",
            )
        assert isinstance(busy.value, BackendUnavailable)
        assert busy.value.reason is Reason.SERVER_ERROR
    # Busy with our own first attempt is no outage: the circuit stays closed.
    assert client.breakers["traffic"].state is BreakerState.CLOSED


async def test_other_409_is_a_conflict(
    gateway: tuple[Gateway, str], make_client: Any
) -> None:
    gateway[0].replies.append(error(409, "session_full"))
    with pytest.raises(Conflict):
        await make_client().post("/traffic/v1/exam-bookings", {}, idempotency_key="k")


async def test_too_many_requests_is_retried_like_a_5xx(
    gateway: tuple[Gateway, str], make_client: Any
) -> None:
    stand_in, _ = gateway
    stand_in.replies += [error(429, "rate_limited"), web.json_response({"offices": []})]
    data = await make_client().get("/directory/v1/offices")
    assert data == {"offices": []}
    assert len(stand_in.received) == 2


async def test_unmapped_4xx_is_a_plain_rejection(
    gateway: tuple[Gateway, str], make_client: Any
) -> None:
    gateway[0].replies.append(error(405, "method_not_allowed"))
    with pytest.raises(BackendRejected) as refused:
        await make_client().get("/directory/v1/offices")
    assert type(refused.value) is BackendRejected
    assert (refused.value.status, refused.value.code) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    "reply",
    [
        web.json_response(["not", "an", "object"]),
        web.Response(text="<html>404</html>", status=404, content_type="text/html"),
        web.json_response({"detail": "no error object"}, status=422),
        web.Response(status=302, headers={"Location": "/login"}),
        web.Response(body=b"\xff\xfe", content_type="application/json"),
    ],
    ids=["json-list", "html-404", "no-error-object", "redirect", "not-utf8"],
)
async def test_unreadable_answers_are_bad_responses(
    gateway: tuple[Gateway, str], make_client: Any, reply: web.Response
) -> None:
    stand_in, _ = gateway
    stand_in.replies.append(reply)
    with pytest.raises(BackendUnavailable) as bad:
        await make_client().get("/directory/v1/offices")
    assert bad.value.reason is Reason.BAD_RESPONSE
    assert len(stand_in.received) == 1  # not retried


async def test_rejection_messages_are_scrubbed(
    gateway: tuple[Gateway, str], make_client: Any
) -> None:
    gateway[0].replies.append(
        web.json_response(
            {"error": {"code": "unknown_vehicle", "message": "No vehicle 粤B12345."}},
            status=404,
        )
    )
    with pytest.raises(BackendRejected) as refused:
        await make_client().get(
            "/traffic/v1/vehicles/{plate}/inspection", args={"plate": "粤B12345"}
        )
    assert "粤B12345" not in str(refused.value)
    assert "粤B***45" in refused.value.message
