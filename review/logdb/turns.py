"""Logged events → turns: what the citizen said, what the model made of it, what followed.

Pure functions over the masked event rows; the queries load the rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NLU_FALLBACK = "nlu_fallback"
FALLBACK_ACTIONS = frozenset(
    {
        "action_default_fallback",
        "action_two_stage_fallback",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
    }
)
HANDOFF_ACTIONS = frozenset({"action_human_handoff"})
HANDOFF_UTTERANCES = frozenset({"utter_handoff_after_failures", "utter_human_handoff"})
RATING_ACTION = "action_rate_service"
RATING_SLOT = "rating"
_QUIET_ACTIONS = frozenset({"action_listen"})


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Entity:
    """One extracted entity, its value already masked when it is personal."""

    entity: str
    value: Any
    start: int | None = None
    end: int | None = None
    extractor: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Prediction:
    """The model's reading of one message."""

    intent: str | None
    confidence: float | None
    # Under nlu_fallback: the likeliest real intent and its confidence.
    top_intent: str | None
    top_confidence: float | None
    entities: tuple[Entity, ...]


@dataclass
class Turn:
    """One user message and everything up to the next one.

    ``event_id`` is the id of the user event (what a label refers to); the
    opening turn of a session, before any message, has ``text`` ``None``.
    """

    event_id: int
    timestamp: dt.datetime
    text: str | None = None
    prediction: Prediction | None = None
    actions: list[str] = field(default_factory=list)
    bot_texts: list[str] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    fallback: bool = False
    handoff: bool = False
    rating: int | None = None


@dataclass(frozen=True)
class LoggedEvent:
    """The columns of one ``conversation_events`` row the turns need."""

    id: int
    timestamp: dt.datetime
    event_type: str
    intent: str | None
    confidence: float | None
    action_name: str | None
    text: str | None
    data: Mapping[str, Any]


def decode(data: str) -> dict[str, Any]:
    """The masked event JSON of a row (an unreadable one counts as empty)."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def prediction(
    intent: str | None, confidence: float | None, data: Mapping[str, Any]
) -> Prediction:
    """The prediction stored with a user event."""
    parse = data.get("parse_data") or {}
    top_intent, top_confidence = intent, confidence
    if intent == NLU_FALLBACK:
        ranked = [
            r
            for r in parse.get("intent_ranking") or []
            if isinstance(r, dict) and r.get("name") != NLU_FALLBACK
        ]
        if ranked:
            top_intent = ranked[0].get("name")
            top_confidence = _float(ranked[0].get("confidence"))
    entities = tuple(
        Entity(
            entity=str(e.get("entity")),
            value=e.get("value"),
            start=e.get("start") if isinstance(e.get("start"), int) else None,
            end=e.get("end") if isinstance(e.get("end"), int) else None,
            extractor=e.get("extractor"),
            confidence=_float(e.get("confidence_entity")),
        )
        for e in parse.get("entities") or []
        if isinstance(e, dict) and e.get("entity")
    )
    return Prediction(intent, confidence, top_intent, top_confidence, entities)


def score_of(value: Any) -> int | None:
    """A 1-5 rating from a slot value (``"4"``, ``4``); anything else ``None``."""
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None


def build_turns(events: Iterable[LoggedEvent]) -> list[Turn]:
    """Group one conversation's events (in time order) into turns."""
    turns: list[Turn] = []
    rating_value: Any = None
    for event in events:
        if event.event_type == "user":
            turns.append(
                Turn(
                    event_id=event.id,
                    timestamp=as_utc(event.timestamp),
                    text=event.text,
                    prediction=prediction(event.intent, event.confidence, event.data),
                    fallback=event.intent == NLU_FALLBACK,
                )
            )
            continue
        if not turns:
            turns.append(Turn(event_id=event.id, timestamp=as_utc(event.timestamp)))
        turn = turns[-1]
        if event.event_type == "action" and event.action_name:
            if event.action_name not in _QUIET_ACTIONS:
                turn.actions.append(event.action_name)
            turn.fallback |= event.action_name in FALLBACK_ACTIONS
            turn.handoff |= event.action_name in HANDOFF_ACTIONS
            if event.action_name == RATING_ACTION:
                turn.rating = score_of(rating_value)
        elif event.event_type == "bot":
            if event.text:
                turn.bot_texts.append(event.text)
            turn.handoff |= event.action_name in HANDOFF_UTTERANCES
        elif event.event_type == "slot":
            name = str(event.data.get("name"))
            turn.slots[name] = event.data.get("value")
            if name == RATING_SLOT:
                rating_value = event.data.get("value")
        elif event.event_type == "pause":
            turn.handoff = True
    return turns
