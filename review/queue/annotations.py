"""Decisions about queued messages: label, out of scope or skip, one or a group at once.

Every write is conditional on the version the reviewer saw (0: no decision
yet). A stale write raises ``Conflict`` and changes nothing, so the decision
that won stays and the loser is told who made it. Every decision is kept as
a revision (who, when, what).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from nlu.normalize import normalize_for_match
from review.logdb import audit
from review.logdb.database import LogDatabase
from review.logdb.models import ConversationEvent
from review.logdb.turns import as_utc, decode, prediction
from review.queue.errors import Conflict, InvalidLabel, ItemNotFound, Problem
from review.queue.grouping import group_key, key_id
from review.queue.labels import Label, Span, check, spans_from_json, spans_to_json
from review.queue.masked import masked_runs
from review.queue.models import Annotation, AnnotationRevision, Decision
from review.queue.vocabulary import Vocabulary

_MAX_REVIEWER = 64


@dataclass(frozen=True)
class AnnotationView:
    """A decision as the console and the CLI show it."""

    id: int
    event_id: int
    text: str
    decision: Decision
    intent: str | None
    entities: tuple[Span, ...]
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def label(self) -> Label:
        """The decision as a ``Label``."""
        return Label(self.decision, self.intent, self.entities)


@dataclass(frozen=True)
class Revision:
    """One past (or the current) decision."""

    version: int
    decision: Decision
    intent: str | None
    entities: tuple[Span, ...]
    at: dt.datetime
    by: str


@dataclass(frozen=True)
class GroupResult:
    """A group decision: who got it, and who must be labelled one by one."""

    decided: tuple[AnnotationView, ...]
    # Members whose entity spans could not be carried over from the leader.
    left: tuple[int, ...]


def view(row: Annotation) -> AnnotationView:
    """The view of a stored annotation."""
    return AnnotationView(
        id=row.id,
        event_id=row.event_id,
        text=row.text,
        decision=Decision(row.decision),
        intent=row.intent,
        entities=spans_from_json(row.entities),
        version=row.version,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        updated_at=as_utc(row.updated_at),
        updated_by=row.updated_by,
    )


def _reviewer(name: str) -> str:
    name = name.strip()
    if not name or len(name) > _MAX_REVIEWER:
        raise InvalidLabel([Problem("reviewer", "必须注明标注人（1–64 个字符）")])
    return name


async def _message(session: AsyncSession, event_id: int) -> ConversationEvent:
    row = await session.get(ConversationEvent, event_id)
    if row is None or row.event_type != "user" or row.text is None:
        raise ItemNotFound(event_id)
    return row


async def get_annotation(session: AsyncSession, event_id: int) -> AnnotationView | None:
    """The current decision about a message, if any."""
    row = await session.scalar(
        select(Annotation).where(Annotation.event_id == event_id)
    )
    return view(row) if row else None


async def revisions(session: AsyncSession, event_id: int) -> list[Revision]:
    """Every decision about a message, oldest first."""
    rows = await session.execute(
        select(AnnotationRevision)
        .join(Annotation, Annotation.id == AnnotationRevision.annotation_id)
        .where(Annotation.event_id == event_id)
        .order_by(AnnotationRevision.version)
    )
    return [
        Revision(
            version=r.version,
            decision=Decision(r.decision),
            intent=r.intent,
            entities=spans_from_json(r.entities),
            at=as_utc(r.at),
            by=r.by,
        )
        for (r,) in rows
    ]


async def _write(
    session: AsyncSession,
    event: ConversationEvent,
    label: Label,
    reviewer: str,
    expected_version: int,
    now: dt.datetime,
    group: str | None,
) -> Annotation:
    """Insert or update one annotation inside the caller's transaction."""
    row = await session.scalar(
        select(Annotation).where(Annotation.event_id == event.id)
    )
    current = row.version if row is not None else 0
    if current != expected_version:
        raise Conflict(
            event.id,
            expected_version,
            current,
            row.updated_by if row else None,
            view(row).label.summary() if row else None,
        )
    entities = spans_to_json(label.entities)
    intent = label.intent if label.decision is not Decision.SKIP else None
    if row is None:
        parsed = prediction(event.intent, event.confidence, decode(event.data))
        row = Annotation(
            event_id=event.id,
            text=event.text,
            decision=label.decision.value,
            intent=intent,
            entities=entities,
            predicted_intent=parsed.top_intent,
            predicted_confidence=parsed.top_confidence,
            group_key=group,
            created_at=now,
            created_by=reviewer,
            updated_at=now,
            updated_by=reviewer,
        )
        session.add(row)
    else:
        row.decision = label.decision.value
        row.intent = intent
        row.entities = entities
        row.group_key = group or row.group_key
        row.updated_at = now
        row.updated_by = reviewer
    # The version column makes this UPDATE conditional (… WHERE version = :seen).
    await session.flush()
    session.add(
        AnnotationRevision(
            annotation_id=row.id,
            version=row.version,
            decision=row.decision,
            intent=row.intent,
            entities=entities,
            at=now,
            by=reviewer,
        )
    )
    await session.flush()
    return row


