"""Telegram on the gateway: the aiogram Bot and Dispatcher, webhook or long polling.

``setup(app, settings)`` follows the channel mount contract of ``channels.app``.

Webhook mode (``TELEGRAM_MODE=webhook``, the default): ``POST /telegram/webhook``
is aiogram's ``SimpleRequestHandler`` with two fixes. The secret header is
compared with ``security.secrets_equal`` (aiogram's ``compare_digest`` on
``str`` raises on non-ASCII input: HTTP 500 instead of 401), and the body is
checked before Telegram is answered (not JSON or no ``update_id``: 400 with a
reason, instead of a crash in the background; an update aiogram cannot model
is acknowledged and logged, see ``to_update``). Telegram then gets ``200 {}`` at
once and the update is handled in a background task whose reference is kept
(and awaited at shutdown). At start the webhook is set only when Telegram's
current one differs: the URL is ``PUBLIC_BASE_URL/telegram/webhook?v=<hash of
the secret>``, so rotating ``TELEGRAM_WEBHOOK_SECRET`` changes the URL and
re-registers the webhook with the new secret.

Polling mode (``TELEGRAM_MODE=polling``, development): a webhook left over is
deleted (``getUpdates`` refuses to run beside one), then aiogram long-polls
in a background task until the app stops. No route is mounted.

``TELEGRAM_API_BASE`` is passed to ``TelegramAPIServer.from_base`` so tests and
a self-hosted Bot API server work the same way.
"""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.settings import Settings, TelegramSettings
from channels import keys
from channels.security import is_valid_telegram_secret, secrets_equal
from channels.telegram import response_models  # noqa: F401  (pins Response[T] models)
from channels.telegram.handlers import build_router
from channels.telegram.render import CallbackPayloads

__all__ = ["SECRET_HEADER", "WEBHOOK_PATH", "TelegramRuntime", "setup", "webhook_url"]

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 256 * 1024
"""Far above any real update; a larger body is refused before parsing."""
API_TIMEOUT_S = 15
DRAIN_TIMEOUT_S = 10.0
"""How long shutdown waits for updates still being answered."""


