"""The gateway's aiohttp app factory: resources, health, web chat, channel mounts.

Channel mount contract
----------------------
Each optional channel lives in ``channels/<name>/routes.py`` and exposes::

    def setup(app: web.Application, settings: Settings) -> None

``create_app`` calls it only when the channel's settings are present (see
``OPTIONAL_CHANNELS``) and skips, with a log line, a channel whose ``routes``
module does not exist yet. ``setup`` adds routes (under ``/<name>/…``) and
may append its own ``cleanup_ctx``: those run after the gateway's, so inside
them and inside handlers ``app[keys.RELAY]``, ``app[keys.HTTP_SESSION]`` and
``app[keys.STORE]`` are ready. Handlers build an ``InboundMessage`` and call
``await app[keys.RELAY].handle(message)``; they must not talk to Rasa or the
store directly. An import error inside a present module is a bug and fails
startup loudly.
"""

import importlib
from collections.abc import AsyncIterator, Callable

import aiohttp
import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.settings import Settings
from channels import keys
from channels.inbox import routes as inbox_routes
from channels.rasa_client import RasaClient
from channels.relay import Relay
from channels.stores import open_store
from channels.web import routes as web_routes

__all__ = ["OPTIONAL_CHANNELS", "AccessLogger", "create_app", "mount_channels"]

log = structlog.get_logger(__name__)

OPTIONAL_CHANNELS: tuple[tuple[str, Callable[[Settings], bool]], ...] = (
    ("telegram", lambda s: bool(s.channels.telegram.token)),
    ("wechat", lambda s: bool(s.channels.wechat.token)),
    (
        "sms",
        lambda s: bool(
            s.channels.sms.twilio_auth_token or s.channels.sms.aliyun_path_secret
        ),
    ),
    ("voice", lambda s: bool(s.channels.voice_relay_secret)),
)
"""Channel name → whether its settings switch it on."""


def route_of(request: web.BaseRequest) -> str:
    """The matched route's pattern (``/sms/aliyun/{secret}``), never the raw path.

    Paths can carry secrets (the Alibaba Cloud uplink's path secret) and query
    strings ids (R4); an unmatched path may be a guess at a secret.
    """
    match_info = getattr(request, "match_info", None)
    resource = getattr(getattr(match_info, "route", None), "resource", None)
    return resource.canonical if resource is not None else "(no route)"


class AccessLogger(AbstractAccessLogger):
    """Access log by route pattern: no path secrets, no query strings (R4)."""

    def log(
        self, request: web.BaseRequest, response: web.StreamResponse, time: float
    ) -> None:
        """One ``gateway.http.access`` record per request."""
        log.info(
            "gateway.http.access",
            method=request.method,
            path=route_of(request),
            status=response.status,
            ms=round(time * 1000),
        )


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """A crash answers a plain 500: no traceback or request data reaches a client."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception(
            "gateway.request.crashed", method=request.method, path=route_of(request)
        )
        return web.json_response({"error": "internal_error"}, status=500)


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    timeout = aiohttp.ClientTimeout(total=settings.channels.rasa_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        app[keys.HTTP_SESSION] = session
        yield


async def _store(app: web.Application) -> AsyncIterator[None]:
    store = open_store(app[keys.SETTINGS])
    app[keys.STORE] = store
    log.info("gateway.store.opened", kind=type(store).__name__)
    try:
        yield
    finally:
        await store.close()


async def _relay(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    rasa = RasaClient(app[keys.HTTP_SESSION], settings)
    app[keys.RASA_CLIENT] = rasa
    app[keys.RELAY] = Relay(rasa, app[keys.STORE], settings)
    yield


async def health(request: web.Request) -> web.Response:
    """Ready: resources are open and every enabled channel is mounted."""
    return web.json_response(
        {"status": "ok", "channels": ["web", *request.app[keys.MOUNTED_CHANNELS]]}
    )


def mount_channels(app: web.Application, settings: Settings) -> list[str]:
    """Call ``setup`` of every enabled channel whose routes module exists."""
    mounted: list[str] = []
    for name, enabled in OPTIONAL_CHANNELS:
        if not enabled(settings):
            log.info("gateway.channel.off", channel=name)
            continue
        module_name = f"channels.{name}.routes"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            log.warning("gateway.channel.missing", channel=name)
            continue
        module.setup(app, settings)
        mounted.append(name)
        log.info("gateway.channel.mounted", channel=name)
    return mounted


def create_app(settings: Settings) -> web.Application:
    """The gateway application (resources open on startup, close on cleanup)."""
    app = web.Application(middlewares=[error_middleware])
    app[keys.SETTINGS] = settings
    app.cleanup_ctx.extend([_http_session, _store, _relay])
    app.router.add_get("/health", health)
    web_routes.setup(app, settings)
    app[keys.MOUNTED_CHANNELS] = mount_channels(app, settings)
    # After the channels: staff replies are delivered through their senders.
    inbox_routes.setup(
        app,
        settings,
        address_key=settings.channels.address_key,
        ttl_s=settings.channels.handoff_ttl_s,
    )
    return app
