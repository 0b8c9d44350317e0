"""Exam bookings: book, look up, cancel and reschedule, exact under concurrency."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import keys, validation
from sandbox.db import rowcount
from sandbox.errors import Conflict, Forbidden, Invalid, NotFound
from sandbox.models import ExamBooking, ExamSession
from sandbox.statuses import BookingStatus, Subject
from sandbox.traffic.exam_sessions import (
    find_session,
    require_offered,
    session_json,
    session_start,
)
from sandbox.wire import iso_time, json_response

routes = web.RouteTableDef()


def new_booking_code() -> str:
    """KS + 8 random digits."""
    return f"KS{secrets.randbelow(10**8):08d}"


def booking_json(booking: ExamBooking, row: ExamSession) -> dict[str, Any]:
    """Wire form of a booking with its session."""
    slot = session_json(row)
    return {
        "booking_code": booking.booking_code,
        "id_number": booking.id_number,
        "subject": booking.subject,
        "license_class": booking.license_class,
        "site": row.site,
        "site_district": slot["site_district"],
        "date": slot["date"],
        "period": row.period,
        "start_time": slot["start_time"],
        "end_time": slot["end_time"],
        "status": booking.status,
        "created_at": iso_time(booking.created_at),
        "updated_at": iso_time(booking.updated_at),
    }


async def take_seat(session: AsyncSession, session_id: int) -> None:
    """Atomically take one seat, or fail when none is left.

    The check and the decrement are one conditional UPDATE, so parallel
    bookings can never oversell: the database serialises the row.

    Raises:
        Conflict: ``session_full``.
    """
    result = await session.execute(
        update(ExamSession)
        .where(ExamSession.id == session_id, ExamSession.remaining > 0)
        .values(remaining=ExamSession.remaining - 1)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict("session_full", "The exam session is fully booked.")


async def give_back_seat(session: AsyncSession, session_id: int) -> None:
    """Return one seat to a session (never above its capacity)."""
    await session.execute(
        update(ExamSession)
        .where(
            ExamSession.id == session_id, ExamSession.remaining < ExamSession.capacity
        )
        .values(remaining=ExamSession.remaining + 1)
        .execution_options(synchronize_session=False)
    )


async def load_booking(
    session: AsyncSession, code: str, owner: str | None
) -> tuple[ExamBooking, ExamSession]:
    """A booking and its session; checks the owner when one is given.

    Raises:
        NotFound: ``unknown_booking``.
        Forbidden: ``not_owner``.
    """
    row = (
        await session.execute(
            select(ExamBooking, ExamSession)
            .join(ExamSession, ExamBooking.session_id == ExamSession.id)
            .where(ExamBooking.booking_code == code)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("unknown_booking", f"No exam booking {code}.")
    booking, exam = row[0], row[1]
    if owner is not None and owner != booking.id_number:
        raise Forbidden("not_owner", "The booking belongs to another ID number.")
    return booking, exam


async def _held(session: AsyncSession, id_number: str, subject: Subject) -> str | None:
    """Code of the live booking this person holds for ``subject``, if any."""
    return await session.scalar(
        select(ExamBooking.booking_code).where(
            ExamBooking.id_number == id_number,
            ExamBooking.subject == subject.value,
            ExamBooking.status == BookingStatus.BOOKED.value,
        )
    )


def _owner(request: web.Request) -> str | None:
    raw = validation.query_str(request, "id_number", 40)
    return None if raw is None else validation.id_number(raw)


def _require_live(booking: ExamBooking, exam: ExamSession, now: dt.datetime) -> None:
    if booking.status == BookingStatus.CANCELLED.value:
        raise Conflict(
            "already_cancelled", f"Booking {booking.booking_code} is already cancelled."
        )
    if session_start(exam) <= now:
        raise Conflict("session_passed", "The exam session has already taken place.")


@routes.post("/traffic/v1/exam-bookings")
async def book(request: web.Request) -> web.Response:
    """Book a seat; 409 when full or the person already holds this subject."""
    data = await validation.json_object(request)
    id_number = validation.id_number(validation.req_str(data, "id_number", 40))
    subject = validation.subject(validation.req_str(data, "subject", 20))
    license_class = validation.license_class(
        validation.req_str(data, "license_class", 10)
    )
    site = validation.exam_site(validation.req_str(data, "site", 40))
    day = validation.iso_date(validation.req_str(data, "date", 20))
    period = validation.period(validation.req_str(data, "period", 20))
    clock = request.app[keys.CLOCK]
    now = clock.now()
    validation.not_past(day, clock.today())
    require_offered(site, subject)
    try:
        async with request.app[keys.DB].write() as session:
            exam = await find_session(session, site.name, subject, day, period)
            held = await _held(session, id_number, subject)
            if held is not None:
                raise Conflict(
                    "duplicate_subject",
                    f"This person already holds booking {held} for {subject.value}.",
                )
            if session_start(exam) <= now:
                raise Invalid("date_in_past", "The exam session has already started.")
            await take_seat(session, exam.id)
            booking = ExamBooking(
                booking_code=new_booking_code(),
                id_number=id_number,
                subject=subject.value,
                license_class=license_class,
                session_id=exam.id,
                status=BookingStatus.BOOKED.value,
                created_at=now,
                updated_at=now,
            )
            session.add(booking)
            await session.flush()
            await session.refresh(exam)
    except IntegrityError:
        # Normally the partial unique index catching a parallel booking of
        # the same subject; anything else is reported as a retryable clash.
        async with request.app[keys.DB].read() as session:
            held = await _held(session, id_number, subject)
        if held is not None:
            raise Conflict(
                "duplicate_subject",
                f"This person already holds booking {held} for {subject.value}.",
            ) from None
        raise Conflict(
            "booking_conflict", "The booking clashed with a parallel change; try again."
        ) from None
    return json_response(booking_json(booking, exam), status=201)


@routes.get("/traffic/v1/exam-bookings")
async def list_bookings(request: web.Request) -> web.Response:
    """All bookings of one ID number, newest first."""
    owner = _owner(request)
    if owner is None:
        raise Invalid("missing_field", "id_number is required.")
    async with request.app[keys.DB].read() as session:
        rows = (
            await session.execute(
                select(ExamBooking, ExamSession)
                .join(ExamSession, ExamBooking.session_id == ExamSession.id)
                .where(ExamBooking.id_number == owner)
                .order_by(ExamBooking.created_at.desc(), ExamBooking.id.desc())
            )
        ).all()
    return json_response({"bookings": [booking_json(row[0], row[1]) for row in rows]})


@routes.get("/traffic/v1/exam-bookings/{code}")
async def get_booking(request: web.Request) -> web.Response:
    """One booking; ``?id_number=`` makes it 403 for anyone else's."""
    code = validation.booking_code(request.match_info["code"])
    owner = _owner(request)
    async with request.app[keys.DB].read() as session:
        booking, exam = await load_booking(session, code, owner)
    return json_response(booking_json(booking, exam))


