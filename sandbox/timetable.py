"""Exam sessions and inspection half-days for the next 30 days, deterministic per day."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import city
from sandbox.models import ExamSession, InspectionSlot
from sandbox.statuses import Period, Subject

WINDOW_DAYS = 30
EXAM_CAPACITY = {Subject.ONE: 60, Subject.TWO: 20, Subject.THREE: 15, Subject.FOUR: 60}
STATION_CAPACITY = 20
MIN_OPEN_SEATS = 3


def open_days(today: dt.date) -> list[dt.date]:
    """Monday to Saturday of the 30 days after ``today``."""
    days = (today + dt.timedelta(days=n) for n in range(1, WINDOW_DAYS + 1))
    return [day for day in days if day.weekday() < 6]


def working_days(today: dt.date) -> list[dt.date]:
    """Monday to Friday of the 30 days after ``today``."""
    return [day for day in open_days(today) if day.weekday() < 5]


def _rng(seed: int, kind: str, day: dt.date) -> random.Random:
    # One generator per day, so a day's seats do not depend on which other
    # days were generated (start-up top-ups match a fresh seed).
    return random.Random(f"{seed}:{kind}:{day.isoformat()}")


def exam_sessions_for(day: dt.date, today: dt.date, seed: int) -> list[ExamSession]:
    """Sessions of every site and subject on ``day`` (city doc rules)."""
    rng = _rng(seed, "exam", day)
    saturday = day.weekday() == 5
    nearness = max(0.2, 1 - (day - today).days / 40)
    rows = []
    for site in city.EXAM_SITES:
        for subject in map(Subject, site.subjects):
            # Theory tests (科目一/科目四) also run on Saturday mornings.
            if saturday and subject not in (Subject.ONE, Subject.FOUR):
                continue
            for period in (Period.MORNING,) if saturday else tuple(Period):
                capacity = EXAM_CAPACITY[subject]
                taken = round(capacity * rng.uniform(0.3, 1.0) * nearness)
                rows.append(
                    ExamSession(
                        site=site.name,
                        subject=subject.value,
                        date=day,
                        period=period.value,
                        capacity=capacity,
                        remaining=max(MIN_OPEN_SEATS, capacity - taken),
                    )
                )
    return rows


def inspection_slots_for(day: dt.date, seed: int) -> list[InspectionSlot]:
    """Morning and afternoon of every station on ``day``."""
    rng = _rng(seed, "inspection", day)
    return [
        InspectionSlot(
            station_id=station.id,
            date=day,
            period=period.value,
            capacity=STATION_CAPACITY,
            remaining=max(
                MIN_OPEN_SEATS, STATION_CAPACITY - rng.randint(0, STATION_CAPACITY)
            ),
        )
        for station in city.STATIONS
        for period in Period
    ]


def apply_fixtures(
    sessions: list[ExamSession], slots: list[InspectionSlot], today: dt.date
) -> None:
    """The documented edge cases: full sessions and a last seat."""
    first_exam_day = working_days(today)[0]
    first_open_day = open_days(today)[0]
    for row in sessions:
        if row.date != first_exam_day:
            continue
        if (row.site, row.subject) == ("南山考场", Subject.TWO.value):
            row.remaining = 0
        if (row.site, row.subject, row.period) == (
            "第一考场",
            Subject.ONE.value,
            "afternoon",
        ):
            row.remaining = 1
    for slot in slots:
        if (slot.station_id, slot.date, slot.period) == (
            "insp-futian",
            first_open_day,
            "morning",
        ):
            slot.remaining = 0


async def top_up(session: AsyncSession, today: dt.date, seed: int) -> int:
    """Add sessions and half-days for open days that have none yet.

    Keeps a long-lived database bookable as real days pass. Returns the
    number of rows added.
    """
    days = open_days(today)
    have_exam = set(
        (
            await session.scalars(
                select(ExamSession.date).where(ExamSession.date.in_(days)).distinct()
            )
        ).all()
    )
    have_slot = set(
        (
            await session.scalars(
                select(InspectionSlot.date)
                .where(InspectionSlot.date.in_(days))
                .distinct()
            )
        ).all()
    )
    added: list[ExamSession | InspectionSlot] = []
    for day in days:
        if day not in have_exam:
            added.extend(exam_sessions_for(day, today, seed))
        if day not in have_slot:
            added.extend(inspection_slots_for(day, seed))
    session.add_all(added)
    return len(added)
