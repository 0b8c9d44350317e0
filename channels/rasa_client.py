"""RasaClient: one citizen turn through Rasa's REST channel, plus tracker reads.

Rasa 3.6's REST channel answers ``200 []`` both when processing failed (lock
error, Redis down, model not loaded: the exception is only logged by Rasa) and
when the conversation is paused (``ConversationPaused`` after a human handoff:
Rasa stores the message for staff and predicts nothing). ``send`` tells the two
apart by reading the tracker's ``paused`` flag, so the caller never mistakes a
failure for silence or a handoff for a failure.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import Settings
from channels.replies import BotReply, replies_from_rasa

__all__ = [
    "HistoryEntry",
    "RasaClient",
    "RasaEmptyReply",
    "RasaError",
    "RasaRejected",
    "RasaTurn",
    "RasaUnavailable",
    "Role",
]

DISPLAY_TEXT = "display_text"
"""Metadata key: what the citizen saw as their message, when Rasa got another
text (the title of a chosen button whose payload was sent)."""

_BOT_DATA_KEYS = ("buttons", "quick_replies", "image", "custom")


class RasaError(Exception):
    """Rasa did not produce a usable answer; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RasaUnavailable(RasaError):
    """Connection refused, timeout, a 5xx or an unreadable body."""


class RasaRejected(RasaError):
    """Rasa refused the request (4xx: wrong token, bad sender…): a config error."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class RasaEmptyReply(RasaError):
    """Rasa answered nothing for a conversation that is not paused (a failure)."""


@dataclass(frozen=True)
class RasaTurn:
    """What one message produced: the replies, or a paused conversation."""

    replies: tuple[BotReply, ...] = ()
    paused: bool = False


HANDOFF_MARKER = "handoff"
"""``custom`` key the handoff actions send with the turn that pauses the bot
(``actions/conversation.py``), so every channel knows at once, not a turn later."""


def announces_handoff(data: object) -> bool:
    """Whether Rasa's answer carries the handoff marker of the pausing turn."""
    if not isinstance(data, list):
        return False
    return any(
        isinstance(message, dict)
        and isinstance(message.get("custom"), dict)
        and message["custom"].get(HANDOFF_MARKER) is True
        for message in data
    )


class Role(str, Enum):
    """Who wrote a history entry."""

    USER = "user"
    BOT = "bot"


@dataclass(frozen=True)
class HistoryEntry:
    """One message of the conversation as the citizen saw it."""

    role: Role
    reply: BotReply


class RasaClient:
    """Talks to one Rasa server over the shared ``ClientSession``."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        self._session = session
        self._base = settings.rasa_url.rstrip("/")
        self._token = settings.rasa_api_token
        self._timeout = aiohttp.ClientTimeout(total=settings.channels.rasa_timeout_s)

    async def send(
        self, sender: str, text: str, metadata: Mapping[str, object]
    ) -> RasaTurn:
        """Run one turn; never retried (a turn may have booked or paid).

        Raises:
            RasaUnavailable: Rasa unreachable, too slow, 5xx or bad JSON.
            RasaRejected: Rasa answered 4xx.
            RasaEmptyReply: ``[]`` for a conversation that is not paused.
        """
        body = {"sender": sender, "message": text, "metadata": dict(metadata)}
        data = await self._request(
            "POST", f"{self._base}/webhooks/rest/webhook", json=body
        )
        if isinstance(data, list) and not data:
            if await self.is_paused(sender):
                return RasaTurn(paused=True)
            raise RasaEmptyReply("empty_reply")
        replies = replies_from_rasa(data)
        paused = announces_handoff(data)
        if not replies and not paused:
            raise RasaEmptyReply("no_usable_reply")
        return RasaTurn(replies=tuple(replies), paused=paused)

    async def is_paused(self, sender: str) -> bool:
        """Whether the conversation is paused (handed off to staff)."""
        state = await self._tracker(sender, events="NONE")
        return state.get("paused") is True

    async def history(self, sender: str, limit: int = 100) -> list[HistoryEntry]:
        """The last ``limit`` user and bot messages since the last restart."""
        state = await self._tracker(sender, events="AFTER_RESTART")
        events = state.get("events")
        entries: list[HistoryEntry] = []
        for event in events if isinstance(events, list) else []:
            entry = _history_entry(event)
            if entry is not None:
                entries.append(entry)
        return entries[-limit:] if limit > 0 else []

    async def _tracker(self, sender: str, *, events: str) -> dict[str, Any]:
        url = f"{self._base}/conversations/{quote(sender, safe=':')}/tracker"
        params = {"token": self._token, "include_events": events}
        data = await self._request("GET", url, params=params)
        if not isinstance(data, dict):
            raise RasaUnavailable("bad_tracker")
        return data

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, **kwargs
            ) as response:
                if response.status >= 500:
                    raise RasaUnavailable(f"http_{response.status}")
                if response.status >= 400:
                    raise RasaRejected(f"http_{response.status}", response.status)
                try:
                    return await response.json(content_type=None)
                except ValueError as exc:
                    raise RasaUnavailable("bad_json") from exc
        except asyncio.TimeoutError as exc:
            raise RasaUnavailable("timeout") from exc
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc


def _history_entry(event: object) -> HistoryEntry | None:
    if not isinstance(event, dict):
        return None
    kind = event.get("event")
    if kind == "user":
        metadata = event.get("metadata")
        shown = metadata.get(DISPLAY_TEXT) if isinstance(metadata, dict) else None
        text = shown if isinstance(shown, str) else event.get("text")
        replies = replies_from_rasa([{"text": text}])
        return HistoryEntry(Role.USER, replies[0]) if replies else None
    if kind == "bot":
        data = event.get("data")
        message: dict[str, object] = {"text": event.get("text")}
        if isinstance(data, dict):
            message.update({k: data[k] for k in _BOT_DATA_KEYS if k in data})
        replies = replies_from_rasa([message])
        return HistoryEntry(Role.BOT, replies[0]) if replies else None
    return None
