"""Telegram update handlers: every private-chat update becomes a relay turn or a note.

``build_router()`` returns a fresh aiogram ``Router`` (a router can be attached
to one dispatcher only, so none is built at import). Handlers get ``relay``
and ``payloads`` from the dispatcher's workflow data (``routes.py`` sets them)
and ``event_update`` from aiogram. What each update becomes:

* text (and a photo's caption): the citizen's text. ``/start`` greets;
  ``/start <topic>`` deep links (``t.me/<bot>?start=exam``) go straight to
  an errand (``DEEP_LINK_TOPICS``); any other payload is kept as metadata.
* an edited text message: a new turn with the corrected text. Edits without
  text (live-location updates arrive as edits) are ignored.
* stickers, photos, voice, video, documents: no text, so the relay answers
  with its polite "please write" text (``texts.EMPTY_MESSAGE``).
* a location or venue: "<district>附近的办事大厅" (nearest sandbox district),
  or "附近的办事大厅" outside the city, which the assistant answers as
  ``query_office``.
* the citizen's own contact card: the phone number as text (the complaint
  form asks for one); someone else's card: no text.
* a button press: ``answerCallbackQuery`` first, always; the payload (a token
  mapped back through ``CallbackPayloads``) goes to the relay, which forwards
  it only if it was offered. The relay's dedupe key is the keyboard message, so
  a double click (two callback queries) makes one turn; the keyboard is then
  removed.

Dedupe, rate limits, the ``/`` guard and the fallback text are the relay's.
Group chats are ignored: a conversation is one citizen.
"""

import asyncio
import math
import re

import structlog
from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import CallbackQuery, ErrorEvent, Message, Update

from channels.messages import InboundMessage, RelayResult
from channels.relay import Relay
from channels.telegram.render import CallbackPayloads, TelegramSend, render_telegram

__all__ = [
    "DEEP_LINK_TOPICS",
    "NEARBY_OFFICE",
    "build_router",
    "deep_link",
    "district_at",
    "national_phone",
]

log = structlog.get_logger(__name__)

CHANNEL = "telegram"
NEARBY_OFFICE = "附近的办事大厅"
"""What a shared location stands for (the ``query_office`` intent)."""

DEEP_LINK_TOPICS = {
    "violations": "查违章",
    "fines": "交罚款",
    "points": "查驾驶证记分",
    "exam": "预约驾考",
    "inspection": "预约年检",
    "office": NEARBY_OFFICE,
    "complaint": "我要投诉",
    "progress": "查工单进度",
}
"""``/start <topic>`` deep links and the errand each one opens."""

# Approximate centres of the sandbox city's districts (docs/sandbox-city.md;
# the city is modelled on Shenzhen). Nearest centre wins inside the box.
_DISTRICT_CENTRES = {
    "福田区": (22.541, 114.055),
    "罗湖区": (22.555, 114.131),
    "南山区": (22.530, 113.950),
    "盐田区": (22.557, 114.237),
    "宝安区": (22.620, 113.860),
    "龙岗区": (22.720, 114.250),
    "龙华区": (22.690, 114.040),
    "坪山区": (22.690, 114.350),
    "光明区": (22.750, 113.930),
    "大鹏新区": (22.590, 114.480),
}
_CITY_BOX = ((22.40, 22.90), (113.70, 114.65))  # (lat range, lon range)
_START = re.compile(r"/start(?:@\w+)?(?:\s+(?P<arg>\S+))?\s*", re.DOTALL)
_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_RETRY_AFTER_S = 30
_SEND_ATTEMPTS = 3


def district_at(latitude: float, longitude: float) -> str | None:
    """The sandbox district nearest to a point inside the city, else ``None``."""
    (lat_lo, lat_hi), (lon_lo, lon_hi) = _CITY_BOX
    if not (lat_lo <= latitude <= lat_hi and lon_lo <= longitude <= lon_hi):
        return None
    scale = math.cos(math.radians(latitude))  # a degree of longitude is shorter

    def distance(centre: tuple[float, float]) -> float:
        return math.hypot(latitude - centre[0], (longitude - centre[1]) * scale)

    return min(_DISTRICT_CENTRES, key=lambda name: distance(_DISTRICT_CENTRES[name]))


