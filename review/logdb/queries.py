"""Read queries the staff console needs on the conversation log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from review.logdb.models import ConversationEvent
from review.logdb.turns import (
    FALLBACK_ACTIONS,
    HANDOFF_ACTIONS,
    NLU_FALLBACK,
    LoggedEvent,
    Prediction,
    Turn,
    as_utc,
    build_turns,
    decode,
    prediction,
)

Event = ConversationEvent


@dataclass(frozen=True)
class LoggedMessage:
    """One citizen message (masked) with the model's prediction."""

    event_id: int
    conversation: str
    channel: str | None
    timestamp: dt.datetime
    text: str | None
    prediction: Prediction


@dataclass(frozen=True)
class ConversationSummary:
    """One conversation in a list: when, where, how much, how it went."""

    conversation: str
    channel: str | None
    started: dt.datetime
    last: dt.datetime
    messages: int
    fallbacks: int
    handed_off: bool


def _logged(row: Event) -> LoggedEvent:
    return LoggedEvent(
        id=row.id,
        timestamp=row.timestamp,
        event_type=row.event_type,
        intent=row.intent,
        confidence=row.confidence,
        action_name=row.action_name,
        text=row.text,
        data=decode(row.data),
    )


def _message(row: Event) -> LoggedMessage:
    return LoggedMessage(
        event_id=row.id,
        conversation=row.conversation,
        channel=row.channel,
        timestamp=as_utc(row.timestamp),
        text=row.text,
        prediction=prediction(row.intent, row.confidence, decode(row.data)),
    )


def _window(
    query: Select[Any],
    column: type[Event],
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Select[Any]:
    if since is not None:
        query = query.where(column.timestamp >= since)
    if until is not None:
        query = query.where(column.timestamp < until)
    return query


async def conversation_turns(session: AsyncSession, conversation: str) -> list[Turn]:
    """Every turn of one conversation (by its pseudonym), oldest first."""
    rows = await session.scalars(
        select(Event)
        .where(Event.conversation == conversation)
        .order_by(Event.timestamp, Event.id)
    )
    return build_turns(_logged(row) for row in rows)


async def fallback_messages(
    session: AsyncSession,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
) -> list[LoggedMessage]:
    """Messages the assistant did not understand, newest first.

    A message counts when NLU gave ``nlu_fallback`` or when a fallback action
    ran before the citizen's next message (a dialogue-level fallback).
    """
    user, action, later = (aliased(Event, name=n) for n in ("u", "a", "n"))
    next_message = (
        select(func.min(later.timestamp))
        .where(
            later.conversation == user.conversation,
            later.event_type == "user",
            later.timestamp > user.timestamp,
        )
        .correlate(user)
        .scalar_subquery()
    )
    fell_back = (
        exists()
        .where(
            action.conversation == user.conversation,
            action.event_type == "action",
            action.action_name.in_(FALLBACK_ACTIONS),
            action.timestamp >= user.timestamp,
            or_(next_message.is_(None), action.timestamp < next_message),
        )
        .correlate(user)
    )
    query = select(user).where(
        user.event_type == "user", or_(user.intent == NLU_FALLBACK, fell_back)
    )
    query = _window(query, user, since, until)
    rows = await session.scalars(
        query.order_by(user.timestamp.desc(), user.id.desc()).limit(limit)
    )
    return [_message(row) for row in rows]


async def low_confidence_messages(
    session: AsyncSession,
    *,
    below: float = 0.6,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
) -> list[LoggedMessage]:
    """Messages whose predicted intent had a confidence under ``below``, least sure first."""
    query = select(Event).where(Event.event_type == "user", Event.confidence < below)
    query = _window(query, Event, since, until)
    rows = await session.scalars(
        query.order_by(Event.confidence, Event.timestamp.desc()).limit(limit)
    )
    return [_message(row) for row in rows]


async def recent_conversations(
    session: AsyncSession,
    *,
    since: dt.datetime | None = None,
    channel: str | None = None,
    limit: int = 50,
) -> list[ConversationSummary]:
    """Conversations with their size and outcome, most recently active first."""
    is_user = Event.event_type == "user"
    # Every fallback, NLU or dialogue, runs one of these actions once.
    fallback = (Event.event_type == "action") & Event.action_name.in_(FALLBACK_ACTIONS)
    handoff = Event.action_name.in_(HANDOFF_ACTIONS) | (Event.event_type == "pause")
    query = select(
        Event.conversation,
        func.max(Event.channel),
        func.min(Event.timestamp),
        func.max(Event.timestamp),
        func.sum(case((is_user, 1), else_=0)),
        func.sum(case((fallback, 1), else_=0)),
        func.max(case((handoff, 1), else_=0)),
    ).group_by(Event.conversation)
    if since is not None:
        query = query.where(Event.timestamp >= since)
    if channel is not None:
        query = query.where(Event.channel == channel)
    result = await session.execute(
        query.order_by(func.max(Event.timestamp).desc()).limit(limit)
    )
    return [
        ConversationSummary(
            conversation=conversation,
            channel=found_channel,
            started=as_utc(started),
            last=as_utc(last),
            messages=int(messages or 0),
            fallbacks=int(fallbacks or 0),
            handed_off=bool(handed_off),
        )
        for conversation, found_channel, started, last, messages, fallbacks, handed_off in result
    ]
