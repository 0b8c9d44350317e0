"""Render bot replies as Telegram ``sendMessage`` calls (aiogram 3 types).

Each reply becomes one or more messages of at most 4096 UTF-16 code units,
split at paragraph and sentence boundaries; its choices (inline keyboard
buttons) and links (URL buttons) hang on the last of them. Send the text with
no ``parse_mode``: it is plain text and needs no escaping. An image is sent as
its URL on its own line (Telegram shows a preview).

``callback_data`` is limited to 64 bytes. A longer payload (Rasa payloads with
entities easily are) is replaced by a short token; ``CallbackPayloads`` maps it
back when the button is pressed. The store is per process and bounded: with
several gateway replicas, or after a restart, a token may be unknown — then
ask the citizen to answer again.
"""

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from channels.replies import BotReply, Choice, Link
from channels.text_split import Unit, split_text

__all__ = [
    "CALLBACK_DATA_MAX_BYTES",
    "CHOOSE_PROMPT",
    "MAX_TEXT_UNITS",
    "CallbackPayloads",
    "TelegramSend",
    "keyboard",
    "render_telegram",
]

MAX_TEXT_UNITS = 4096
CALLBACK_DATA_MAX_BYTES = 64
TOKEN_PREFIX = "~p:"
# Citizen-facing text (move to the gateway's texts.py when it exists):
# Telegram refuses buttons on an empty message.
CHOOSE_PROMPT = "请选择："
# Short titles share a row; long Chinese titles would be truncated on phones.
_SHORT_TITLE = 8
_PER_ROW = 2


class TelegramSend(NamedTuple):
    """One ``sendMessage`` call: text and optional keyboard."""

    text: str
    reply_markup: InlineKeyboardMarkup | None


class CallbackPayloads:
    """Bounded LRU map from short ``callback_data`` tokens to long payloads.

    Tokens are derived from the payload (``~p:`` + 22 base64url characters of
    its SHA-256), so the same payload always gets the same token and storing it
    twice costs nothing.
    """

    def __init__(self, max_size: int = 10_000) -> None:
        if max_size <= 0:
            raise ValueError("max_size must be positive")
        self._max_size = max_size
        self._payloads: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def fits(payload: str) -> bool:
        """Whether ``payload`` can be sent as ``callback_data`` unchanged."""
        encoded = payload.encode("utf-8", "surrogatepass")
        return 0 < len(encoded) <= CALLBACK_DATA_MAX_BYTES and not payload.startswith(
            TOKEN_PREFIX
        )

    def callback_data(self, payload: str) -> str:
        """The ``callback_data`` for a payload: itself if it fits, else a token."""
        if self.fits(payload):
            return payload
        digest = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).digest()
        token = TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode()[:22]
        self._payloads[token] = payload
        self._payloads.move_to_end(token)
        while len(self._payloads) > self._max_size:
            self._payloads.popitem(last=False)
        return token

    def resolve(self, data: str | None) -> str | None:
        """The payload a pressed button stands for; ``None`` if the token is unknown."""
        if not data:
            return None
        if not data.startswith(TOKEN_PREFIX):
            return data
        payload = self._payloads.get(data)
        if payload is not None:
            self._payloads.move_to_end(data)
        return payload

    def __len__(self) -> int:
        return len(self._payloads)


def _rows(
    buttons: list[InlineKeyboardButton], short: bool
) -> list[list[InlineKeyboardButton]]:
    size = _PER_ROW if short else 1
    return [buttons[i : i + size] for i in range(0, len(buttons), size)]


def keyboard(
    choices: Sequence[Choice], links: Sequence[Link], payloads: CallbackPayloads
) -> InlineKeyboardMarkup | None:
    """Inline keyboard: choice buttons (short titles two per row), then links."""
    choice_buttons = [
        InlineKeyboardButton(
            text=c.title, callback_data=payloads.callback_data(c.payload)
        )
        for c in choices
    ]
    short = all(len(c.title) <= _SHORT_TITLE for c in choices)
    rows = _rows(choice_buttons, short)
    rows += [[InlineKeyboardButton(text=link.title, url=link.url)] for link in links]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _render_one(reply: BotReply, payloads: CallbackPayloads) -> list[TelegramSend]:
    text = reply.text
    if reply.image_url:
        text = f"{text}\n{reply.image_url}" if text else reply.image_url
    markup = keyboard(reply.choices, reply.links, payloads)
    if not text.strip():
        if markup is None:
            return []
        text = CHOOSE_PROMPT
    # Telegram rejects blank messages; a blank part can only come from a huge
    # run of whitespace.
    parts = [p for p in split_text(text, MAX_TEXT_UNITS, Unit.UTF16) if p.strip()]
    sends = [TelegramSend(part, None) for part in parts[:-1]]
    sends.append(TelegramSend(parts[-1], markup))
    return sends


def _with_buttons(
    send: TelegramSend, markup: InlineKeyboardMarkup | None
) -> TelegramSend:
    if markup is None:
        return send
    rows = send.reply_markup.inline_keyboard if send.reply_markup else []
    merged = InlineKeyboardMarkup(inline_keyboard=[*rows, *markup.inline_keyboard])
    return TelegramSend(send.text, merged)


def render_telegram(
    replies: Sequence[BotReply], payloads: CallbackPayloads
) -> list[TelegramSend]:
    """The ``sendMessage`` calls for a turn's replies, in order."""
    sends: list[TelegramSend] = []
    for reply in replies:
        if sends and not (reply.text or reply.image_url):
            # Buttons alone (Rasa sends custom links as their own message) join
            # the keyboard of the message before instead of a bare prompt.
            markup = keyboard(reply.choices, reply.links, payloads)
            sends[-1] = _with_buttons(sends[-1], markup)
            continue
        sends += _render_one(reply, payloads)
    return sends
