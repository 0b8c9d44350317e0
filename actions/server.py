"""The action server: rasa-sdk's executor behind our own aiohttp app.

rasa-sdk ships a Sanic server whose 500 handler echoes the request body (the
whole tracker, personal data included) and which has no place for a shared
client session. This app runs the same executor with one ``ClientSession``
opened and closed in a ``cleanup_ctx`` and answers failures without echoing.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import structlog
from aiohttp import web
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from actions.backend import Backend
from actions.keys import ACTIONS, BACKEND, EXECUTOR
from actions.registry import build_actions
from bot.settings import Settings

log = structlog.get_logger(__name__)
MAX_BODY = 8 * 1024 * 1024  # trackers of long conversations are large


def _backend_ctx(settings: Settings) -> Any:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=settings.backend.timeout_s * 3)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            backend = Backend(settings.backend, session)
            actions = build_actions(backend)
            executor = ActionExecutor()
            for action in actions.values():
                executor.register_action(action)
            app[BACKEND] = backend
            app[ACTIONS] = actions
            app[EXECUTOR] = executor
            yield

    return ctx


async def health(request: web.Request) -> web.Response:
    """Ready once the executor holds every action."""
    return web.json_response({"status": "ok", "actions": len(request.app[ACTIONS])})


async def list_actions(request: web.Request) -> web.Response:
    """The registered action names (as rasa-sdk's ``GET /actions``)."""
    names: list[str] = list(request.app[ACTIONS].keys())
    return web.json_response([{"name": name} for name in sorted(names)])


async def _read_call(request: web.Request) -> dict[str, Any] | None:
    raw = await request.read()
    if request.headers.get("Content-Encoding") == "deflate":
        raw = zlib.decompress(raw)
    try:
        call = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(call, dict) or not isinstance(call.get("tracker"), dict):
        return None
    return call


async def webhook(request: web.Request) -> web.Response:
    """Run one action call from Rasa; errors never echo the tracker."""
    try:
        call = await _read_call(request)
    except zlib.error:
        call = None
    if call is None:
        log.warning("actions.webhook.bad_body")
        return web.json_response(
            {"error": "body must be a Rasa action call"}, status=400
        )
    name = str(call.get("next_action") or "")
    try:
        result = await request.app[EXECUTOR].run(call)
    except ActionExecutionRejection as exc:
        return web.json_response(
            {"error": exc.message, "action_name": name}, status=400
        )
    except ActionNotFoundException:
        log.error("actions.webhook.unknown_action", action=name)
        return web.json_response(
            {
                "error": f"No registered action found for name '{name}'.",
                "action_name": name,
            },
            status=404,
        )
    except Exception:
        log.exception("actions.webhook.failed", action=name)
        return web.json_response(
            {"error": "action failed", "action_name": name}, status=500
        )
    body = result.model_dump() if result else None
    return web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def create_app(settings: Settings) -> web.Application:
    """The action server application."""
    app = web.Application(client_max_size=MAX_BODY)
    app.cleanup_ctx.append(_backend_ctx(settings))
    app.router.add_get("/health", health)
    app.router.add_get("/actions", list_actions)
    app.router.add_post("/webhook", webhook)
    return app