async def _audit(
    session: AsyncSession,
    reviewer: str,
    rows: Sequence[Annotation | AnnotationView],
    label: Label,
    now: dt.datetime,
) -> None:
    await audit.append(
        session,
        actor=reviewer,
        action="queue.label",
        target=",".join(f"event:{r.event_id}" for r in rows)[:256],
        details={
            "annotations": [r.id for r in rows],
            "decision": label.decision.value,
            "intent": label.intent,
            "entities": [s.entity for s in label.entities],
        },
        at=now,
    )


async def _conflict_now(db: LogDatabase, event_id: int, expected: int) -> Conflict:
    """The conflict as it stands after a concurrent write won."""
    async with db.read() as session:
        current = await get_annotation(session, event_id)
    return Conflict(
        event_id,
        expected,
        current.version if current else 0,
        current.updated_by if current else None,
        current.label.summary() if current else None,
    )


async def decide(
    db: LogDatabase,
    event_id: int,
    label: Label,
    *,
    reviewer: str,
    expected_version: int,
    vocabulary: Vocabulary,
    now: dt.datetime | None = None,
    audited: bool = False,
) -> AnnotationView:
    """Record a decision about one message.

    Args:
        db: The conversation log.
        event_id: The user event (``QueueItem.event_id``).
        label: What was decided; checked against ``vocabulary`` and the text.
        reviewer: Staff login recorded as the author.
        expected_version: The version the reviewer saw; 0 when undecided.
        vocabulary: Allowed intents and entity types.
        now: Decision time (default: now, UTC).
        audited: Also append ``queue.label`` to the audit log, in the same
            transaction (the CLI does; the console audits in its own way).

    Raises:
        ItemNotFound: no such citizen message.
        InvalidLabel: unknown intent or entity, bad spans (every problem listed).
        Conflict: someone else decided since version ``expected_version``.
    """
    reviewer = _reviewer(reviewer)
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        async with db.write() as session:
            event = await _message(session, event_id)
            check(label, event.text or "", vocabulary)
            row = await _write(
                session, event, label, reviewer, expected_version, now, None
            )
            if audited:
                await _audit(session, reviewer, [row], label, now)
            return view(row)
    except (IntegrityError, StaleDataError):
        raise await _conflict_now(db, event_id, expected_version) from None


def transfer_spans(
    leader: str, spans: Sequence[Span], member: str
) -> tuple[Span, ...] | None:
    """The leader's spans placed on a similar member text, or ``None``.

    A span over a masked value moves to the member's masked value at the same
    position in the order of masked values (and of the same kind); any other
    span moves to the same words (compared after normalisation), the same
    occurrence when they appear more than once.
    """
    if member == leader:
        return tuple(spans)
    lead_runs, member_runs = masked_runs(leader), masked_runs(member)
    lead_norm, member_norm = normalize_for_match(leader), normalize_for_match(member)
    moved: list[Span] = []
    for span in spans:
        run_index = next(
            (
                n
                for n, r in enumerate(lead_runs)
                if (r.start, r.end) == (span.start, span.end)
            ),
            None,
        )
        if run_index is not None:
            if run_index >= len(member_runs):
                return None
            target = member_runs[run_index]
            if target.kind != lead_runs[run_index].kind:
                return None
            moved.append(Span(target.start, target.end, span.entity, span.value))
            continue
        words = lead_norm[span.start : span.end]
        occurrence = lead_norm.count(words, 0, span.start)
        position = -1
        for _ in range(occurrence + 1):
            position = member_norm.find(words, position + 1)
            if position < 0:
                return None
        moved.append(Span(position, position + len(words), span.entity, span.value))
    return tuple(moved)


async def decide_group(
    db: LogDatabase,
    leader_id: int,
    member_ids: Sequence[int],
    label: Label,
    *,
    reviewer: str,
    vocabulary: Vocabulary,
    now: dt.datetime | None = None,
    audited: bool = False,
) -> GroupResult:
    """Apply one decision, made on the leader's text, to a whole group.

    All members must still be undecided (version 0): if anyone decided one
    meanwhile, ``Conflict`` is raised and nothing is written. Members whose
    spans cannot be carried over are left undecided and returned in ``left``.

    Raises:
        ItemNotFound, InvalidLabel (for the leader), Conflict.
    """
    reviewer = _reviewer(reviewer)
    now = now or dt.datetime.now(dt.timezone.utc)
    ids = list(dict.fromkeys([leader_id, *member_ids]))
    decided: list[AnnotationView] = []
    left: list[int] = []
    failed_on = leader_id
    try:
        async with db.write() as session:
            leader = await _message(session, leader_id)
            check(label, leader.text or "", vocabulary)
            group = key_id(group_key(leader.text or ""))
            for event_id in ids:
                failed_on = event_id
                event = await _message(session, event_id)
                spans = transfer_spans(
                    leader.text or "", label.entities, event.text or ""
                )
                if spans is None:
                    left.append(event_id)
                    continue
                member_label = Label(label.decision, label.intent, spans)
                try:
                    check(member_label, event.text or "", vocabulary)
                except InvalidLabel:
                    left.append(event_id)
                    continue
                row = await _write(
                    session, event, member_label, reviewer, 0, now, group
                )
                decided.append(view(row))
            if audited and decided:
                await _audit(session, reviewer, decided, label, now)
    except (IntegrityError, StaleDataError):
        raise await _conflict_now(db, failed_on, 0) from None
    return GroupResult(tuple(decided), tuple(left))