class BadUpdate(ValueError):
    """A webhook body that is not a Bot API update; ``reason`` is for the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_update(body: bytes) -> dict[str, Any]:
    """Check a webhook body is an update envelope (raises ``BadUpdate``)."""
    if len(body) > MAX_UPDATE_BYTES:
        raise BadUpdate("body too large")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadUpdate("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadUpdate("body is not a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadUpdate("update_id missing or not an integer")
    return data


def to_update(data: dict[str, Any], bot: Bot) -> Update | None:
    """The aiogram ``Update``, or ``None`` for one we cannot or need not handle.

    An update that aiogram's models reject, or of a type it does not know,
    is still a real Telegram update (the Bot API grows faster than aiogram):
    answering it with an error would only make Telegram redeliver it and hold
    back that chat's later updates. It is acknowledged and logged instead.
    """
    try:
        update = Update.model_validate(data, context={"bot": bot})
    except ValidationError as exc:
        fields = sorted({".".join(map(str, err["loc"])) for err in exc.errors()})
        log.warning(
            "channel.telegram.update.unparsed",
            update_id=data["update_id"],
            fields=fields[:5],
        )
        return None
    try:
        update.event_type  # noqa: B018 - raises for update types aiogram lacks
    except UpdateTypeLookupError:
        log.info("channel.telegram.update.ignored", update_id=update.update_id)
        return None
    return update


class WebhookHandler(SimpleRequestHandler):
    """aiogram's webhook handler: safe secret check, body check, tracked tasks."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str) -> None:
        super().__init__(
            dispatcher, bot, handle_in_background=True, secret_token=secret_token
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def verify_secret(self, telegram_secret_token: str | None, bot: Bot) -> bool:
        """Constant time, never raises (non-ASCII or missing headers just fail)."""
        return secrets_equal(telegram_secret_token, self.secret_token or "")

    async def handle(self, request: web.Request) -> web.Response:
        """Verify, validate, answer ``200 {}`` at once; the update runs after."""
        if not self.verify_secret(request.headers.get(SECRET_HEADER), self.bot):
            log.warning(
                "channel.telegram.secret.rejected",
                header_present=SECRET_HEADER in request.headers,
                remote=request.remote,
            )
            return web.Response(status=401, text="unauthorized")
        try:
            data = parse_update(await request.read())
        except BadUpdate as exc:
            log.warning("channel.telegram.update.malformed", reason=exc.reason)
            return web.Response(status=400, text=exc.reason)
        update = to_update(data, self.bot)
        if update is None:
            return web.json_response({})
        task = asyncio.create_task(self._feed(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({})

    async def _feed(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update, **self.data)
        except Exception:
            log.exception("channel.telegram.update.failed", update_id=update.update_id)

    async def drain(self, timeout: float) -> None:
        """Let running updates finish (up to ``timeout``), then cancel the rest."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        """The bot session is closed by the mount's cleanup, not here."""


@dataclass
class TelegramRuntime:
    """What the Telegram mount holds for the app's lifetime."""

    bot: Bot
    dispatcher: Dispatcher
    payloads: CallbackPayloads
    webhook: WebhookHandler | None = None
    polling: asyncio.Task[None] | None = field(default=None, repr=False)


RUNTIME = web.AppKey("telegram_runtime", TelegramRuntime)


def webhook_url(public_base_url: str, secret: str) -> str:
    """The URL registered with Telegram (changes when the secret does)."""
    version = hashlib.sha256(f"govbot-telegram:{secret}".encode()).hexdigest()[:12]
    return f"{public_base_url.rstrip('/')}{WEBHOOK_PATH}?v={version}"


def _bot(settings: TelegramSettings) -> Bot:
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    api = TelegramAPIServer.from_base(settings.api_base.rstrip("/"))
    session = AiohttpSession(api=api, timeout=API_TIMEOUT_S)
    return Bot(token=settings.token, session=session)


async def _ensure_webhook(runtime: TelegramRuntime, url: str, secret: str) -> None:
    bot, dispatcher = runtime.bot, runtime.dispatcher
    wanted = sorted(dispatcher.resolve_used_update_types())
    info = await bot.get_webhook_info()
    if info.url == url and sorted(info.allowed_updates or []) == wanted:
        log.info("channel.telegram.webhook.unchanged")
        return
    await bot.set_webhook(url, secret_token=secret, allowed_updates=wanted)
    log.info("channel.telegram.webhook.set", replaced=bool(info.url))


async def _start_polling(runtime: TelegramRuntime) -> None:
    bot, dispatcher = runtime.bot, runtime.dispatcher
    info = await bot.get_webhook_info()
    if info.url:
        await bot.delete_webhook(drop_pending_updates=False)
        log.info("channel.telegram.webhook.deleted_for_polling")
    runtime.polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    log.info("channel.telegram.polling.started")


async def _stop_polling(runtime: TelegramRuntime) -> None:
    task = runtime.polling
    if task is None:
        return
    if not task.done():
        try:
            await runtime.dispatcher.stop_polling()
        except RuntimeError:  # polling never got going
            task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _lifecycle(settings: TelegramSettings, public_base_url: str | None) -> Any:
    async def telegram_ctx(app: web.Application) -> AsyncIterator[None]:
        runtime = app[RUNTIME]
        runtime.dispatcher["relay"] = app[keys.RELAY]
        try:
            if settings.mode == "polling":
                await _start_polling(runtime)
            elif public_base_url and settings.webhook_secret:
                url = webhook_url(public_base_url, settings.webhook_secret)
                await _ensure_webhook(runtime, url, settings.webhook_secret)
            else:
                log.warning("channel.telegram.webhook.no_public_url")
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # The gateway's other channels must still start; say why Telegram won't.
            log.error("channel.telegram.start.failed", error=type(exc).__name__)
        try:
            yield
        finally:
            await _stop_polling(runtime)
            if runtime.webhook is not None:
                await runtime.webhook.drain(DRAIN_TIMEOUT_S)
            await runtime.bot.session.close()

    return telegram_ctx


def setup(app: web.Application, settings: Settings) -> None:
    """Mount Telegram (channel mount contract, see ``channels.app``).

    Raises:
        ValueError: In webhook mode, if the secret is missing or not a legal
            Telegram ``secret_token`` (start-up fails, not the first update).
    """
    telegram = settings.channels.telegram
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    payloads = CallbackPayloads()
    dispatcher["payloads"] = payloads
    runtime = TelegramRuntime(
        bot=_bot(telegram), dispatcher=dispatcher, payloads=payloads
    )
    if telegram.mode != "polling":
        secret = telegram.webhook_secret or ""
        if not is_valid_telegram_secret(secret):
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z, a-z, 0-9, _ and -"
            )
        runtime.webhook = WebhookHandler(dispatcher, runtime.bot, secret)
        app.router.add_post(WEBHOOK_PATH, runtime.webhook.handle)
    app[RUNTIME] = runtime
    app.cleanup_ctx.append(_lifecycle(telegram, settings.channels.public_base_url))
