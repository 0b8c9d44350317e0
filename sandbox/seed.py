"""Build the deterministic seed world, reset to it, keep it bookable over time."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import models, seed_data, timetable
from sandbox.hotline.progress import NOTES, resolution_reply
from sandbox.statuses import (
    TICKET_FLOW,
    BookingStatus,
    LicenseStatus,
    TicketStatus,
    ViolationStatus,
)
from sandbox.traffic.catalogue import LOCATIONS, VIOLATION_KINDS

if TYPE_CHECKING:
    from sandbox.db import Database


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _vehicles(rng: random.Random, today: dt.date) -> list[models.Vehicle]:
    return [
        models.Vehicle(
            plate=spec.plate,
            plate_type=spec.plate_type,
            vehicle_type=spec.vehicle_type,
            brand=spec.brand,
            owner_name=spec.owner,
            engine_number=spec.engine_number,
            vin=spec.vin,
            registered_on=today - dt.timedelta(days=rng.randint(400, 3000)),
            inspection_due=today + dt.timedelta(days=spec.inspection_due_in),
        )
        for spec in seed_data.VEHICLES
    ]


def _violations(
    rng: random.Random, today: dt.date, ids: dict[str, int]
) -> list[models.Violation]:
    rows = []
    for spec in seed_data.VEHICLES:
        for number, kind_key, days_ago, paid in spec.violations:
            kind = VIOLATION_KINDS[kind_key]
            occurred = dt.datetime.combine(
                today - dt.timedelta(days=days_ago),
                dt.time(rng.randint(7, 21), rng.randint(0, 59)),
            )
            status = ViolationStatus.PAID if paid else ViolationStatus.UNPAID
            rows.append(
                models.Violation(
                    vehicle_id=ids[spec.plate],
                    decision_number=number,
                    code=kind.code,
                    occurred_at=occurred,
                    location=rng.choice(LOCATIONS),
                    description=kind.description,
                    fine_fen=kind.fine_fen,
                    points=kind.points,
                    status=status.value,
                    paid_at=occurred + dt.timedelta(days=3) if paid else None,
                )
            )
    return rows


def _licenses(today: dt.date) -> list[models.License]:
    rows = []
    for spec in seed_data.LICENSES:
        valid_until = today + dt.timedelta(days=spec.valid_until_in)
        # A first licence is valid 6 years, a renewed one 10.
        term = 6 if spec.first_issue_days_ago < 6 * 365 else 10
        status = LicenseStatus.SUSPENDED if spec.suspended else LicenseStatus.NORMAL
        rows.append(
            models.License(
                id_number=spec.id_number,
                name=spec.name,
                license_class=spec.license_class,
                status=status.value,
                points_used=spec.points_used,
                first_issue_date=today - dt.timedelta(days=spec.first_issue_days_ago),
                issue_date=years_before(valid_until, term),
                valid_until=valid_until,
            )
        )
    return rows


def _exam_bookings(
    sessions: list[models.ExamSession], now: dt.datetime
) -> list[models.ExamBooking]:
    weekdays = timetable.working_days(now.date())
    index = {(s.site, s.subject, s.date, s.period): s for s in sessions}
    rows = []
    for spec in seed_data.EXAM_BOOKINGS:
        day = weekdays[spec.weekday_index]
        exam = index[(spec.site, spec.subject.value, day, spec.period.value)]
        if spec.live:
            exam.remaining -= 1
        status = BookingStatus.BOOKED if spec.live else BookingStatus.CANCELLED
        rows.append(
            models.ExamBooking(
                booking_code=spec.code,
                id_number=spec.id_number,
                subject=spec.subject.value,
                license_class="C1",
                session_id=exam.id,
                status=status.value,
                created_at=now - dt.timedelta(days=2),
                updated_at=now,
            )
        )
    return rows


def _inspection_booking(
    slots: list[models.InspectionSlot], vehicle_ids: dict[str, int], now: dt.datetime
) -> models.InspectionBooking:
    code, plate, station, day_index, period, phone = seed_data.INSPECTION_BOOKING
    day = timetable.open_days(now.date())[day_index]
    slot = next(
        s
        for s in slots
        if (s.station_id, s.date, s.period) == (station, day, period.value)
    )
    slot.remaining -= 1
    return models.InspectionBooking(
        booking_code=code,
        vehicle_id=vehicle_ids[plate],
        slot_id=slot.id,
        phone=phone,
        status=BookingStatus.BOOKED.value,
        created_at=now - dt.timedelta(days=1),
        updated_at=now - dt.timedelta(days=1),
    )


async def _tickets(session: AsyncSession, today: dt.date) -> None:
    for spec in seed_data.TICKETS:
        hour, minute = map(int, spec.hhmm.split(":"))
        created = dt.datetime.combine(
            today - dt.timedelta(days=spec.days_ago), dt.time(hour, minute)
        )
        steps = TICKET_FLOW[: TICKET_FLOW.index(spec.status) + 1]
        ticket = models.Ticket(
            ticket_id=f"GD{created:%Y%m%d}{spec.sequence:04d}",
            type=spec.type,
            content=spec.content,
            district=spec.district,
            phone=spec.phone,
            department=spec.department,
            status=spec.status.value,
            reply=resolution_reply(spec.department)
            if spec.status is TicketStatus.RESOLVED
            else None,
            auto_advance=False,
            created_at=created,
            updated_at=created + dt.timedelta(hours=3 * (len(steps) - 1)),
        )
        session.add(ticket)
        await session.flush()
        session.add_all(
            models.TicketEvent(
                ticket_pk=ticket.id,
                time=created + dt.timedelta(hours=3 * n),
                status=step.value,
                note=NOTES[step].format(department=spec.department),
            )
            for n, step in enumerate(steps)
        )
        session.add(models.TicketCounter(day=f"{created:%Y%m%d}", last=spec.sequence))


async def seed_world(session: AsyncSession, now: dt.datetime, seed: int) -> None:
    """Insert the whole seed world into empty tables."""
    today = now.date()
    rng = random.Random(seed)
    vehicles = _vehicles(rng, today)
    sessions = [
        s
        for day in timetable.open_days(today)
        for s in timetable.exam_sessions_for(day, today, seed)
    ]
    slots = [
        s
        for day in timetable.open_days(today)
        for s in timetable.inspection_slots_for(day, seed)
    ]
    timetable.apply_fixtures(sessions, slots, today)
    session.add_all([*vehicles, *sessions, *slots, *_licenses(today)])
    await session.flush()
    vehicle_ids = {v.plate: v.id for v in vehicles}
    session.add_all(_violations(rng, today, vehicle_ids))
    session.add_all(_exam_bookings(sessions, now))
    session.add(_inspection_booking(slots, vehicle_ids, now))
    await _tickets(session, today)
    session.add(models.Meta(key="seeded_on", value=today.isoformat()))


# Children before parents, so foreign keys never dangle mid-reset.
_TABLES_IN_DELETE_ORDER = (
    models.Payment,
    models.Violation,
    models.InspectionBooking,
    models.InspectionSlot,
    models.ExamBooking,
    models.ExamSession,
    models.TicketEvent,
    models.Ticket,
    models.TicketCounter,
    models.Rating,
    models.IdempotencyRecord,
    models.License,
    models.Vehicle,
    models.Meta,
)


async def reset(db: Database, now: dt.datetime, seed: int) -> None:
    """Delete everything and insert the seed world, in one transaction."""
    async with db.write() as session:
        for table in _TABLES_IN_DELETE_ORDER:
            await session.execute(delete(table))
        await seed_world(session, now, seed)


async def prepare(db: Database, now: dt.datetime, seed: int) -> bool:
    """Seed a fresh database, or top up the timetable of an existing one.

    Returns:
        True when the database was empty and got seeded.
    """
    async with db.write() as session:
        if await session.scalar(select(func.count()).select_from(models.Meta)):
            await timetable.top_up(session, now.date(), seed)
            return False
        await seed_world(session, now, seed)
    return True
