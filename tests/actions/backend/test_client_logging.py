"""What the client logs: dotted events with route templates, no personal data."""

from __future__ import annotations

import dataclasses
import uuid

import aiohttp
import pytest
from structlog.testing import capture_logs

from actions.backend import Backend
from actions.backend.errors import BackendUnavailable, Forbidden
from bot.settings import BackendSettings
from tests.support.sandbox_process import SandboxProcess

PERSONAL = ("粤B12345", "%E7%B2%A4", "123456", "440305199812240036", "13800138000")


def assert_clean(logs: list[dict[str, object]]) -> None:
    text = repr(logs)
    for value in PERSONAL:
        assert value not in text


async def test_rejection_is_logged_by_route(backend: Backend) -> None:
    with capture_logs() as logs, pytest.raises(Forbidden):
        await backend.traffic.violations("粤B12345", engine_suffix="999999")
    [entry] = [e for e in logs if e["event"] == "backend.request.rejected"]
    assert entry["route"] == "/traffic/v1/vehicles/{plate}/violations"
    assert (entry["status"], entry["code"]) == (403, "engine_suffix_mismatch")
    assert_clean(logs)


async def test_failures_and_retries_are_logged_without_data(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    sandbox.set_faults(mode="down")
    backend = Backend(dataclasses.replace(settings, breaker_failures=2), http)
    with capture_logs() as logs:
        with pytest.raises(BackendUnavailable):
            await backend.traffic.violations("粤B12345", engine_suffix="123456")
        with pytest.raises(BackendUnavailable):
            await backend.hotline.create_ticket(
                type="complaint",
                content="工地夜间施工噪音太大。",
                district="南山",
                phone="13800138000",
                idempotency_key=uuid.uuid4().hex,
            )
    events = [e["event"] for e in logs]
    assert events.count("backend.request.failed") == 3
    assert "backend.request.retrying" in events
    assert "backend.circuit.opened" in events
    assert "backend.request.short_circuited" in events
    failed = next(e for e in logs if e["event"] == "backend.request.failed")
    assert (failed["service"], failed["reason"]) == ("traffic", "server_error")
    assert_clean(logs)
