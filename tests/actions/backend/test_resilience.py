"""Outages against the real sandbox: retries, timeouts, garbage, idempotent writes."""

from __future__ import annotations

import dataclasses
import random
import time
import uuid

import aiohttp
import pytest

from actions.backend import BackendClient, HotlineAPI, TrafficAPI
from actions.backend.errors import BackendUnavailable, Conflict, InvalidInput, Reason
from bot.settings import BackendSettings
from tests.support.sandbox_process import SandboxProcess, free_port

LICENSED = "440304198503122318"
LEARNER = "440305199812240036"
BOOKING = {
    "id_number": LEARNER,
    "subject": "科目二",
    "license_class": "C1",
    "site": "南山考场",
    "date": "2026-03-10",
    "period": "morning",
}


class Pauses:
    """Stands in for ``asyncio.sleep`` between retries and records each pause."""

    def __init__(self, on_pause: object = None) -> None:
        self.delays: list[float] = []
        self.on_pause = on_pause

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if callable(self.on_pause):
            self.on_pause()


def client(
    settings: BackendSettings,
    http: aiohttp.ClientSession,
    pauses: Pauses,
    **changes: float,
) -> BackendClient:
    tuned = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    return BackendClient(tuned, http, sleep=pauses, rng=random.Random(7))


def booked(sandbox: SandboxProcess) -> list[str]:
    rows = sandbox.admin_get(f"exam-bookings?status=booked&id_number={LEARNER}")
    return sorted(b["booking_code"] for b in rows["bookings"])


async def test_read_retried_until_the_service_is_back(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    sandbox.set_faults(mode="down")
    pauses = Pauses(on_pause=lambda: sandbox.set_faults(mode="normal"))
    traffic = TrafficAPI(client(settings, http, pauses))
    licence = await traffic.license(LICENSED)
    assert licence.name == "陈志远"
    assert len(pauses.delays) == 1


async def test_read_gives_up_after_its_retries_with_growing_pauses(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    sandbox.set_faults(error_rate=1.0)
    pauses = Pauses()
    traffic = TrafficAPI(client(settings, http, pauses, read_retries=3))
    with pytest.raises(BackendUnavailable) as failed:
        await traffic.license(LICENSED)
    assert (failed.value.service, failed.value.reason) == (
        "traffic",
        Reason.SERVER_ERROR,
    )
    assert "injected_fault" in failed.value.detail
    first, second, third = pauses.delays
    assert 0.05 <= first <= 0.1
    assert 0.1 <= second <= 0.2
    assert 0.2 <= third <= 0.4


async def test_refused_connection_is_retried_then_unavailable(
    settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    nobody = dataclasses.replace(settings, url=f"http://127.0.0.1:{free_port()}")
    pauses = Pauses()
    traffic = TrafficAPI(client(nobody, http, pauses))
    with pytest.raises(BackendUnavailable) as failed:
        await traffic.license(LICENSED)
    assert failed.value.reason is Reason.CONNECTION
    assert len(pauses.delays) == 2


async def test_hang_gives_a_timeout_quickly(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    sandbox.set_faults(mode="hang", hang_s=10)
    pauses = Pauses()
    traffic = TrafficAPI(client(settings, http, pauses, timeout_s=0.3, read_retries=0))
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as failed:
        await traffic.license(LICENSED)
    assert failed.value.reason is Reason.TIMEOUT
    assert time.monotonic() - started < 1.0
    assert pauses.delays == []


async def test_retries_stay_within_the_read_budget(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    sandbox.set_faults(mode="hang", hang_s=10)
    tuned = dataclasses.replace(
        settings, timeout_s=0.4, read_retries=10, read_budget_s=1.0
    )
    traffic = TrafficAPI(BackendClient(tuned, http))
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as failed:
        await traffic.exam_slots(subject="科目一")
    elapsed = time.monotonic() - started
    assert failed.value.reason is Reason.TIMEOUT
    assert 0.7 <= elapsed < 1.5


async def test_garbage_is_a_bad_response_without_retry(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    sandbox.set_faults(mode="garbage")
    pauses = Pauses()
    api = client(settings, http, pauses)
    with pytest.raises(BackendUnavailable) as failed:
        await TrafficAPI(api).license(LICENSED)
    assert failed.value.reason is Reason.BAD_RESPONSE
    with pytest.raises(BackendUnavailable) as write:
        await HotlineAPI(api).rate(
            target_type="conversation", target_id="w", score=5, idempotency_key="g-1"
        )
    assert write.value.reason is Reason.BAD_RESPONSE
    assert pauses.delays == []


async def test_writes_are_not_retried_and_replay_with_the_same_key(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    pauses = Pauses()
    traffic = TrafficAPI(client(settings, http, pauses))
    write_key = uuid.uuid4().hex
    sandbox.set_faults(mode="down")
    with pytest.raises(BackendUnavailable) as failed:
        await traffic.book_exam(**BOOKING, idempotency_key=write_key)
    assert failed.value.reason is Reason.SERVER_ERROR
    assert pauses.delays == []
    assert booked(sandbox) == ["KS20000001"]

    # The citizen says 重试: the action repeats the write with the same key.
    sandbox.set_faults(mode="normal")
    first = await traffic.book_exam(**BOOKING, idempotency_key=write_key)
    again = await traffic.book_exam(**BOOKING, idempotency_key=write_key)
    assert again == first
    assert booked(sandbox) == sorted(["KS20000001", first.booking_code])

    # A new key is a new request: the service itself refuses the duplicate.
    with pytest.raises(Conflict) as duplicate:
        await traffic.book_exam(**BOOKING, idempotency_key=uuid.uuid4().hex)
    assert duplicate.value.code == "duplicate_subject"


async def test_a_key_reused_for_another_request_is_refused(
    settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    traffic = TrafficAPI(BackendClient(settings, http))
    await traffic.book_exam(**BOOKING, idempotency_key="same-key")
    with pytest.raises(InvalidInput) as reused:
        await traffic.book_exam(
            **{**BOOKING, "date": "2026-03-11"}, idempotency_key="same-key"
        )
    assert reused.value.code == "idempotency_key_reused"


async def test_stored_refusal_is_replayed(
    sandbox: SandboxProcess, settings: BackendSettings, http: aiohttp.ClientSession
) -> None:
    """A 4xx is stored under its key: the retry gets the same answer."""
    traffic = TrafficAPI(BackendClient(settings, http))
    full = {**BOOKING, "date": "2026-03-03"}
    for _ in range(2):
        with pytest.raises(Conflict) as refused:
            await traffic.book_exam(**full, idempotency_key="full-key")
        assert refused.value.code == "session_full"
    sandbox.admin_post(
        "exam-sessions",
        {
            "site": "南山考场",
            "subject": "科目二",
            "date": "2026-03-03",
            "period": "morning",
            "capacity": 20,
            "remaining": 5,
        },
    )
    with pytest.raises(Conflict):
        await traffic.book_exam(**full, idempotency_key="full-key")
    booking = await traffic.book_exam(**full, idempotency_key="another-key")
    assert booking.date.isoformat() == "2026-03-03"


@pytest.mark.parametrize("bad_key", ["", "x" * 129, "空格 key", "tab\tkey"])
async def test_write_keys_are_checked_before_sending(
    settings: BackendSettings, http: aiohttp.ClientSession, bad_key: str
) -> None:
    with pytest.raises(ValueError):
        await TrafficAPI(BackendClient(settings, http)).cancel_exam_booking(
            "KS20000001", idempotency_key=bad_key
        )
