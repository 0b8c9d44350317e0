"""Masking of Rasa events for the conversation log (rule R1/R3).

Personal entity and slot values get their canonical masks, their spans are
masked in the message text, and every other string goes through ``scrub``;
sender ids become keyed pseudonyms. Pure functions: the broker in
``bot/event_log.py`` runs them on its writer thread.
"""

from __future__ import annotations

import functools
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from bot.privacy import (
    MASK,
    mask_code,
    mask_decision_number,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_plate,
    scrub,
)


def _mask_all(value: str) -> str:
    return MASK * len(value.strip())


# Entity types and slots holding personal data (rule R1), with their masks.
# The engine suffix is the secret that proves ownership of a plate: all stars.
PERSONAL: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone_number": mask_phone,
    "plate_number": mask_plate,
    "decision_number": mask_decision_number,
    "booking_code": mask_code,
    "ticket_id": mask_code,
    "engine_suffix": _mask_all,
    "name": mask_name,
    "person": mask_name,
}
# Any integer this long is treated as an identifier written as a number.
_LONG_NUMBER = 10**10
_SEPARATORS = frozenset(" -·")
# Shorter sender ids (test senders like "t1") would match ordinary words.
_MIN_SENDER_LEN = 6
_CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def pseudonym(key: bytes, sender_id: str) -> str:
    """The keyed HMAC-SHA256 of a sender id (hex): linkable, not reversible."""
    return hmac.new(
        key, sender_id.encode("utf-8", "surrogatepass"), "sha256"
    ).hexdigest()


def channel_of(sender_id: str) -> str | None:
    """The channel prefix of a gateway sender id (``"web:3f9a…"`` → ``"web"``)."""
    prefix, colon, _ = sender_id.partition(":")
    return prefix if colon and _CHANNEL.fullmatch(prefix) else None


# Event keys, action names and bot texts repeat in every event: scrubbing each
# once was most of the log writer's CPU (which is the Rasa process's CPU).
# Short strings only, so the cache stays small whatever citizens write.
_CACHED_SCRUB_LEN = 256


@functools.lru_cache(maxsize=4096)
def _scrub_cached(text: str) -> str:
    return scrub(text)


def _scrub_text(text: str) -> str:
    return _scrub_cached(text) if len(text) <= _CACHED_SCRUB_LEN else scrub(text)