def deep_link(text: str) -> tuple[str, dict[str, object]]:
    """What to relay for a ``/start`` message, and the metadata to attach.

    A known topic becomes the errand's phrase; any other valid payload is kept
    in metadata (``start_payload``) and the message greets.
    """
    match = _START.fullmatch(text.strip())
    if match is None or not match.group("arg"):
        return text, {}
    arg = match.group("arg")
    if _START_PAYLOAD.fullmatch(arg) is None:
        return "/start", {}
    topic = DEEP_LINK_TOPICS.get(arg.lower())
    return (topic or "/start"), {"start_payload": arg}


def national_phone(phone: str) -> str:
    """A shared contact's number as citizens write it (``+8613800138000`` → 11 digits)."""
    digits = re.sub(r"[^\d+]", "", phone)
    for prefix in ("+86", "0086", "86"):
        rest = digits.removeprefix(prefix)
        if rest != digits and len(rest) == 11 and rest.startswith("1"):
            return rest
    return digits.lstrip("+")


def _delivery_id(bot: Bot, update: Update) -> str:
    # update_id is per bot (and restarts randomly after a week of silence).
    return f"{bot.id}:{update.update_id}"


async def _send(bot: Bot, chat_id: int, send: TelegramSend) -> bool:
    """One ``sendMessage``; waits out flood control. ``False``: stop sending."""
    for _attempt in range(_SEND_ATTEMPTS):
        try:
            await bot.send_message(chat_id, send.text, reply_markup=send.reply_markup)
            return True
        except TelegramRetryAfter as exc:
            log.warning("channel.telegram.send.throttled", retry_after=exc.retry_after)
            await asyncio.sleep(min(exc.retry_after, _MAX_RETRY_AFTER_S))
        except TelegramForbiddenError:
            log.info("channel.telegram.send.blocked")
            return False
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # The message may quote the request URL, which holds the bot token.
            log.error("channel.telegram.send.failed", error=type(exc).__name__)
            return False
    log.error("channel.telegram.send.gave_up")
    return False


async def _deliver(
    bot: Bot, chat_id: int, result: RelayResult, payloads: CallbackPayloads
) -> None:
    if result.duplicate:
        return  # the first delivery answered (or is answering) already
    for send in render_telegram(result.replies, payloads):
        if not await _send(bot, chat_id, send):
            return  # later parts would arrive out of order


async def _relay(
    bot: Bot,
    relay: Relay,
    payloads: CallbackPayloads,
    chat_id: int,
    inbound: InboundMessage,
) -> RelayResult:
    result = await relay.handle(inbound)
    await _deliver(bot, chat_id, result, payloads)
    return result


async def on_message(
    message: Message,
    bot: Bot,
    relay: Relay,
    payloads: CallbackPayloads,
    event_update: Update,
) -> None:
    """Text, commands, captions and content without text."""
    text = message.text or message.caption
    metadata: dict[str, object] = {}
    if text and text.startswith("/start"):
        text, metadata = deep_link(text)
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=str(message.chat.id),
        text=text,
        payload=None,
        message_id=_delivery_id(bot, event_update),
        metadata=metadata,
    )
    await _relay(bot, relay, payloads, message.chat.id, inbound)


async def on_edited(
    message: Message,
    bot: Bot,
    relay: Relay,
    payloads: CallbackPayloads,
    event_update: Update,
) -> None:
    """A corrected text is a new turn; other edits (live location) are not."""
    text = message.text or message.caption
    if not text:
        return
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=str(message.chat.id),
        text=text,
        payload=None,
        message_id=_delivery_id(bot, event_update),
        metadata={"edited": True},
    )
    await _relay(bot, relay, payloads, message.chat.id, inbound)


