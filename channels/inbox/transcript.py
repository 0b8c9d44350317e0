"""What staff see of a tracker: masked transcript, masked slots, handoff reason.

Everything here leaves the gateway for the console, so every text and slot
value is masked with ``bot.privacy`` first (R3, R6): staff help the citizen
from masked identifiers, as reviewers do. Internal slots (idempotency keys,
retry bookkeeping) are left out.
"""

from collections.abc import Mapping
from typing import Any, TypedDict

from bot.privacy import (
    mask_code,
    mask_decision_number,
    mask_id_number,
    mask_phone,
    mask_plate,
    scrub,
)
from channels.inbox.records import HandoffReason
from channels.rasa_client import DISPLAY_TEXT

__all__ = [
    "STAFF_SOURCE",
    "TranscriptEntry",
    "bot_messages_after",
    "handoff_reason",
    "masked_slots",
    "transcript",
]

STAFF_SOURCE = "staff"
"""``metadata.source`` of the bot events that carry a staff reply."""

_HANDOFF_ACTIONS = {
    "action_human_handoff": HandoffReason.REQUESTED,
    "action_default_fallback": HandoffReason.NOT_UNDERSTOOD,
}
_INTERNAL_SLOTS = frozenset(
    {
        "write_key",
        "retry_action",
        "awaiting_retry",
        "requested_slot",
        "session_started_metadata",
    }
)
_SLOT_MASKS = {
    "id_number": mask_id_number,
    "phone_number": mask_phone,
    "plate_number": mask_plate,
    "booking_code": mask_code,
    "ticket_id": mask_code,
    "decision_number": mask_decision_number,
    # The VIN / engine suffix proves ownership: never shown, even in part.
    "engine_suffix": lambda value: "*" * len(value),
}


class TranscriptEntry(TypedDict):
    """One message of the conversation as staff see it."""

    role: str  # "user" | "bot" | "staff"
    text: str
    at: float | None
    staff: str | None


def _mask_value(name: str, value: object) -> object:
    if isinstance(value, str):
        mask = _SLOT_MASKS.get(name)
        return scrub(mask(value) if mask is not None else value)
    if isinstance(value, list):
        return [_mask_value(name, item) for item in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return scrub(str(value))


def masked_slots(tracker: Mapping[str, Any]) -> dict[str, object]:
    """The slots the bot has filled, masked; empty and internal ones left out."""
    slots = tracker.get("slots")
    if not isinstance(slots, dict):
        return {}
    return {
        name: _mask_value(name, value)
        for name, value in sorted(slots.items())
        if value not in (None, "", [], {}) and name not in _INTERNAL_SLOTS
    }


def _timestamp(event: Mapping[str, Any]) -> float | None:
    value = event.get("timestamp")
    return float(value) if isinstance(value, int | float) else None


def _user_text(event: Mapping[str, Any]) -> str:
    metadata = event.get("metadata")
    shown = metadata.get(DISPLAY_TEXT) if isinstance(metadata, dict) else None
    text = shown if isinstance(shown, str) else event.get("text")
    return text if isinstance(text, str) else ""


def _bot_text(event: Mapping[str, Any]) -> str:
    text = event.get("text")
    parts = [text] if isinstance(text, str) and text else []
    data = event.get("data")
    buttons = data.get("buttons") if isinstance(data, dict) else None
    titles = [
        str(b.get("title"))
        for b in buttons or []
        if isinstance(b, dict) and b.get("title")
    ]
    if titles:
        parts.append("［选项：" + "｜".join(titles) + "］")
    return "\n".join(parts)


def _staff_of(event: Mapping[str, Any]) -> str | None:
    metadata = event.get("metadata")
    if isinstance(metadata, dict) and metadata.get("source") == STAFF_SOURCE:
        staff = metadata.get("staff")
        return str(staff) if staff else ""
    return None


def transcript(tracker: Mapping[str, Any], limit: int = 200) -> list[TranscriptEntry]:
    """The last ``limit`` user, bot and staff messages, masked."""
    events = tracker.get("events")
    entries: list[TranscriptEntry] = []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "user":
            text, role, staff = _user_text(event), "user", None
        elif kind == "bot":
            text, staff = _bot_text(event), _staff_of(event)
            role = "bot" if staff is None else "staff"
        else:
            continue
        if text:
            entries.append(
                TranscriptEntry(
                    role=role, text=scrub(text), at=_timestamp(event), staff=staff
                )
            )
    return entries[-limit:]


def handoff_reason(tracker: Mapping[str, Any]) -> HandoffReason:
    """Which action paused the conversation last."""
    events = tracker.get("events")
    for event in reversed(events if isinstance(events, list) else []):
        if isinstance(event, dict) and event.get("event") == "action":
            reason = _HANDOFF_ACTIONS.get(str(event.get("name")))
            if reason is not None:
                return reason
    return HandoffReason.UNKNOWN


def bot_messages_after(
    tracker: Mapping[str, Any], after: float
) -> tuple[list[dict[str, Any]], float]:
    """Bot events newer than ``after`` as Rasa messages, and the newest timestamp.

    The timestamp (a cursor) covers every event, so the next call returns only
    what came later.
    """
    cursor = after
    messages: list[dict[str, Any]] = []
    events = tracker.get("events")
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        at = _timestamp(event)
        if at is None:
            continue
        cursor = max(cursor, at)
        if at > after and event.get("event") == "bot":
            message: dict[str, Any] = {"text": event.get("text")}
            data = event.get("data")
            if isinstance(data, dict):
                message.update(
                    {k: data[k] for k in ("buttons", "image", "custom") if k in data}
                )
            messages.append(message)
    return messages, cursor
