"""Injected latency, errors and outages, from settings and at runtime."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sandbox_testkit import Api, make_settings

from sandbox.settings import SandboxSettings

SERVICE = "/directory/v1/offices?kind=dmv"


async def test_default_is_normal(api: Api) -> None:
    reply = await api.get("/sandbox/v1/faults")
    assert reply.data == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "mode": "normal",
        "hang_s": 60.0,
    }


async def test_down_mode(api: Api) -> None:
    assert (await api.put("/sandbox/v1/faults", {"mode": "down"})).data[
        "mode"
    ] == "down"
    for path in (
        SERVICE,
        "/traffic/v1/licenses/44030519900101123X",
        "/hotline/v1/tickets/GD202602280017",
    ):
        reply = await api.get(path)
        assert (reply.status, reply.data["error"]["code"]) == (
            503,
            "service_unavailable",
        )
    # Administration, the pay page and /health are never faulted.
    assert (await api.get("/sandbox/v1/tickets")).status == 200
    assert (await api.client.get("/health")).status == 200
    await api.put("/sandbox/v1/faults", {"mode": "normal"})
    assert (await api.get(SERVICE)).status == 200


async def test_garbage_mode(api: Api) -> None:
    await api.put("/sandbox/v1/faults", {"mode": "garbage"})
    reply = await api.get(SERVICE)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.data is None and "<html>" in reply.text


async def test_hang_mode_outlasts_the_client_timeout(api: Api) -> None:
    await api.put("/sandbox/v1/faults", {"mode": "hang", "hang_s": 5})
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await api.get(SERVICE, timeout=0.3)
    assert time.monotonic() - started < 2


async def test_hang_is_bounded(api: Api) -> None:
    reply = await api.put("/sandbox/v1/faults", {"mode": "hang", "hang_s": 0.2})
    assert reply.status == 200
    answer = await api.get(SERVICE)
    assert (answer.status, answer.data["error"]["code"]) == (504, "gateway_timeout")
    assert (await api.put("/sandbox/v1/faults", {"hang_s": 61})).status == 422


async def test_error_rate_and_latency_at_runtime(api: Api) -> None:
    await api.put("/sandbox/v1/faults", {"error_rate": 1})
    reply = await api.get(SERVICE)
    assert (reply.status, reply.data["error"]["code"]) == (503, "injected_fault")
    await api.put("/sandbox/v1/faults", {"error_rate": 0, "latency_ms": 300})
    started = time.monotonic()
    assert (await api.get(SERVICE)).status == 200
    assert time.monotonic() - started >= 0.3


async def test_error_rate_is_a_rate(api: Api) -> None:
    await api.put("/sandbox/v1/faults", {"error_rate": 0.5})
    statuses = [(await api.get(SERVICE)).status for _ in range(60)]
    assert 10 < statuses.count(503) < 50
    assert set(statuses) == {200, 503}


async def test_faults_from_settings(
    make_api: Callable[[SandboxSettings], Awaitable[Api]], db_path: Path
) -> None:
    faulty = await make_api(
        make_settings(db_path, SANDBOX_ERROR_RATE="1", SANDBOX_LATENCY_MS="50")
    )
    assert (await faulty.get("/sandbox/v1/faults")).data["latency_ms"] == 50
    assert (await faulty.get(SERVICE)).status == 503


async def test_invalid_fault_settings(api: Api) -> None:
    for body in (
        {"mode": "broken"},
        {"error_rate": 2},
        {"error_rate": "high"},
        {"latency_ms": -1},
        {"latency_ms": True},
    ):
        assert (await api.put("/sandbox/v1/faults", body)).status == 422, body
    assert (await api.get("/sandbox/v1/faults")).data["mode"] == "normal"
