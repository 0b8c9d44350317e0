"""The shapes every channel shares: InboundMessage in, RelayResult out.

Rasa keys its tracker (``tracker:<sender>``) and ticket lock (``lock:<sender>``)
by the sender id, and the staff console shows it. Channel user ids are personal
data (a phone number, an openid, a Telegram chat id: rule R1/R5), can be long,
and may hold characters that break URL paths (``/``, ``?``, ``#``). So the Rasa
sender is ``"<channel>:"`` + a keyed HMAC-SHA256 of the user id (128 bits, hex):
stable for one user on one channel, not reversible without the key, and safe
in a URL path and a Redis key.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

from channels.replies import BotReply, replies_from_rasa

__all__ = [
    "CHANNEL_NAME",
    "InboundMessage",
    "Outcome",
    "RelayResult",
    "pseudonym",
    "reply_to_json",
    "sender_id",
]

CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
"""What a channel name may look like (it prefixes Rasa sender ids)."""

_DIGEST_HEX_CHARS = 32  # 128 bits: collision-free for any realistic user count


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def pseudonym(key: str | bytes, *parts: str) -> str:
    """A keyed, fixed-length hex digest of ``parts`` (unambiguously joined).

    Used wherever a user id or message id would otherwise end up in a key or a
    log: Rasa sender ids, dedupe keys, rate-limit keys.
    """
    secret = key.encode("utf-8") if isinstance(key, str) else key
    mac = hmac.new(secret, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        # Length-prefixing keeps ("ab", "c") and ("a", "bc") apart.
        mac.update(len(data).to_bytes(4, "big") + data)
    return mac.hexdigest()[:_DIGEST_HEX_CHARS]


def sender_id(key: str | bytes, channel: str, user_id: str) -> str:
    """The Rasa sender id for ``user_id`` on ``channel``: ``"web:3f9a…"``."""
    return f"{channel}:{pseudonym(key, 'sender', channel, user_id)}"


@dataclass(frozen=True)
class InboundMessage:
    """One citizen message as a channel parsed it.

    Attributes:
        channel: The channel name (``web``, ``telegram``, ``wechat``, ``sms``…).
        user_id: The channel's id of the citizen (chat id, openid, phone…).
        text: What the citizen typed or said, if anything.
        payload: The payload of a button / callback the citizen chose, if any;
            it is only forwarded to Rasa if it was offered to this conversation.
        message_id: The channel's id of this delivery (Telegram ``update_id``,
            WeChat ``MsgId``, web client UUID…): redeliveries carry the same id.
        received_at: When the gateway received it (UTC).
        metadata: Extra non-personal facts the channel wants Rasa to see
            (for example ``{"locale": "zh-CN"}``); never raw personal data.
    """

    channel: str
    user_id: str
    text: str | None
    payload: str | None
    message_id: str
    received_at: datetime = field(default_factory=_utc_now)
    metadata: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a message no relay step could key or route."""
        if CHANNEL_NAME.fullmatch(self.channel) is None:
            raise ValueError(f"bad channel name {self.channel!r}")
        if not self.user_id:
            raise ValueError("user_id is empty")
        if not self.message_id:
            raise ValueError("message_id is empty")


class Outcome(str, Enum):
    """How the relay dealt with a message (channels map it to status codes)."""

    ANSWERED = "answered"
    """Rasa answered; ``replies`` holds its messages."""
    HANDED_OFF = "handed_off"
    """The conversation is with staff; the notice is in ``replies`` once."""
    REFUSED = "refused"
    """No Rasa turn: empty text or an expired button; a gateway text explains."""
    RATE_LIMITED = "rate_limited"
    """Too many messages; the notice is in ``replies`` once per window."""
    FAILED = "failed"
    """Rasa failed or was too slow; ``replies`` holds the fallback text."""
    STORE_UNAVAILABLE = "store_unavailable"
    """Dedupe state unreachable: not processed, safe for the sender to retry."""
    DUPLICATE = "duplicate"
    """A redelivery whose original answer is no longer (or not yet) known."""
    CHANNEL = "channel"
    """Answered by the channel's own hook (opt-out keywords and the like)."""


@dataclass(frozen=True)
class RelayResult:
    """What a channel renders for one inbound message.

    Attributes:
        outcome: How the message was handled.
        replies: What to show the citizen, in order (possibly nothing).
        duplicate: A redelivery: ``replies`` repeats the original turn's
            answer (a channel that already delivered it shows nothing).
        opted_out: The sender has opted out of messages on this channel.
    """

    outcome: Outcome
    replies: tuple[BotReply, ...] = ()
    duplicate: bool = False
    opted_out: bool = False

    @property
    def retryable(self) -> bool:
        """Whether the message was not processed and may be delivered again."""
        return self.outcome is Outcome.STORE_UNAVAILABLE

    def to_json(self) -> str:
        """Serialise (for the dedupe cache) without the per-delivery flags."""
        return json.dumps(
            {
                "outcome": self.outcome.value,
                "replies": [reply_to_json(reply) for reply in self.replies],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> "RelayResult":
        """Parse ``to_json`` output (raises ``ValueError`` if malformed)."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("relay result is not an object")
        messages = [
            {
                "text": item.get("text"),
                "buttons": item.get("choices"),
                "custom": {"links": item.get("links")},
                "image": item.get("image_url"),
            }
            for item in data.get("replies") or []
            if isinstance(item, dict)
        ]
        return cls(Outcome(data.get("outcome")), tuple(replies_from_rasa(messages)))


def reply_to_json(reply: BotReply) -> dict[str, object]:
    """A reply as JSON: ``{text, choices:[{title,payload}], links, image_url}``."""
    return {
        "text": reply.text,
        "choices": [{"title": c.title, "payload": c.payload} for c in reply.choices],
        "links": [{"title": link.title, "url": link.url} for link in reply.links],
        "image_url": reply.image_url,
    }
