"""InboxService: what the console does with handed-off conversations.

It calls the gateway's internal API (``channels/inbox/routes.py``) with
``Authorization: Bearer <INTERNAL_API_TOKEN>`` and returns typed results:
``list_open`` (with how long each citizen has waited; the 帮办 practice is an
answer within a minute, ``RESPONSE_TARGET_S``), ``show`` (masked transcript
and slots), ``reply`` and ``release`` (what happened). Failures raise
``InboxError`` with ``status``, a stable ``reason`` and a Chinese ``message``
for staff. Auditing is the caller's: the console records
``inbox.viewed / inbox.replied / inbox.released`` with the sender pseudonym.
"""

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import Settings
from review.inbox.texts import CHANNEL_LABELS, REASON_LABELS, error_text

__all__ = [
    "RESPONSE_TARGET_S",
    "HandoffDetail",
    "HandoffSummary",
    "InboxError",
    "InboxService",
    "ReleaseResult",
    "ReplyResult",
    "TranscriptLine",
]

RESPONSE_TARGET_S = 60.0
"""A 帮办 answers within a minute: a longer wait is shown as overdue."""
REQUEST_TIMEOUT_S = 15.0


class InboxError(Exception):
    """The gateway refused or could not do it.

    Attributes:
        status: The HTTP status (0: the gateway could not be reached).
        error: The gateway's error code (``no_open_handoff``, ``undeliverable``…).
        reason: The detail (``wechat_48h_window_closed``…), if any.
        message: What to tell staff, in Chinese.
    """

    def __init__(self, status: int, error: str, reason: str | None = None) -> None:
        self.status = status
        self.error = error
        self.reason = reason
        self.message = error_text(error, reason)
        super().__init__(self.message)


@dataclass(frozen=True)
class HandoffSummary:
    """One open handoff in the list."""

    sender: str
    channel: str
    reason: str
    opened_at: float
    last_message_at: float
    last_reply_at: float | None
    waiting_s: float | None
    can_reply: bool

    @property
    def overdue(self) -> bool:
        """The citizen has waited longer than the one-minute target."""
        return self.waiting_s is not None and self.waiting_s > RESPONSE_TARGET_S

    @property
    def channel_label(self) -> str:
        """The channel in Chinese."""
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def reason_label(self) -> str:
        """Why it was handed off, in Chinese."""
        return REASON_LABELS.get(self.reason, self.reason)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "HandoffSummary":
        """From the gateway's JSON (raises ``KeyError``/``TypeError`` if malformed)."""
        return cls(
            sender=str(data["sender"]),
            channel=str(data["channel"]),
            reason=str(data["reason"]),
            opened_at=float(data["opened_at"]),
            last_message_at=float(data["last_message_at"]),
            last_reply_at=_opt_float(data.get("last_reply_at")),
            waiting_s=_opt_float(data.get("waiting_s")),
            can_reply=bool(data.get("can_reply")),
        )


@dataclass(frozen=True)
class TranscriptLine:
    """One masked message: ``role`` is ``user``, ``bot`` or ``staff``."""

    role: str
    text: str
    at: float | None
    staff: str | None


@dataclass(frozen=True)
class HandoffDetail:
    """One handoff with what the bot already collected (all masked)."""

    summary: HandoffSummary
    paused: bool
    transcript: tuple[TranscriptLine, ...]
    slots: dict[str, object]


@dataclass(frozen=True)
class ReplyResult:
    """A staff reply that reached the citizen."""

    sender: str
    channel: str
    parts: int
    recorded: bool
    text: str
    masked: bool


@dataclass(frozen=True)
class ReleaseResult:
    """A conversation given back to the bot."""

    sender: str
    channel: str
    citizen_notified: bool
    notice_error: str | None


def _opt_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class InboxService:
    """The gateway's internal inbox API over a shared ``ClientSession``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        gateway_url: str,
        token: str,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self._session = session
        self._base = gateway_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    @classmethod
    def from_settings(
        cls, session: aiohttp.ClientSession, settings: Settings
    ) -> "InboxService":
        """Aimed at ``GATEWAY_URL`` with ``INTERNAL_API_TOKEN``."""
        return cls(
            session, settings.console.gateway_url, settings.console.internal_token
        )

    def _url(self, sender: str | None = None, action: str | None = None) -> str:
        url = f"{self._base}/internal/handoffs"
        if sender is not None:
            url += "/" + quote(sender, safe=":")
        return url if action is None else f"{url}/{action}"

    async def _call(self, method: str, url: str, body: object = None) -> Any:
        try:
            async with self._session.request(
                method, url, json=body, headers=self._headers, timeout=self._timeout
            ) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
                if response.status >= 400:
                    info = data if isinstance(data, dict) else {}
                    raise InboxError(
                        response.status,
                        str(info.get("error") or f"http_{response.status}"),
                        info.get("reason")
                        if isinstance(info.get("reason"), str)
                        else None,
                    )
        except asyncio.TimeoutError:
            raise InboxError(0, "gateway_unavailable", "timeout") from None
        except aiohttp.ClientError as exc:
            raise InboxError(0, "gateway_unavailable", type(exc).__name__) from None
        if not isinstance(data, dict):
            raise InboxError(502, "gateway_unavailable", "bad_json")
        return data

    async def list_open(self) -> list[HandoffSummary]:
        """Open handoffs, the longest-waiting first."""
        data = await self._call("GET", self._url())
        try:
            return [HandoffSummary.from_json(item) for item in data["handoffs"]]
        except (KeyError, TypeError, ValueError):
            raise InboxError(502, "gateway_unavailable", "bad_json") from None

    async def show(self, sender: str) -> HandoffDetail:
        """One handoff: masked transcript and slots."""
        data = await self._call("GET", self._url(sender))
        try:
            lines = tuple(
                TranscriptLine(
                    role=str(item["role"]),
                    text=str(item["text"]),
                    at=_opt_float(item.get("at")),
                    staff=item.get("staff"),
                )
                for item in data["transcript"]
            )
            slots = data.get("slots")
            return HandoffDetail(
                summary=HandoffSummary.from_json(data),
                paused=data.get("paused") is True,
                transcript=lines,
                slots=dict(slots) if isinstance(slots, dict) else {},
            )
        except (KeyError, TypeError, ValueError):
            raise InboxError(502, "gateway_unavailable", "bad_json") from None

    async def reply(self, sender: str, text: str, staff: str) -> ReplyResult:
        """Send ``text`` to the citizen on their channel, signed by ``staff``."""
        data = await self._call(
            "POST", self._url(sender, "reply"), {"text": text, "staff": staff}
        )
        return ReplyResult(
            sender=str(data.get("sender", sender)),
            channel=str(data.get("channel", "")),
            parts=int(data.get("parts") or 0),
            recorded=data.get("recorded") is True,
            text=str(data.get("text", "")),
            masked=data.get("masked") is True,
        )

    async def release(self, sender: str, staff: str) -> ReleaseResult:
        """Give the conversation back to the bot; the citizen is told."""
        data = await self._call("POST", self._url(sender, "release"), {"staff": staff})
        notice_error = data.get("notice_error")
        return ReleaseResult(
            sender=str(data.get("sender", sender)),
            channel=str(data.get("channel", "")),
            citizen_notified=data.get("citizen_notified") is True,
            notice_error=notice_error if isinstance(notice_error, str) else None,
        )