async def on_location(
    message: Message,
    bot: Bot,
    relay: Relay,
    payloads: CallbackPayloads,
    event_update: Update,
) -> None:
    """A shared location asks for the nearest office."""
    location = message.location
    district = district_at(location.latitude, location.longitude) if location else None
    text = f"{district}{NEARBY_OFFICE}" if district else NEARBY_OFFICE
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=str(message.chat.id),
        text=text,
        payload=None,
        message_id=_delivery_id(bot, event_update),
        metadata={"shared": "location"},
    )
    await _relay(bot, relay, payloads, message.chat.id, inbound)


async def on_contact(
    message: Message,
    bot: Bot,
    relay: Relay,
    payloads: CallbackPayloads,
    event_update: Update,
) -> None:
    """The citizen's own contact card gives their phone number."""
    contact = message.contact
    sender = message.from_user
    own = (
        contact is not None
        and sender is not None
        and contact.user_id is not None
        and contact.user_id == sender.id
    )
    text = national_phone(contact.phone_number) if own and contact else None
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=str(message.chat.id),
        text=text,
        payload=None,
        message_id=_delivery_id(bot, event_update),
        metadata={"shared": "contact"},
    )
    await _relay(bot, relay, payloads, message.chat.id, inbound)


def _button_title(message: Message, data: str | None) -> str | None:
    markup = message.reply_markup
    if markup is None or data is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


async def on_callback(
    callback: CallbackQuery,
    bot: Bot,
    relay: Relay,
    payloads: CallbackPayloads,
    event_update: Update,
) -> None:
    """A pressed inline button: acknowledge it, then relay its payload once."""
    try:
        # Always, and first: the citizen's button spins until it is answered.
        await callback.answer()
    except (TelegramAPIError, TelegramNetworkError) as exc:
        log.warning("channel.telegram.callback.unanswered", error=type(exc).__name__)
    keyboard = callback.message if isinstance(callback.message, Message) else None
    chat_id = keyboard.chat.id if keyboard else callback.from_user.id
    if keyboard is not None and keyboard.chat.type != ChatType.PRIVATE:
        return
    # One turn per keyboard: a double click (or a second button of the same
    # keyboard) is a redelivery of the same choice for the relay's dedupe.
    delivery = (
        f"{bot.id}:cb:{chat_id}:{keyboard.message_id}"
        if keyboard
        else _delivery_id(bot, event_update)
    )
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=str(chat_id),
        text=_button_title(keyboard, callback.data) if keyboard else None,
        payload=payloads.resolve(callback.data),
        message_id=delivery,
    )
    result = await _relay(bot, relay, payloads, chat_id, inbound)
    if keyboard is not None and not result.duplicate:
        await _remove_keyboard(bot, chat_id, keyboard.message_id)


async def _remove_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """Used buttons go away, so nobody presses a stale one later."""
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
    except (TelegramAPIError, TelegramNetworkError) as exc:
        log.info("channel.telegram.keyboard.kept", error=type(exc).__name__)


async def on_error(event: ErrorEvent) -> bool:
    """A crashed handler is logged (type only) and the update counts as handled."""
    log.error(
        "channel.telegram.update.crashed",
        update_id=event.update.update_id,
        error=type(event.exception).__name__,
    )
    return True


# Filters are coroutines: aiogram runs a plain callable, magic filters
# included, in a worker thread for every update (a thread hop each).
async def _in_private_chat(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


async def _has_location(message: Message) -> bool:
    return message.location is not None


async def _has_contact(message: Message) -> bool:
    return message.contact is not None


def build_router() -> Router:
    """A new router with every handler registered (private chats only)."""
    router = Router(name="govbot-telegram")
    router.message.filter(_in_private_chat)
    router.edited_message.filter(_in_private_chat)
    router.message.register(on_location, _has_location)
    router.message.register(on_contact, _has_contact)
    router.message.register(on_message)
    router.edited_message.register(on_edited)
    router.callback_query.register(on_callback)
    router.errors.register(on_error)
    return router
