"""Injected latency, errors and outages on the service routes, switchable at runtime."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox import keys, validation
from sandbox.errors import Invalid, error_response
from sandbox.settings import SandboxSettings
from sandbox.statuses import FaultMode
from sandbox.wire import json_response

# Only the government-service routes misbehave; administration, the pay
# page and /health stay reliable so a test can always switch faults off.
FAULTED_PREFIXES = ("/traffic/", "/hotline/", "/directory/")
MAX_HANG_S = 60.0

GARBAGE_BODY = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
)


@dataclass
class FaultState:
    """Current fault configuration of one sandbox process."""

    latency_ms: int = 0
    error_rate: float = 0.0
    mode: FaultMode = FaultMode.NORMAL
    hang_s: float = MAX_HANG_S
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> FaultState:
        """Start from the configured latency and error rate."""
        return cls(latency_ms=settings.latency_ms, error_rate=settings.error_rate)

    def as_json(self) -> dict[str, Any]:
        """Wire form of the configuration."""
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "mode": self.mode.value,
            "hang_s": self.hang_s,
        }


async def _hang(request: web.Request, seconds: float) -> None:
    """Sleep like a stuck back end, but stop once the client has gone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


@web.middleware
async def faults_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Apply the current fault configuration to service routes."""
    if not request.path.startswith(FAULTED_PREFIXES):
        return await handler(request)
    state = request.app[keys.FAULTS]
    if state.latency_ms:
        # A slow service has received the request and is slow to answer: read
        # the body first, so a client that gives up meanwhile does not stop the
        # work (its write may land late, as with a real back end).
        await request.read()
        await asyncio.sleep(state.latency_ms / 1000)
    if state.mode is FaultMode.DOWN:
        return error_response(
            503, "service_unavailable", "The service is down (injected)."
        )
    if state.mode is FaultMode.GARBAGE:
        return web.Response(
            text=GARBAGE_BODY, content_type="text/html", charset="utf-8"
        )
    if state.mode is FaultMode.HANG:
        await _hang(request, state.hang_s)
        return error_response(
            504, "gateway_timeout", "The service did not answer (injected)."
        )
    if state.error_rate and state.rng.random() < state.error_rate:
        return error_response(503, "injected_fault", "Temporary failure (injected).")
    return await handler(request)


routes = web.RouteTableDef()


@routes.get("/sandbox/v1/faults")
async def get_faults(request: web.Request) -> web.Response:
    """Show the current fault configuration."""
    return json_response(request.app[keys.FAULTS].as_json())


@routes.put("/sandbox/v1/faults")
async def put_faults(request: web.Request) -> web.Response:
    """Change latency, error rate or mode; omitted fields stay as they are."""
    data = await validation.json_object(request)
    state = request.app[keys.FAULTS]
    latency = validation.opt_int(data, "latency_ms", 0, 60_000)
    rate = data.get("error_rate")
    if rate is not None and (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not 0 <= rate <= 1
    ):
        raise Invalid("invalid_field", "error_rate must be a number from 0 to 1.")
    mode_raw = validation.opt_str(data, "mode", 16)
    try:
        mode = None if mode_raw is None else FaultMode(mode_raw)
    except ValueError:
        raise Invalid(
            "invalid_field", "mode must be normal, down, garbage or hang."
        ) from None
    hang = data.get("hang_s")
    if hang is not None and (
        isinstance(hang, bool)
        or not isinstance(hang, int | float)
        or not 0 < hang <= MAX_HANG_S
    ):
        raise Invalid(
            "invalid_field",
            f"hang_s must be a number above 0 and at most {MAX_HANG_S:g}.",
        )
    if latency is not None:
        state.latency_ms = latency
    if rate is not None:
        state.error_rate = float(rate)
    if mode is not None:
        state.mode = mode
    if hang is not None:
        state.hang_s = float(hang)
    return json_response(state.as_json())
