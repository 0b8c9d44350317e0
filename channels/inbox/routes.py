"""The inbox's HTTP routes: the internal API for the console, the web page's poll.

Internal API (``Authorization: Bearer <INTERNAL_API_TOKEN>``, compared in
constant time; anything else is 401):

* ``GET /internal/handoffs`` → ``{handoffs: [summary…]}``, longest wait first;
* ``GET /internal/handoffs/{sender}`` → summary + ``paused``, ``transcript``
  and ``slots`` (masked);
* ``POST /internal/handoffs/{sender}/reply`` ``{text, staff}`` → what was
  delivered; ``POST …/release`` ``{staff}`` → what happened.

Errors are JSON ``{error, reason?}``: 400 bad body, 401, 404 no open handoff,
409 the citizen cannot be reached that way (voice, WeChat's 48 h window,
SMS opt-out…), 502 the provider or Rasa failed. Keep ``/internal/`` off the
public proxy as well: the token is the only lock on it.

For the web page: ``GET /web/api/staff?conversation_id=…[&after=cursor]`` →
``{with_staff, cursor, messages}``: whether the conversation is with staff,
and the bot messages (staff replies, the release notice) newer than
``after``. Without ``after`` only the cursor comes back, to start from.
"""

import functools
import hmac
import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from bot.settings import Settings
from channels import keys
from channels.inbox.delivery import Undeliverable
from channels.inbox.rasa_tracker import RasaTracker
from channels.inbox.recorder import HandoffRecorder
from channels.inbox.records import SENDER
from channels.inbox.sealing import SANDBOX_ADDRESS_KEY, AddressCipher
from channels.inbox.service import GatewayInbox, HandoffNotFound
from channels.inbox.store import (
    HandoffStore,
    MemoryHandoffStore,
    RedisHandoffStore,
)
from channels.inbox.transcript import bot_messages_after
from channels.messages import reply_to_json
from channels.rasa_client import RasaError
from channels.replies import replies_from_rasa
from channels.stores import StoreUnavailable

__all__ = ["HANDOFF_TTL_S", "INBOX", "setup"]

log = structlog.get_logger(__name__)

HANDOFF_TTL_S = 48 * 3600.0
"""A record (and its sealed address) lives this long after the citizen's latest
message: WeChat's customer-service window; staff should have answered long before."""
INBOX = web.AppKey("inbox", GatewayInbox)
MAX_BODY_BYTES = 16_384
MAX_REPLY_CHARS = 1000
MAX_STAFF_CHARS = 64
_UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_dumps = functools.partial(json.dumps, ensure_ascii=False)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps, headers=_HEADERS)


def _error(status: int, error: str, reason: str | None = None) -> web.Response:
    body = {"error": error} if reason is None else {"error": error, "reason": reason}
    return _json(body, status)


