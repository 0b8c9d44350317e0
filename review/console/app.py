"""The console's aiohttp app factory; features (queue, inbox, training) mount on it.

Extension contract
------------------
A feature lives in ``review/<feature>/`` for feature in ``FEATURES``
("queue", "inbox", "training"). ``create_app`` imports
``review.<feature>.routes`` if it exists and calls::

    def setup(app: web.Application, settings: Settings) -> None

(a missing module is skipped with a ``console.feature.missing`` log line; an
import error inside a present module fails startup loudly). In ``setup`` and
its handlers:

- add routes under ``/<feature>/…``; the navigation links ``/<feature>``
  (see ``nav.FEATURE_NAV``) once the feature is mounted, so serve that page;
- mark EVERY handler with ``@require_role("reviewer" | "trainer" | "admin")``
  from ``review.console.auth`` (roles include the lower ones). An unmarked
  handler answers 403: the console denies by default;
- ``current_user(request)`` (``review.console.auth``) is the signed-in
  ``Staff`` (``username``, ``role``, ``may(role)``);
- ``request.app[DB]`` (``review.console.keys.DB``) is the ``LogDatabase``:
  ``async with db.read() as s`` / ``async with db.write() as s``;
- ``render(request, "<feature>/page.html", context)`` (``review.console.render``)
  renders ``review/<feature>/templates/page.html``, which should
  ``{% extends "layout.html" %}`` and fill ``{% block title %}`` and
  ``{% block content %}``; Jinja2 autoescapes. Forms that POST include
  ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``;
  fetch calls send the ``X-CSRF-Token`` header (its value is in
  ``<meta name="csrf-token">``). Every POST/PUT/PATCH/DELETE without it gets 403;
- static files go in ``review/<feature>/static/`` and are served under
  ``/static/<feature>/``; scripts must be files (the CSP forbids inline script);
- record every change with ``await audit_change(request, "<feature>.<verb>",
  target, reason)`` (``review.console.auditing``; pass ``session=`` to commit
  the entry with the change);
- a feature may append its own ``cleanup_ctx`` (it runs after the console's,
  so ``app[DB]`` is open) and its own tables in a migration
  ``review/logdb/migrations/versions/0002_<feature>.py`` branching from 0001.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import web

from bot.settings import Settings
from review.console import keys
from review.console.audit_view import audit_page
from review.console.auth import csrf_middleware, public, session_middleware
from review.console.dashboard_view import dashboard_page
from review.console.headers import add_security_headers
from review.console.login import login_form, login_submit, logout
from review.console.nav import ADMIN_NAV, CONSOLE_NAV, FEATURE_NAV, NavItem
from review.console.private_files import read_or_create_secret
from review.console.ratelimit import LoginLimiter
from review.console.users_view import add_user_submit, change_user_submit, users_page
from review.logdb.database import LogDatabase

__all__ = ["FEATURES", "create_app", "mount_features", "secret_key"]

log = structlog.get_logger(__name__)

HERE = Path(__file__).resolve().parent
REVIEW = HERE.parent
FEATURES = ("queue", "inbox", "training")
SECRET_FILE = "console-secret-key"


def secret_key(settings: Settings) -> bytes:
    """``CONSOLE_SECRET_KEY``, else a random key kept (mode 0600) in ``var_dir``."""
    if settings.console.secret_key:
        return settings.console.secret_key.encode()
    return read_or_create_secret(settings.var_dir / SECRET_FILE)


async def _database(app: web.Application) -> AsyncIterator[None]:
    db = LogDatabase(app[keys.SETTINGS].conversation_log_url)
    app[keys.DB] = db
    try:
        yield
    finally:
        await db.dispose()


@public
async def health(request: web.Request) -> web.Response:
    """Ready: the database answers; lists the mounted features."""
    async with request.app[keys.DB].read() as session:
        await session.connection()
    return web.json_response({"status": "ok", "features": request.app[keys.FEATURES]})


def mount_features(app: web.Application, settings: Settings) -> list[str]:
    """Call ``setup`` of every feature whose ``routes`` module exists."""
    mounted: list[str] = []
    for name in FEATURES:
        module_name = f"review.{name}.routes"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name not in (module_name, f"review.{name}"):
                raise
            log.info("console.feature.missing", feature=name)
            continue
        module.setup(app, settings)
        mounted.append(name)
        log.info("console.feature.mounted", feature=name)
    return mounted


def _templates(app: web.Application) -> None:
    features = {
        name: jinja2.FileSystemLoader(REVIEW / name / "templates") for name in FEATURES
    }
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(HERE / "templates"), jinja2.PrefixLoader(features)]
        ),
        autoescape=True,
    )


def create_app(settings: Settings) -> web.Application:
    """The console: login, dashboard, users, audit log, and mounted features."""
    app = web.Application(middlewares=[session_middleware, csrf_middleware])
    app[keys.SETTINGS] = settings
    app[keys.SECRET] = secret_key(settings)
    app[keys.LIMITER] = LoginLimiter(settings.console.login_attempts_per_15_min)
    app.cleanup_ctx.append(_database)
    app.on_response_prepare.append(add_security_headers)
    _templates(app)
    app.router.add_get("/health", health)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", dashboard_page)
    app.router.add_get("/users", users_page)
    app.router.add_post("/users", add_user_submit)
    app.router.add_post("/users/{username}", change_user_submit)
    app.router.add_get("/audit", audit_page)
    app.router.add_static("/static/console/", HERE / "static")
    mounted = mount_features(app, settings)
    for name in mounted:
        static = REVIEW / name / "static"
        if static.is_dir():
            app.router.add_static(f"/static/{name}/", static)
    app[keys.FEATURES] = mounted
    nav: list[NavItem] = [
        *CONSOLE_NAV,
        *(FEATURE_NAV[name] for name in mounted),
        *ADMIN_NAV,
    ]
    app[keys.NAV] = nav
    return app
