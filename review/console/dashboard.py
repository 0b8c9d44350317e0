"""Dashboard figures from the masked conversation log: volume, outcomes, satisfaction.

Days are local (Asia/Shanghai): staff read "11月20日" as the day in the city.
The log is already masked; nothing here reads or shows message texts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue import TASKS, Task
from review.logdb.models import ConversationEvent
from review.logdb.turns import LoggedEvent, Turn, as_utc, build_turns, decode

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
UNKNOWN_CHANNEL = "未知渠道"
RATING_SERVICE_SLOT = "rating_service"
# The service keys ``finish_task`` stores in ``rating_service`` and their names
# (kept equal to actions/ratings.py SERVICES by a test).
SERVICE_LABELS = {
    "exam_booking": "驾驶人考试预约",
    "violations": "交通违法查询与缴款",
    "license": "驾驶证查询",
    "inspection": "机动车检验",
    "hotline": "12345热线诉求",
}
CONVERSATION_SERVICE = "智能客服咨询"
# Who answers for each service in the sandbox city (docs/sandbox-city.md);
# a hotline ticket's department is the one the bot announced for it.
SERVICE_DEPARTMENTS = {
    "exam_booking": "市车管所",
    "license": "市车管所",
    "inspection": "市车管所",
    "violations": "市公安局交通警察支队",
}
HOTLINE_UNKNOWN_DEPARTMENT = "12345热线（承办部门未记录）"
CONVERSATION_DEPARTMENT = "智能客服运营"
_DEPARTMENT_IN_REPLY = (
    re.compile(r"已转(?P<d>[^，。,\s]{2,40}?)办理"),
    re.compile(r"工单[^（(]*[（(][^，,]+[，,](?P<d>[^）)]{2,40})[）)]"),
)


@dataclass(frozen=True)
class DateRange:
    """Local days ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @classmethod
    def last_days(cls, days: int, today: dt.date | None = None) -> DateRange:
        """The ``days`` days up to and including today (local)."""
        end = today or dt.datetime.now(LOCAL_TZ).date()
        return cls(end - dt.timedelta(days=days - 1), end)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants the range starts at and ends before."""
        start = dt.datetime.combine(self.start, dt.time(), LOCAL_TZ)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
        return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)

    def days(self) -> list[dt.date]:
        """Every day of the range, in order."""
        count = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=n) for n in range(count)]


@dataclass(frozen=True)
class TaskFigures:
    """How often a task intent was started and carried through."""

    intent: str
    started: int
    completed: int

    @property
    def rate(self) -> float | None:
        """Completed / started (``None`` when never started)."""
        return self.completed / self.started if self.started else None


@dataclass
class RatingFigures:
    """The 1-5 ratings of one service or department."""

    label: str
    scores: Counter[int] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        """How many ratings."""
        return sum(self.scores.values())

    @property
    def average(self) -> float | None:
        """Mean score (``None`` without ratings)."""
        total = self.count
        return sum(s * n for s, n in self.scores.items()) / total if total else None

    @property
    def bad(self) -> int:
        """Ratings of 1 or 2 (差评), which start a follow-up."""
        return self.scores[1] + self.scores[2]


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the dashboard for one date range."""

    range: DateRange
    conversations: int
    messages: int
    conversations_by_channel: list[tuple[str, int]]
    messages_by_channel: list[tuple[str, int]]
    messages_by_intent: list[tuple[str, int]]
    messages_by_day: list[tuple[dt.date, int]]
    fallback_messages: int
    handoff_conversations: int
    tasks: list[TaskFigures]
    ratings_by_service: list[RatingFigures]
    ratings_by_department: list[RatingFigures]

    @property
    def fallback_rate(self) -> float | None:
        """Share of citizen messages the assistant did not understand."""
        return self.fallback_messages / self.messages if self.messages else None

    @property
    def handoff_rate(self) -> float | None:
        """Share of conversations handed to a human helper."""
        return (
            self.handoff_conversations / self.conversations
            if self.conversations
            else None
        )

    @property
    def tasks_started(self) -> int:
        """Task intents started."""
        return sum(t.started for t in self.tasks)

    @property
    def tasks_completed(self) -> int:
        """Tasks carried through to their result."""
        return sum(t.completed for t in self.tasks)

    @property
    def completion_rate(self) -> float | None:
        """Completed / started over every task."""
        started = self.tasks_started
        return self.tasks_completed / started if started else None

    @property
    def ratings(self) -> RatingFigures:
        """Every rating together."""
        total = RatingFigures("全部")
        for figures in self.ratings_by_service:
            total.scores.update(figures.scores)
        return total


@dataclass
class _Tally:
    conversations: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    intents: Counter[str] = field(default_factory=Counter)
    days: Counter[dt.date] = field(default_factory=Counter)
    fallbacks: int = 0
    handoffs: int = 0
    started: Counter[str] = field(default_factory=Counter)
    completed: Counter[str] = field(default_factory=Counter)
    by_service: dict[str, RatingFigures] = field(default_factory=dict)
    by_department: dict[str, RatingFigures] = field(default_factory=dict)


