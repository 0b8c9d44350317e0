"""The review queue: candidate messages from the log, scored, grouped, paged.

Reads the masked log (``conversation_events``) in a time window, rebuilds
each conversation's turns, keeps the citizen messages with at least one
signal (``review.queue.signals``) and no decision yet, ranks them by score
and groups similar ones (``review.queue.grouping``). A group's score is the
sum of its members' scores: one decision fixes every one of them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from review.logdb.models import ConversationEvent
from review.logdb.queries import conversation_turns
from review.logdb.turns import Entity, LoggedEvent, Turn, as_utc, build_turns, decode
from review.queue.grouping import DEFAULT_THRESHOLD, Cluster, cluster, key_id
from review.queue.models import Annotation
from review.queue.signals import DEFAULT_LOW_CONFIDENCE, Signal, conversation_signals
from review.queue.vocabulary import RETRIEVAL_INTENT

Event = ConversationEvent
DEFAULT_WINDOW = dt.timedelta(days=30)
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class QueueItem:
    """One citizen message worth reviewing (masked text only, rule R6)."""

    event_id: int
    conversation: str
    channel: str | None
    timestamp: dt.datetime
    text: str
    intent: str | None  # as predicted: may be nlu_fallback
    confidence: float | None
    top_intent: str | None  # the likeliest real intent (under a fallback too)
    top_confidence: float | None
    entities: tuple[Entity, ...]
    signals: tuple[Signal, ...]

    @property
    def score(self) -> float:
        """Sum of the signals' weights."""
        return round(sum(s.weight for s in self.signals), 3)

    @property
    def suggested_intent(self) -> str | None:
        """The meaning the citizen's own next step pointed to, if any."""
        return next(
            (s.suggested_intent for s in self.signals if s.suggested_intent), None
        )


@dataclass(frozen=True)
class QueueGroup:
    """Similar messages labelled by one decision; ``items[0]`` is the leader."""

    id: str
    key: str
    items: tuple[QueueItem, ...]

    @property
    def leader(self) -> QueueItem:
        """The best-ranked member: the text a reviewer labels."""
        return self.items[0]

    @property
    def score(self) -> float:
        """Sum of the members' scores."""
        return round(sum(i.score for i in self.items), 3)

    @property
    def suggested_intent(self) -> str | None:
        """The members' most frequent suggestion."""
        found = Counter(i.suggested_intent for i in self.items if i.suggested_intent)
        return found.most_common(1)[0][0] if found else None


@dataclass(frozen=True)
class QueuePage:
    """One page of groups, best first."""

    groups: tuple[QueueGroup, ...]
    page: int
    page_size: int
    total_groups: int
    total_items: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total_groups // self.page_size))


@dataclass(frozen=True)
class QueueOptions:
    """What the queue reads and how it groups."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    similarity: float = DEFAULT_THRESHOLD


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


def _with_topics(turns: list[Turn], events: Sequence[LoggedEvent]) -> list[Turn]:
    """Read ``faq`` predictions as ``faq/<topic>``: the response selector's choice."""
    topics: dict[int, str] = {}
    for event in events:
        selector = (event.data.get("parse_data") or {}).get("response_selector") or {}
        key = ((selector.get(RETRIEVAL_INTENT) or {}).get("response") or {}).get(
            "intent_response_key"
        )
        if isinstance(key, str) and key.startswith(f"{RETRIEVAL_INTENT}/"):
            topics[event.id] = key
    for turn in turns:
        p = turn.prediction
        topic = topics.get(turn.event_id)
        if p is None or topic is None:
            continue
        turn.prediction = replace(
            p,
            intent=topic if p.intent == RETRIEVAL_INTENT else p.intent,
            top_intent=topic if p.top_intent == RETRIEVAL_INTENT else p.top_intent,
        )
    return turns


def _items(
    conversation: str, channel: str | None, events: Sequence[LoggedEvent], low: float
) -> list[QueueItem]:
    turns = _with_topics(build_turns(events), events)
    found = conversation_signals(turns, low)
    items: list[QueueItem] = []
    for turn in turns:
        signals = found.get(turn.event_id)
        if not signals or turn.prediction is None or turn.text is None:
            continue
        p = turn.prediction
        items.append(
            QueueItem(
                event_id=turn.event_id,
                conversation=conversation,
                channel=channel,
                timestamp=turn.timestamp,
                text=turn.text,
                intent=p.intent,
                confidence=p.confidence,
                top_intent=p.top_intent,
                top_confidence=p.top_confidence,
                entities=p.entities,
                signals=tuple(signals),
            )
        )
    return items


