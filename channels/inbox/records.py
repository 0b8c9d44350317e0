"""The handoff record: who is waiting for staff, since when, and how to reach them."""

import json
import re
from dataclasses import asdict, dataclass, replace
from enum import Enum

__all__ = ["SENDER", "HandoffReason", "HandoffRecord"]

SENDER = re.compile(r"[a-z][a-z0-9_]{0,31}:[0-9a-f]{32}")
"""A gateway sender id (``web:3f9a…``): channel name and a keyed digest."""


class HandoffReason(str, Enum):
    """Why the assistant handed the conversation to staff."""

    REQUESTED = "requested"
    """The citizen asked for a person (``action_human_handoff``)."""
    NOT_UNDERSTOOD = "not_understood"
    """The two-stage fallback gave up (``action_default_fallback``)."""
    UNKNOWN = "unknown"
    """The tracker could not say (Rasa unreachable when it was recorded)."""


@dataclass(frozen=True)
class HandoffRecord:
    """One open handoff as the gateway stores it.

    Attributes:
        sender: The pseudonymous Rasa sender id.
        channel: The channel the citizen wrote on.
        reason: Why the bot handed off.
        opened_at: When it was handed off (Unix seconds).
        last_message_at: The citizen's latest message (Unix seconds).
        last_reply_at: The latest staff reply, if any (Unix seconds).
        address: The channel address, sealed (``sealing.AddressCipher``);
            ``None`` where the sender id is enough (web) or nothing can be
            delivered (voice).
        provider: The SMS provider that carried the messages, if SMS.
    """

    sender: str
    channel: str
    reason: HandoffReason
    opened_at: float
    last_message_at: float
    last_reply_at: float | None = None
    address: str | None = None
    provider: str | None = None

    def waiting_s(self, now: float) -> float | None:
        """How long the citizen's latest message has waited; ``None``: answered."""
        if (
            self.last_reply_at is not None
            and self.last_reply_at >= self.last_message_at
        ):
            return None
        return max(0.0, now - self.last_message_at)

    def touched(self, at: float, address: str | None) -> "HandoffRecord":
        """The record after another citizen message (a fresh address if given)."""
        return replace(
            self,
            last_message_at=max(at, self.last_message_at),
            address=address if address is not None else self.address,
        )

    def to_json(self) -> str:
        """Serialise for the store."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "HandoffRecord":
        """Parse ``to_json`` output.

        Raises:
            ValueError: If ``raw`` is not a record.
        """
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("handoff record is not an object")
        try:
            return cls(
                sender=str(data["sender"]),
                channel=str(data["channel"]),
                reason=HandoffReason(data["reason"]),
                opened_at=float(data["opened_at"]),
                last_message_at=float(data["last_message_at"]),
                last_reply_at=_optional_float(data.get("last_reply_at")),
                address=_optional_str(data.get("address")),
                provider=_optional_str(data.get("provider")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError("handoff record is incomplete") from exc


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