@routes.delete("/traffic/v1/exam-bookings/{code}")
async def cancel(request: web.Request) -> web.Response:
    """Cancel a booking and give its seat back."""
    code = validation.booking_code(request.match_info["code"])
    owner = _owner(request)
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].write() as session:
        booking, exam = await load_booking(session, code, owner)
        _require_live(booking, exam, now)
        flipped = await session.execute(
            update(ExamBooking)
            .where(
                ExamBooking.id == booking.id,
                ExamBooking.status == BookingStatus.BOOKED.value,
            )
            .values(status=BookingStatus.CANCELLED.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(flipped) != 1:
            raise Conflict("already_cancelled", f"Booking {code} is already cancelled.")
        await give_back_seat(session, exam.id)
        await session.refresh(booking)
        await session.refresh(exam)
    return json_response(booking_json(booking, exam))


@routes.patch("/traffic/v1/exam-bookings/{code}")
async def reschedule(request: web.Request) -> web.Response:
    """Move a booking to another session: old seat back, new seat taken, or nothing."""
    code = validation.booking_code(request.match_info["code"])
    owner = _owner(request)
    data = await validation.json_object(request)
    day = validation.iso_date(validation.req_str(data, "date", 20))
    period = validation.period(validation.req_str(data, "period", 20))
    raw_site = validation.opt_str(data, "site", 40)
    clock = request.app[keys.CLOCK]
    now = clock.now()
    validation.not_past(day, clock.today())
    async with request.app[keys.DB].write() as session:
        booking, old = await load_booking(session, code, owner)
        _require_live(booking, old, now)
        subject = Subject(booking.subject)
        site = (
            validation.exam_site(raw_site)
            if raw_site
            else validation.exam_site(old.site)
        )
        require_offered(site, subject)
        new = await find_session(session, site.name, subject, day, period)
        if new.id == old.id:
            raise Invalid("same_session", "The booking is already in that session.")
        if session_start(new) <= now:
            raise Invalid("date_in_past", "The new exam session has already started.")
        moved = await session.execute(
            update(ExamBooking)
            .where(
                ExamBooking.id == booking.id,
                ExamBooking.status == BookingStatus.BOOKED.value,
                ExamBooking.session_id == old.id,
            )
            .values(session_id=new.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(moved) != 1:
            raise Conflict(
                "booking_changed", "The booking changed meanwhile; try again."
            )
        # Any failure from here rolls the whole transaction back, so the
        # booking never ends up with two seats or none.
        await take_seat(session, new.id)
        await give_back_seat(session, old.id)
        await session.refresh(booking)
        await session.refresh(new)
    return json_response(booking_json(booking, new))
