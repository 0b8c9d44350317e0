"""Web chat: the page at ``/``, its static files and its JSON endpoints.

``POST /web/api/messages`` takes ``{conversation_id, message_id, text?,
payload?}`` and answers ``{status, replies: [{text, choices: [{title,
payload}], links: [{title, url}], image_url}]}``; ``503`` (``Retry-After``)
means "not processed, send the same message id again". ``GET
/web/api/history?conversation_id=…`` answers ``{messages: [{role, text,
choices, links, image_url}]}`` for a reconnecting page.

The conversation id is a random UUID (v4) made by the page and kept in its
``localStorage``: it is the only credential of the conversation (122 random
bits), so it is validated strictly and never logged (the Rasa sender is its
keyed hash). A ``message_id`` (UUID v4 too) makes client retries idempotent.
"""

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from bot.settings import Settings
from channels import keys
from channels.messages import InboundMessage, Outcome, reply_to_json
from channels.rasa_client import RasaError

__all__ = ["CONTENT_SECURITY_POLICY", "setup"]

log = structlog.get_logger(__name__)

CHANNEL = "web"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {
    "chat.js": "text/javascript",
    "chat.css": "text/css",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
_dumps = functools.partial(json.dumps, ensure_ascii=False)
MAX_BODY_BYTES = 16_384
MAX_TEXT_CHARS = 2000
FILES = web.AppKey("web_chat_files", dict[str, bytes])


class _BadRequest(Exception):
    """The request is malformed; ``reason`` goes back to the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _json(data: object, **kwargs: Any) -> web.Response:
    return web.json_response(data, dumps=_dumps, **kwargs)


def _error(status: int, reason: str) -> web.Response:
    return _json({"error": reason}, status=status, headers=_API_HEADERS)


def _conversation_id(value: object) -> str:
    if not isinstance(value, str) or _UUID4.fullmatch(value) is None:
        raise _BadRequest(400, "bad_conversation_id")
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise _BadRequest(400, f"bad_{name}")
    return value


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (curl, tests)
    return urlsplit(origin).netloc == request.host


async def _parse_message(request: web.Request) -> InboundMessage:
    if request.content_type != "application/json":
        raise _BadRequest(415, "json_required")
    if not _same_origin(request):
        raise _BadRequest(403, "cross_origin")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise _BadRequest(413, "too_large")
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _BadRequest(413, "too_large")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _BadRequest(400, "bad_json") from exc
    if not isinstance(body, dict):
        raise _BadRequest(400, "bad_json")
    conversation_id = _conversation_id(body.get("conversation_id"))
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or _UUID4.fullmatch(message_id) is None:
        raise _BadRequest(400, "bad_message_id")
    text, payload = _optional_text(body, "text"), _optional_text(body, "payload")
    if not text and not payload:
        raise _BadRequest(400, "empty_message")
    return InboundMessage(
        channel=CHANNEL,
        user_id=conversation_id,
        text=text,
        payload=payload,
        message_id=message_id,
    )


async def post_message(request: web.Request) -> web.Response:
    """Relay one message typed or chosen on the page."""
    try:
        message = await _parse_message(request)
    except _BadRequest as exc:
        log.info("channel.web.request.rejected", reason=exc.reason)
        return _error(exc.status, exc.reason)
    result = await request.app[keys.RELAY].handle(message)
    body = {
        "status": result.outcome.value,
        "duplicate": result.duplicate,
        "replies": [reply_to_json(reply) for reply in result.replies],
    }
    if result.outcome is Outcome.STORE_UNAVAILABLE:
        headers = {**_API_HEADERS, "Retry-After": "2"}
        return _json(body, status=503, headers=headers)
    return _json(body, headers=_API_HEADERS)


async def get_history(request: web.Request) -> web.Response:
    """The conversation so far, for a page that reloads or reconnects."""
    try:
        conversation_id = _conversation_id(request.query.get("conversation_id"))
    except _BadRequest as exc:
        return _error(exc.status, exc.reason)
    try:
        entries = await request.app[keys.RELAY].history(CHANNEL, conversation_id)
    except RasaError as exc:
        log.error("channel.web.history.failed", reason=exc.reason)
        return _error(503, "unavailable")
    messages = [
        {"role": entry.role.value, **reply_to_json(entry.reply)} for entry in entries
    ]
    return _json({"messages": messages}, headers=_API_HEADERS)


async def page(request: web.Request) -> web.Response:
    """The chat page (the whole UI is static; the data comes from the API)."""
    return web.Response(
        body=request.app[FILES]["index.html"],
        content_type="text/html",
        charset="utf-8",
        headers=_PAGE_HEADERS,
    )


async def static_file(request: web.Request) -> web.Response:
    """``chat.js`` / ``chat.css`` from the package (a fixed list, no paths)."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.Response(
        body=request.app[FILES][name],
        content_type=STATIC_FILES[name],
        charset="utf-8",
        headers=_PAGE_HEADERS,
    )


async def no_favicon(request: web.Request) -> web.Response:
    """Browsers ask for it; answering 204 keeps 404s out of the logs."""
    return web.Response(status=204)


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the web chat page and API (the web chat needs no configuration)."""
    app[FILES] = {
        name: (STATIC_DIR / name).read_bytes() for name in ("index.html", *STATIC_FILES)
    }
    app.router.add_get("/", page)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_get("/web/static/{name}", static_file)
    app.router.add_post("/web/api/messages", post_message)
    app.router.add_get("/web/api/history", get_history)