def _department_in(texts: Iterable[str]) -> str | None:
    for text in texts:
        for pattern in _DEPARTMENT_IN_REPLY:
            found = pattern.search(text)
            if found:
                return found.group("d")
    return None


def _count_tasks(turns: Sequence[Turn], tally: _Tally, tasks: dict[str, Task]) -> None:
    """A task counts as completed when its submit action ran and finished the task.

    ``finish_task`` (every task with a result) sets ``rating_service`` in the
    same turn as the submit action; a task answered without a form (the office
    directory) completes when its action runs. A task left for another or
    failed at the back end stays started but not completed.
    """
    open_task: Task | None = None
    for turn in turns:
        intent = turn.prediction.intent if turn.prediction else None
        task = tasks.get(intent or "")
        if task is not None and (open_task is None or open_task.intent != task.intent):
            tally.started[task.intent] += 1
            open_task = task
        if open_task is None or open_task.submit not in turn.actions:
            continue
        finished = turn.slots.get(RATING_SERVICE_SLOT) is not None
        if finished or open_task.form is None:
            tally.completed[open_task.intent] += 1
            open_task = None


def _count_ratings(turns: Sequence[Turn], tally: _Tally) -> None:
    service: str | None = None
    department: str | None = None
    for turn in turns:
        if RATING_SERVICE_SLOT in turn.slots:
            value = turn.slots[RATING_SERVICE_SLOT]
            service = str(value) if value else None
            if service == "hotline":
                department = (
                    _department_in(turn.bot_texts) or HOTLINE_UNKNOWN_DEPARTMENT
                )
            elif service is not None:
                department = SERVICE_DEPARTMENTS.get(
                    service, HOTLINE_UNKNOWN_DEPARTMENT
                )
            else:
                department = None
        if turn.rating is None:
            continue
        label = SERVICE_LABELS.get(service or "", CONVERSATION_SERVICE)
        where = department or CONVERSATION_DEPARTMENT
        tally.by_service.setdefault(label, RatingFigures(label)).scores[
            turn.rating
        ] += 1
        tally.by_department.setdefault(where, RatingFigures(where)).scores[
            turn.rating
        ] += 1


def _count_conversation(
    channel: str, turns: Sequence[Turn], tally: _Tally, tasks: dict[str, Task]
) -> None:
    said = [turn for turn in turns if turn.text is not None]
    tally.conversations[channel] += 1
    tally.messages[channel] += len(said)
    for turn in said:
        intent = turn.prediction.intent if turn.prediction else None
        tally.intents[intent or "（无意图）"] += 1
        tally.days[turn.timestamp.astimezone(LOCAL_TZ).date()] += 1
        tally.fallbacks += turn.fallback
    tally.handoffs += any(turn.handoff for turn in turns)
    _count_tasks(turns, tally, tasks)
    _count_ratings(turns, tally)


def _logged(row: ConversationEvent) -> LoggedEvent:
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


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _figures(table: dict[str, RatingFigures]) -> list[RatingFigures]:
    return sorted(table.values(), key=lambda f: (-f.count, f.label))


async def dashboard(session: AsyncSession, period: DateRange) -> Dashboard:
    """Compute the dashboard over the events inside ``period``."""
    since, until = period.bounds()
    rows = await session.scalars(
        select(ConversationEvent)
        .where(
            ConversationEvent.timestamp >= since, ConversationEvent.timestamp < until
        )
        .order_by(
            ConversationEvent.conversation,
            ConversationEvent.timestamp,
            ConversationEvent.id,
        )
    )
    grouped: dict[str, list[ConversationEvent]] = defaultdict(list)
    for row in rows:
        grouped[row.conversation].append(row)
    tally = _Tally()
    tasks = {task.intent: task for task in TASKS}
    for events in grouped.values():
        channel = (
            next((e.channel for e in events if e.channel), None) or UNKNOWN_CHANNEL
        )
        turns = build_turns(_logged(e) for e in events)
        _count_conversation(channel, turns, tally, tasks)
    return Dashboard(
        range=period,
        conversations=sum(tally.conversations.values()),
        messages=sum(tally.messages.values()),
        conversations_by_channel=_ranked(tally.conversations),
        messages_by_channel=_ranked(tally.messages),
        messages_by_intent=_ranked(tally.intents),
        messages_by_day=[(day, tally.days[day]) for day in period.days()],
        fallback_messages=tally.fallbacks,
        handoff_conversations=tally.handoffs,
        tasks=[
            TaskFigures(intent, tally.started[intent], tally.completed[intent])
            for intent, _ in _ranked(tally.started)
        ],
        ratings_by_service=_figures(tally.by_service),
        ratings_by_department=_figures(tally.by_department),
    )


def as_local(value: dt.datetime) -> dt.datetime:
    """A stored (UTC) time in the city's time zone."""
    return as_utc(value).astimezone(LOCAL_TZ)
