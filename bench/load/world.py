"""The slice of the sandbox world that simulated citizens share during a run.

Seats are counted here as citizens claim them, so no two citizens race for
the last seat of a session: a booking script can then demand "预约成功！",
and any other answer is a fault, not bad luck.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.load.identities import Vehicle, citizen_phone, learner_id, vehicle


@dataclass(frozen=True)
class Session:
    """One exam session (site, subject, date, half-day)."""

    site: str
    subject: str
    date: str
    period: str

    @classmethod
    def from_slot(cls, slot: dict[str, Any]) -> Session:
        """From a ``/traffic/v1/exam-slots`` row."""
        return cls(
            str(slot["site"]),
            str(slot["subject"]),
            str(slot["date"]),
            str(slot["period"]),
        )


class SessionPool:
    """Exam sessions and the seats this run has not handed out yet."""

    def __init__(self, slots: Iterable[dict[str, Any]], after: date) -> None:
        """Keep the sessions strictly after ``after`` (today's may already have started)."""
        self._left: dict[Session, int] = {}
        for slot in slots:
            session = Session.from_slot(slot)
            if date.fromisoformat(session.date) > after and int(slot["remaining"]) > 0:
                self._left[session] = int(slot["remaining"])

    def claim(self, rng: random.Random) -> Session | None:
        """A random session with a seat left, now counted as taken; None when all are gone."""
        open_sessions = [s for s, left in self._left.items() if left > 0]
        if not open_sessions:
            return None
        session = rng.choice(sorted(open_sessions, key=_session_order))
        self._left[session] -= 1
        return session

    def seats_left(self) -> int:
        """Seats not handed out yet, over all sessions."""
        return sum(self._left.values())


def _session_order(session: Session) -> tuple[str, str, str, str]:
    # A stable order, so the same seed picks the same sessions.
    return (session.date, session.period, session.site, session.subject)


@dataclass(frozen=True)
class TicketRef:
    """A 12345 ticket a citizen can ask about, and the phone it was filed from."""

    ticket_id: str
    phone: str


class TicketBoard:
    """Tickets known to exist: the seeded ones, then each one filed during the run."""

    def __init__(self, seeded: Iterable[TicketRef] = ()) -> None:
        """Start with the seeded tickets."""
        self._tickets = list(seeded)

    def add(self, ticket: TicketRef) -> None:
        """A complaint script filed this one."""
        self._tickets.append(ticket)

    def __len__(self) -> int:
        """How many tickets are known."""
        return len(self._tickets)

    def pick(self, rng: random.Random) -> TicketRef | None:
        """Any known ticket, or None when there is none."""
        return rng.choice(self._tickets) if self._tickets else None


class Counter:
    """Hands out 0, 1, 2, … : one number per citizen identity of the run."""

    def __init__(self) -> None:
        """Start at zero."""
        self._next = 0

    def take(self) -> int:
        """The next number."""
        value = self._next
        self._next += 1
        return value


@dataclass
class World:
    """Everything the script builders draw from."""

    sessions: SessionPool
    tickets: TicketBoard
    licence_ids: tuple[str, ...]
    vehicles: list[Vehicle]
    learners: Counter
    phones: Counter

    def next_learner(self) -> str:
        """A fresh learner ID nobody else in the run uses."""
        return learner_id(self.learners.take())

    def next_phone(self) -> str:
        """A fresh mobile number nobody else in the run uses."""
        return citizen_phone(self.phones.take())

    def next_vehicle(self) -> Vehicle | None:
        """A vehicle registered for this run and not yet used, or None."""
        return self.vehicles.pop(0) if self.vehicles else None


def vehicles_to_register(count: int, start: int = 0) -> list[Vehicle]:
    """The vehicles to add to the sandbox before the run (one per violations script)."""
    return [vehicle(n) for n in range(start, start + count)]
