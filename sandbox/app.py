"""Application factory: middlewares, routes and the database lifecycle."""

from __future__ import annotations

from aiohttp import web

from sandbox import admin, admin_world, directory, faults, keys, pay_page
from sandbox.auth import NonceCache, auth_middleware
from sandbox.clock import Clock
from sandbox.db import database_ctx
from sandbox.errors import error_middleware
from sandbox.faults import FaultState, faults_middleware
from sandbox.hotline import ratings, tickets
from sandbox.idempotency import idempotency_middleware
from sandbox.settings import SandboxSettings
from sandbox.sms import routes as sms_routes
from sandbox.traffic import (
    exam_sessions,
    exams,
    fines,
    inspections,
    licenses,
    violations,
)
from sandbox.wire import json_response

# Bodies of this API are small JSON objects; anything bigger is refused (413)
# before a handler reads it.
MAX_BODY_BYTES = 256 * 1024

ROUTE_TABLES = (
    violations.routes,
    fines.routes,
    licenses.routes,
    exam_sessions.routes,
    exams.routes,
    inspections.routes,
    tickets.routes,
    ratings.routes,
    directory.routes,
    pay_page.routes,
    admin.routes,
    admin_world.routes,
    faults.routes,
)


async def health(request: web.Request) -> web.Response:
    """200 when the database answers, else 503."""
    if await request.app[keys.DB].ping():
        return json_response({"status": "ok"})
    return json_response({"status": "unavailable"}, status=503)


def create_app(settings: SandboxSettings) -> web.Application:
    """Build the sandbox application; nothing is opened until it starts."""
    app = web.Application(
        middlewares=[
            error_middleware,
            faults_middleware,
            auth_middleware,
            idempotency_middleware,
        ],
        client_max_size=MAX_BODY_BYTES,
    )
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = Clock(settings.today)
    app[keys.FAULTS] = FaultState.from_settings(settings)
    app[keys.NONCES] = NonceCache(ttl_s=2 * settings.signature_window_s)
    app.cleanup_ctx.append(database_ctx)
    app.router.add_get("/health", health)
    for table in ROUTE_TABLES:
        app.add_routes(table)
    sms_routes.setup(app)
    return app