def _authorized(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented or not token:
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def internal(handler: Handler) -> Handler:
    """Refuse without the bearer token; map the inbox's errors to statuses."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        token = request.app[keys.SETTINGS].console.internal_token
        if not _authorized(request, token):
            log.warning("inbox.api.unauthorized")
            response = _error(401, "unauthorized")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        sender = request.match_info.get("sender")
        if sender is not None and SENDER.fullmatch(sender) is None:
            return _error(404, "no_open_handoff")
        try:
            return await handler(request)
        except _BadBody as exc:
            return _error(400, "bad_request", exc.reason)
        except HandoffNotFound:
            return _error(404, "no_open_handoff")
        except Undeliverable as exc:
            log.warning("inbox.delivery.failed", status=exc.status, reason=exc.reason)
            return _error(exc.status, "undeliverable", exc.reason)
        except RasaError as exc:
            log.error("inbox.rasa.failed", reason=exc.reason)
            return _error(502, "rasa_unavailable", exc.reason)
        except StoreUnavailable:
            log.error("inbox.store.unavailable")
            return _error(503, "store_unavailable")

    return checked


class _BadBody(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise _BadBody("json_required")
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _BadBody("too_large")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise _BadBody("bad_json") from None
    if not isinstance(body, dict):
        raise _BadBody("bad_json")
    return body


def _field(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _BadBody(f"{name}_required")
    if len(value) > limit:
        raise _BadBody(f"{name}_too_long")
    return value.strip()


@internal
async def list_handoffs(request: web.Request) -> web.StreamResponse:
    """Open handoffs, the longest-waiting first."""
    return _json({"handoffs": await request.app[INBOX].open_handoffs()})


@internal
async def show_handoff(request: web.Request) -> web.StreamResponse:
    """One handoff: summary, masked transcript, masked slots."""
    return _json(await request.app[INBOX].detail(request.match_info["sender"]))


@internal
async def reply(request: web.Request) -> web.StreamResponse:
    """A staff message to the citizen, on their channel."""
    body = await _body(request)
    text = _field(body, "text", MAX_REPLY_CHARS)
    staff = _field(body, "staff", MAX_STAFF_CHARS)
    sender = request.match_info["sender"]
    return _json(await request.app[INBOX].reply(sender, text, staff))


@internal
async def release(request: web.Request) -> web.StreamResponse:
    """Give the conversation back to the bot."""
    body = await _body(request)
    staff = _field(body, "staff", MAX_STAFF_CHARS)
    sender = request.match_info["sender"]
    return _json(await request.app[INBOX].release(sender, staff))


async def web_staff_messages(request: web.Request) -> web.StreamResponse:
    """The web page's poll while its conversation is with staff."""
    conversation_id = request.query.get("conversation_id", "")
    if _UUID4.fullmatch(conversation_id) is None:
        return _error(400, "bad_conversation_id")
    raw_after = request.query.get("after")
    try:
        after = None if raw_after is None else float(raw_after)
    except ValueError:
        return _error(400, "bad_after")
    if after is not None and not math.isfinite(after):
        return _error(400, "bad_after")
    sender = await request.app[keys.RELAY].conversation("web", conversation_id)
    try:
        tracker = await request.app[TRACKER].read(sender)
    except RasaError as exc:
        log.error("inbox.web_poll.failed", reason=exc.reason)
        return _error(503, "unavailable")
    messages, cursor = bot_messages_after(tracker, after or 0.0)
    replies = replies_from_rasa(messages) if after is not None else []
    return _json(
        {
            "with_staff": tracker.get("paused") is True,
            "cursor": cursor,
            "messages": [reply_to_json(reply) for reply in replies],
        }
    )


TRACKER = web.AppKey("inbox_tracker", RasaTracker)


def _open_store(settings: Settings) -> HandoffStore:
    if settings.redis_url:
        return RedisHandoffStore.from_url(settings.redis_url, settings.redis_prefix)
    return MemoryHandoffStore()


def _lifecycle(address_key: str, ttl_s: float) -> Callable[..., AsyncIterator[None]]:
    async def inbox_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        store = _open_store(settings)
        tracker = RasaTracker(app[keys.HTTP_SESSION], settings)
        cipher = AddressCipher.from_setting(address_key)
        relay = app[keys.RELAY]
        relay.set_handoff_listener(HandoffRecorder(store, tracker, cipher, ttl_s))
        app[TRACKER] = tracker
        app[INBOX] = GatewayInbox(app, store, tracker, cipher, ttl_s)
        try:
            yield
        finally:
            relay.set_handoff_listener(None)
            await store.close()

    return inbox_ctx


def setup(
    app: web.Application,
    settings: Settings,
    *,
    address_key: str = SANDBOX_ADDRESS_KEY,
    ttl_s: float = HANDOFF_TTL_S,
) -> None:
    """Mount the inbox (after the gateway's resources, see ``channels.app``).

    Args:
        app: The gateway app.
        settings: The gateway's settings.
        address_key: Keys sealing channel addresses, comma-separated, newest
            first (``GATEWAY_ADDRESS_KEY``).
        ttl_s: How long a record lives after the citizen's latest message
            (``GATEWAY_HANDOFF_TTL_S``).
    """
    if address_key == SANDBOX_ADDRESS_KEY:
        log.warning("inbox.address_key.sandbox")
    app.router.add_get("/internal/handoffs", list_handoffs)
    app.router.add_get("/internal/handoffs/{sender}", show_handoff)
    app.router.add_post("/internal/handoffs/{sender}/reply", reply)
    app.router.add_post("/internal/handoffs/{sender}/release", release)
    app.router.add_get("/web/api/staff", web_staff_messages)
    app.cleanup_ctx.append(_lifecycle(address_key, ttl_s))
