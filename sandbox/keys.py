"""Typed keys of the application and request state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from sandbox.auth import NonceCache
    from sandbox.clock import Clock
    from sandbox.db import Database
    from sandbox.faults import FaultState
    from sandbox.settings import SandboxSettings

SETTINGS: web.AppKey[SandboxSettings] = web.AppKey("sandbox_settings")
DB: web.AppKey[Database] = web.AppKey("sandbox_db")
CLOCK: web.AppKey[Clock] = web.AppKey("sandbox_clock")
FAULTS: web.AppKey[FaultState] = web.AppKey("sandbox_faults")
NONCES: web.AppKey[NonceCache] = web.AppKey("sandbox_nonces")

# The app key whose signature the request carried.
CALLER: web.RequestKey[str] = web.RequestKey("sandbox_caller")