def _scrub_all(value: Any, secret: str = "") -> Any:
    """Every string (keys too) through ``scrub``, long integers too; ``secret`` starred."""
    if isinstance(value, str):
        masked = _scrub_text(value)
        return masked.replace(secret, MASK * len(secret)) if secret else masked
    if isinstance(value, dict):
        return {
            _scrub_all(str(k), secret): _scrub_all(v, secret) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub_all(v, secret) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return scrub(str(value)) if abs(value) >= _LONG_NUMBER else value
    return value


def _apply(value: Any, mask: Callable[[str], str]) -> Any:
    """A personal value masked whatever its shape (string, number, list)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return {k: _apply(v, mask) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_apply(v, mask) for v in value]
    return mask(str(value))


def _mask_span(text: str, start: Any, end: Any, mask: Callable[[str], str]) -> str:
    """Mask ``text[start:end]`` in place, keeping the length of ``text``."""
    if not (isinstance(start, int) and isinstance(end, int)):
        return text
    if not 0 <= start < end <= len(text):
        return text
    span = text[start:end]
    masked = mask(span)
    if len(masked) != len(span):
        # The mask dropped separators (京AD-1234-5 → 京A****45): lay it back
        # over the other characters, or star them all if it does not fit.
        kept = iter(masked)
        fits = sum(c not in _SEPARATORS for c in span) == len(masked)
        masked = "".join(
            c if c in _SEPARATORS else (next(kept) if fits else MASK) for c in span
        )
    return text[:start] + masked + text[end:]


def _mask_entities(entities: Any, text: str | None) -> tuple[Any, str | None]:
    """Mask personal entity values and their spans in the message text."""
    if not isinstance(entities, list):
        return _scrub_all(entities), text
    masked: list[Any] = []
    for entity in entities:
        if not isinstance(entity, dict):
            masked.append(_scrub_all(entity))
            continue
        mask = PERSONAL.get(str(entity.get("entity")))
        entity = dict(entity)
        if mask is not None:
            for field in ("value", "text"):
                if field in entity:
                    entity[field] = _apply(entity[field], mask)
            if text is not None:
                text = _mask_span(text, entity.get("start"), entity.get("end"), mask)
        masked.append(_scrub_all(entity))
    return masked, text


def _mask_user(event: dict[str, Any]) -> None:
    """Mask a user message: its text, entity values and spans, parse data."""
    text = event.get("text")
    text = scrub(text) if isinstance(text, str) else None
    parse = event.get("parse_data")
    if isinstance(parse, dict):
        parse = dict(parse)
        parse["entities"], text = _mask_entities(parse.get("entities") or [], text)
        if "text" in parse:
            parse["text"] = text
        # Retrieval answers are domain texts, not what was said: keep which
        # answer and how sure, not a copy of the answer in every message.
        selectors = parse.get("response_selector")
        if isinstance(selectors, dict):
            parse["response_selector"] = {
                name: _without_answer_texts(selector)
                for name, selector in selectors.items()
            }
        event["parse_data"] = parse
    event["text"] = text


def _without_answer_texts(selector: Any) -> Any:
    if isinstance(selector, dict) and isinstance(selector.get("response"), dict):
        response = {k: v for k, v in selector["response"].items() if k != "responses"}
        return {**selector, "response": response}
    return selector


def mask_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A masked copy of one Rasa event dict, without its ``sender_id``.

    Personal entity and slot values get their canonical masks; entity spans
    are masked in the message text; every other string (texts, buttons,
    payloads, metadata) goes through ``scrub``.
    """
    masked = {k: v for k, v in event.items() if k != "sender_id"}
    kind = masked.get("event")
    if kind == "user":
        _mask_user(masked)
    elif kind == "slot" and str(masked.get("name")) in PERSONAL:
        masked["value"] = _apply(masked.get("value"), PERSONAL[str(masked["name"])])
    elif kind in ("entities", "reminder") and "entities" in masked:
        masked["entities"], _ = _mask_entities(masked["entities"], None)
    # A channel may repeat its user id in metadata: never keep it.
    sender = event.get("sender_id")
    secret = (
        sender if isinstance(sender, str) and len(sender) >= _MIN_SENDER_LEN else ""
    )
    return dict(_scrub_all(masked, secret))


def _channel(event: Mapping[str, Any], sender: str) -> str | None:
    """The channel a user event came through, else the sender id's prefix.

    A conversation bound to a mobile number (``citizen:…``) spans channels:
    the gateway names the channel of each message in its metadata.
    """
    metadata = event.get("metadata")
    named = metadata.get("channel") if isinstance(metadata, Mapping) else None
    if isinstance(named, str) and _CHANNEL.fullmatch(named):
        return named
    return channel_of(sender)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def to_row(event: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """The ``conversation_events`` row of one raw Rasa event: masked throughout."""
    sender = str(event.get("sender_id") or "")
    masked = mask_event(event)
    kind = str(masked.get("event") or "")
    stamp = _number(masked.get("timestamp")) or time.time()
    row: dict[str, Any] = {
        "conversation": pseudonym(key, sender),
        "channel": _channel(masked, sender),
        "timestamp": datetime.fromtimestamp(stamp, timezone.utc),
        "event_type": kind[:32],
        "intent": None,
        "confidence": None,
        "action_name": None,
        "text": None,
        "data": _storable(json.dumps(masked, ensure_ascii=False, default=str)),
    }
    if kind == "user":
        intent = (masked.get("parse_data") or {}).get("intent") or {}
        row["intent"] = intent.get("name")
        row["confidence"] = _number(intent.get("confidence"))
        row["text"] = masked.get("text")
    elif kind == "action":
        row["action_name"] = masked.get("name")
        row["confidence"] = _number(masked.get("confidence"))
        row["text"] = masked.get("action_text")
    elif kind == "bot":
        row["action_name"] = (masked.get("metadata") or {}).get("utter_action")
        row["text"] = masked.get("text")
    for column, limit in (("intent", 128), ("action_name", 128), ("text", None)):
        if row[column] is not None:
            row[column] = _storable(str(row[column]))[:limit]
    return row


def _storable(text: str) -> str:
    """No NUL (PostgreSQL refuses it) and no lone surrogate (not encodable)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "\ufffd")
