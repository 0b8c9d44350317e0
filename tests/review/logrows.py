"""Masked event rows as the broker writes them, for the query and retention tests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from review.logdb.database import LogDatabase
from review.logdb.models import ConversationEvent

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


def user(text: str, intent: str, confidence: float, **extra: Any) -> dict[str, Any]:
    """A masked user event as the broker stores it."""
    ranking = [{"name": intent, "confidence": confidence}, *extra.pop("ranking", [])]
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": extra.pop("entities", []),
            "intent_ranking": ranking,
        },
        "input_channel": "rest",
        **extra,
    }


def action(name: str, confidence: float = 1.0) -> dict[str, Any]:
    return {
        "event": "action",
        "name": name,
        "policy": "RulePolicy",
        "confidence": confidence,
    }


def bot(text: str, utter: str) -> dict[str, Any]:
    return {
        "event": "bot",
        "text": text,
        "data": {},
        "metadata": {"utter_action": utter},
    }


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def as_row(
    conversation: str, channel: str | None, when: dt.datetime, event: Mapping[str, Any]
) -> ConversationEvent:
    """The row the broker writes for one masked event."""
    kind = str(event["event"])
    intent = confidence = action_name = text = None
    if kind == "user":
        intent = event["parse_data"]["intent"]["name"]
        confidence = event["parse_data"]["intent"]["confidence"]
        text = event["text"]
    elif kind == "action":
        action_name, confidence = event["name"], event.get("confidence")
    elif kind == "bot":
        action_name, text = event["metadata"]["utter_action"], event["text"]
    return ConversationEvent(
        conversation=conversation,
        channel=channel,
        timestamp=when,
        event_type=kind,
        intent=intent,
        confidence=confidence,
        action_name=action_name,
        text=text,
        data=json.dumps(event, ensure_ascii=False),
    )


async def add_conversation(
    db: LogDatabase,
    conversation: str,
    events: list[Mapping[str, Any]],
    *,
    channel: str | None = "web",
    start: dt.datetime = T0,
) -> None:
    """Store events one second apart, as one conversation."""
    async with db.write() as session:
        session.add_all(
            as_row(conversation, channel, start + dt.timedelta(seconds=n), event)
            for n, event in enumerate(events)
        )
