"""The circuit breaker alone (fake clock) and in the client (real sandbox)."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from actions.backend import Backend
from actions.backend.breaker import BreakerState, CircuitBreaker
from actions.backend.errors import BackendUnavailable, NotFound, Reason
from bot.settings import BackendSettings
from tests.actions.backend.fake_clock import FakeClock
from tests.support.sandbox_process import SandboxProcess

LICENSED = "440304198503122318"


def breaker(clock: FakeClock, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker(
        "traffic", failure_threshold=threshold, reset_s=30, clock=clock
    )


def fail(cb: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert cb.allow()
        cb.failure()


def test_opens_after_consecutive_failures(clock: FakeClock) -> None:
    cb = breaker(clock)
    fail(cb, 2)
    assert cb.state is BreakerState.CLOSED
    fail(cb, 1)
    assert cb.state is BreakerState.OPEN
    assert not cb.allow()


def test_a_success_resets_the_count(clock: FakeClock) -> None:
    cb = breaker(clock)
    fail(cb, 2)
    assert cb.allow()
    cb.success()
    fail(cb, 2)
    assert cb.state is BreakerState.CLOSED


def test_half_open_lets_one_trial_through(clock: FakeClock) -> None:
    cb = breaker(clock)
    fail(cb, 3)
    clock.advance(29.9)
    assert not cb.allow()
    clock.advance(0.1)
    assert cb.state is BreakerState.HALF_OPEN
    assert cb.allow()
    assert not cb.allow()  # a second caller while the trial runs
    cb.success()
    assert cb.state is BreakerState.CLOSED
    assert cb.allow()
    assert cb.allow()


def test_failed_trial_opens_again_for_a_full_period(clock: FakeClock) -> None:
    cb = breaker(clock)
    fail(cb, 3)
    clock.advance(30)
    assert cb.allow()
    cb.failure()
    assert cb.state is BreakerState.OPEN
    clock.advance(29)
    assert not cb.allow()
    clock.advance(1)
    assert cb.allow()


def test_abandoned_trial_frees_the_slot(clock: FakeClock) -> None:
    cb = breaker(clock)
    fail(cb, 3)
    clock.advance(30)
    assert cb.allow()
    cb.abandon()
    assert cb.allow()


def test_late_success_does_not_close_an_open_circuit(clock: FakeClock) -> None:
    cb = breaker(clock, threshold=1)
    assert cb.allow()  # a slow call starts
    fail(cb, 1)  # a later call fails and opens the circuit
    cb.success()  # the slow call comes back fine
    assert cb.state is BreakerState.OPEN


def test_limits_are_checked(clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_threshold=0, reset_s=1, clock=clock)
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_threshold=1, reset_s=-1, clock=clock)


@pytest.fixture
def guarded(
    settings: BackendSettings, http: aiohttp.ClientSession, clock: FakeClock
) -> Backend:
    """A bundle whose circuits open after 3 failures, reads not retried."""
    tuned = dataclasses.replace(settings, breaker_failures=3, read_retries=0)
    return Backend(tuned, http, clock=clock)


async def test_client_circuit_opens_and_half_opens(
    guarded: Backend, sandbox: SandboxProcess, clock: FakeClock
) -> None:
    sandbox.set_faults(mode="down")
    for _ in range(3):
        with pytest.raises(BackendUnavailable) as down:
            await guarded.traffic.license(LICENSED)
        assert down.value.reason is Reason.SERVER_ERROR
    assert guarded.client.breakers["traffic"].state is BreakerState.OPEN

    # Back up, but the circuit is open: no request goes out until reset time.
    sandbox.set_faults(mode="normal")
    with pytest.raises(BackendUnavailable) as short:
        await guarded.traffic.license(LICENSED)
    assert (short.value.service, short.value.reason) == ("traffic", Reason.CIRCUIT_OPEN)
    # Other services have their own circuits.
    assert (await guarded.hotline.get_ticket("GD202602240003")).ticket_id
    assert (await guarded.directory.office("dmv-main")).id == "dmv-main"

    clock.advance(30)
    assert guarded.client.breakers["traffic"].state is BreakerState.HALF_OPEN
    assert (await guarded.traffic.license(LICENSED)).name == "陈志远"
    assert guarded.client.breakers["traffic"].state is BreakerState.CLOSED


async def test_client_failed_trial_reopens(
    guarded: Backend, sandbox: SandboxProcess, clock: FakeClock
) -> None:
    sandbox.set_faults(mode="garbage")
    for _ in range(3):
        with pytest.raises(BackendUnavailable):
            await guarded.directory.office("dmv-main")
    clock.advance(30)
    with pytest.raises(BackendUnavailable) as trial:
        await guarded.directory.office("dmv-main")
    assert trial.value.reason is Reason.BAD_RESPONSE
    with pytest.raises(BackendUnavailable) as short:
        await guarded.directory.office("dmv-main")
    assert short.value.reason is Reason.CIRCUIT_OPEN


async def test_rejections_do_not_count_as_failures(guarded: Backend) -> None:
    for _ in range(5):
        with pytest.raises(NotFound):
            await guarded.traffic.license("440305199812240036")
    assert guarded.client.breakers["traffic"].state is BreakerState.CLOSED


async def test_retries_count_towards_the_circuit(
    sandbox: SandboxProcess,
    settings: BackendSettings,
    http: aiohttp.ClientSession,
    clock: FakeClock,
) -> None:
    """One read with two retries is three failed calls: the circuit opens."""
    tuned = dataclasses.replace(settings, breaker_failures=3, read_retries=2)
    backend = Backend(tuned, http, clock=clock)
    sandbox.set_faults(mode="down")
    with pytest.raises(BackendUnavailable):
        await backend.traffic.license(LICENSED)
    assert backend.client.breakers["traffic"].state is BreakerState.OPEN
