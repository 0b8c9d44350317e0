"""Typed ``web.AppKey`` constants of the console app, and the request keys."""

from __future__ import annotations

from aiohttp import web

from bot.settings import Settings
from review.console.nav import NavItem
from review.console.ratelimit import LoginLimiter
from review.console.sessions import Staff
from review.logdb.database import LogDatabase

__all__ = ["DB", "FEATURES", "LIMITER", "NAV", "SECRET", "SETTINGS", "STAFF"]

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", LogDatabase)
"""The conversation log database; staff tables live in it too."""
LIMITER = web.AppKey("limiter", LoginLimiter)
SECRET = web.AppKey("secret", bytes)
"""Signs the pre-login CSRF cookie."""
NAV = web.AppKey("nav", list[NavItem])
FEATURES = web.AppKey("features", list[str])
"""Features whose ``routes.setup`` ran (for ``/health`` and the navigation)."""
STAFF = web.RequestKey("staff", Staff)
"""Request key of the signed-in ``Staff`` (set by the auth middleware)."""
