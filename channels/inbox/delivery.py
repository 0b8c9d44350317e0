"""Delivering a staff message on the citizen's own channel.

Telegram: ``sendMessage`` through the mounted bot. WeChat: a customer-service
message (only within 48 h of the citizen's last message: WeChat's rule).
SMS: the provider that carried the conversation, never to a number that
opted out. Web chat: nothing to send here — the message is appended to the
tracker and the page, polling while the conversation is with staff, shows
it. Voice: the call was transferred to a person; nothing can reach it later.

Every failure is an ``Undeliverable`` with an HTTP status for the internal API
(409: this citizen cannot be reached this way now; 502: the provider failed)
and a reason safe to log and show staff.
"""

from dataclasses import dataclass

import structlog
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiohttp import web

from channels import keys
from channels.inbox.records import HandoffRecord
from channels.inbox.sealing import AddressCipher, AddressUnreadable
from channels.replies import BotReply
from channels.sms import routes as sms_routes
from channels.sms.render import render_sms
from channels.stores import StoreUnavailable
from channels.telegram import routes as telegram_routes
from channels.text_split import Unit, split_text
from channels.wechat import routes as wechat_routes
from channels.wechat.sender import OUT_OF_WINDOW, WeChatApiError, WeChatRefused
from channels.wechat.xml_codec import MAX_TEXT_REPLY_BYTES

__all__ = ["TRACKER_ONLY_CHANNELS", "Delivered", "Undeliverable", "deliver"]

log = structlog.get_logger(__name__)

TRACKER_ONLY_CHANNELS = frozenset({"web"})
"""Channels whose page reads staff messages from the tracker."""
TELEGRAM_MAX_UTF16 = 4096
SMS_MAX_PARTS = 3


class Undeliverable(Exception):
    """The message could not reach the citizen; ``reason`` is safe to show."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Delivered:
    """What was sent: how many channel messages (0 for web chat)."""

    parts: int


def _address(record: HandoffRecord, cipher: AddressCipher, max_age_s: float) -> str:
    if record.address is None:
        raise Undeliverable(409, "address_unknown")
    try:
        return cipher.open(record.address, max_age_s=max_age_s)
    except AddressUnreadable:
        raise Undeliverable(409, "address_expired_or_unreadable") from None


async def _telegram(app: web.Application, chat_id: str, text: str) -> int:
    runtime = app.get(telegram_routes.RUNTIME)
    if runtime is None:
        raise Undeliverable(409, "telegram_not_configured")
    parts = split_text(text, TELEGRAM_MAX_UTF16, Unit.UTF16)
    for part in parts:
        try:
            await runtime.bot.send_message(int(chat_id), part)
        except TelegramForbiddenError:
            raise Undeliverable(409, "telegram_bot_blocked_by_citizen") from None
        except TelegramRetryAfter as exc:
            raise Undeliverable(
                502, f"telegram_flood_wait_{exc.retry_after}s"
            ) from None
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # The exception text may quote the request URL (the bot token).
            raise Undeliverable(502, f"telegram_{type(exc).__name__}") from None
    return len(parts)


async def _wechat(app: web.Application, openid: str, text: str) -> int:
    state = app.get(wechat_routes.STATE)
    if state is None or state.sender is None:
        raise Undeliverable(409, "wechat_customer_service_api_not_configured")
    parts = split_text(text, MAX_TEXT_REPLY_BYTES, Unit.UTF8)
    for part in parts:
        try:
            await state.sender.deliver_text(openid, part)
        except WeChatRefused as exc:
            if exc.errcode == OUT_OF_WINDOW:
                raise Undeliverable(409, "wechat_48h_window_closed") from None
            raise Undeliverable(502, f"wechat_refused_{exc.errcode}") from None
        except WeChatApiError as exc:
            raise Undeliverable(502, f"wechat_{exc.reason}") from None
    return len(parts)


async def _sms(
    app: web.Application, record: HandoffRecord, phone: str, text: str
) -> int:
    state = app.get(sms_routes.STATE)
    if state is None:
        raise Undeliverable(409, "sms_not_configured")
    relay = app[keys.RELAY]
    try:
        if await relay.is_opted_out(sms_routes.CHANNEL, phone):
            raise Undeliverable(409, "sms_opted_out")
    except StoreUnavailable:
        raise Undeliverable(502, "opt_out_state_unavailable") from None
    sender: sms_routes.Sender | None
    if record.provider == "aliyun" or (
        record.provider is None and state.twilio is None
    ):
        sender, to = state.aliyun, phone.removeprefix("+86")
    else:
        sender, to = state.twilio, phone
    if sender is None:
        raise Undeliverable(409, f"sms_{record.provider or 'provider'}_replies_off")
    rendered = render_sms(
        (BotReply(text=text),), max_parts=SMS_MAX_PARTS, reserved=sender.reserved_units
    )
    for number, part in enumerate(rendered.parts):
        if not await sender.send(to, part):
            reason = "sms_provider_refused" if number == 0 else "sms_partly_sent"
            raise Undeliverable(502, reason)
    return len(rendered.parts)


async def deliver(
    app: web.Application,
    record: HandoffRecord,
    text: str,
    cipher: AddressCipher,
    address_max_age_s: float,
) -> Delivered:
    """Send ``text`` to the citizen of ``record`` on their channel.

    Raises:
        Undeliverable: With the status and reason to report.
    """
    if record.channel in TRACKER_ONLY_CHANNELS:
        return Delivered(parts=0)
    if record.channel == "voice":
        raise Undeliverable(409, "voice_call_already_transferred")
    if record.channel not in ("telegram", "wechat", "sms"):
        raise Undeliverable(409, f"channel_{record.channel}_cannot_deliver")
    address = _address(record, cipher, address_max_age_s)
    if record.channel == "telegram":
        parts = await _telegram(app, address, text)
    elif record.channel == "wechat":
        parts = await _wechat(app, address, text)
    else:
        parts = await _sms(app, record, address, text)
    log.info("inbox.delivery.sent", channel=record.channel, parts=parts)
    return Delivered(parts=parts)
