"""Fixtures of the back-end client tests: settings, a shared session, the bundle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from actions.backend import Backend
from bot.settings import BackendSettings
from tests.actions.backend.fake_clock import FakeClock
from tests.support.sandbox_process import SandboxProcess


@pytest.fixture
def settings(sandbox: SandboxProcess) -> BackendSettings:
    """Client settings for the test sandbox; the breaker is out of the way."""
    return BackendSettings(
        url=sandbox.base_url,
        timeout_s=3.0,
        read_retries=2,
        read_budget_s=6.0,
        breaker_failures=1000,
        breaker_reset_s=30.0,
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """One shared HTTP session, as the action server holds."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def backend(settings: BackendSettings, http: aiohttp.ClientSession) -> Backend:
    """The bundle the actions use, on the test sandbox."""
    return Backend(settings, http)


@pytest.fixture
def clock() -> FakeClock:
    """A clock for the circuit breakers."""
    return FakeClock()