async def candidates(
    session: AsyncSession, options: QueueOptions | None = None
) -> list[QueueItem]:
    """Every message with a signal in the window, decided or not, in rank order."""
    options = options or QueueOptions()
    since = options.since
    if since is None:
        since = dt.datetime.now(dt.timezone.utc) - DEFAULT_WINDOW
    query = select(Event).where(Event.timestamp >= since)
    if options.until is not None:
        query = query.where(Event.timestamp < options.until)
    rows = await session.stream_scalars(
        query.order_by(Event.conversation, Event.timestamp, Event.id)
    )
    items: list[QueueItem] = []
    current: str | None = None
    channel: str | None = None
    events: list[LoggedEvent] = []
    async for row in rows:
        if row.conversation != current:
            if current is not None:
                items += _items(current, channel, events, options.low_confidence)
            current, channel, events = row.conversation, row.channel, []
        channel = channel or row.channel
        events.append(_logged(row))
    if current is not None:
        items += _items(current, channel, events, options.low_confidence)
    return rank(items)


def rank(items: Iterable[QueueItem]) -> list[QueueItem]:
    """Best score first, then newest, then highest id (a total order)."""
    return sorted(
        items, key=lambda i: (-i.score, -as_utc(i.timestamp).timestamp(), -i.event_id)
    )


async def decided_ids(session: AsyncSession, event_ids: Iterable[int]) -> set[int]:
    """The ids among ``event_ids`` that already have a decision."""
    ids = sorted(set(event_ids))
    found: set[int] = set()
    # Chunks stay under every database's bound-parameter limit.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await session.scalars(
            select(Annotation.event_id).where(Annotation.event_id.in_(chunk))
        )
        found.update(rows)
    return found


def groups_of(items: Sequence[QueueItem], threshold: float) -> list[QueueGroup]:
    """Group ranked items; groups ranked by score, then by their leader's rank."""
    clusters: list[Cluster[QueueItem]] = cluster(items, lambda i: i.text, threshold)
    order = {id(c): n for n, c in enumerate(clusters)}
    groups = [
        (QueueGroup(key_id(c.key), c.key, tuple(c.members)), order[id(c)])
        for c in clusters
    ]
    groups.sort(key=lambda pair: (-pair[0].score, pair[1]))
    return [g for g, _ in groups]


async def open_groups(
    session: AsyncSession, options: QueueOptions | None = None
) -> list[QueueGroup]:
    """Every group of undecided candidates, best first."""
    options = options or QueueOptions()
    items = await candidates(session, options)
    decided = await decided_ids(session, (i.event_id for i in items))
    undecided = [i for i in items if i.event_id not in decided]
    return groups_of(undecided, options.similarity)


async def queue_page(
    session: AsyncSession,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    options: QueueOptions | None = None,
) -> QueuePage:
    """One page of the queue (``page`` counts from 1)."""
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size must be at least 1")
    groups = await open_groups(session, options)
    start = (page - 1) * page_size
    return QueuePage(
        groups=tuple(groups[start : start + page_size]),
        page=page,
        page_size=page_size,
        total_groups=len(groups),
        total_items=sum(len(g.items) for g in groups),
    )


async def find_group(
    session: AsyncSession, event_id: int, options: QueueOptions | None = None
) -> QueueGroup | None:
    """The open group holding ``event_id`` (``None`` once decided or unsignalled)."""
    for group in await open_groups(session, options):
        if any(i.event_id == event_id for i in group.items):
            return group
    return None


@dataclass(frozen=True)
class MessageContext:
    """One message with the turns around it (what a reviewer reads before deciding)."""

    event_id: int
    conversation: str
    channel: str | None
    turn: Turn
    before: tuple[Turn, ...]
    after: tuple[Turn, ...]


async def message_context(
    session: AsyncSession, event_id: int, around: int = 3
) -> MessageContext | None:
    """The user message ``event_id`` and up to ``around`` turns each side."""
    row = await session.get(Event, event_id)
    if row is None or row.event_type != "user":
        return None
    turns = [
        t
        for t in await conversation_turns(session, row.conversation)
        if t.text is not None
    ]
    index = next(i for i, t in enumerate(turns) if t.event_id == event_id)
    return MessageContext(
        event_id=event_id,
        conversation=row.conversation,
        channel=row.channel,
        turn=turns[index],
        before=tuple(turns[max(0, index - around) : index]),
        after=tuple(turns[index + 1 : index + 1 + around]),
    )
