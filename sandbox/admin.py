"""Administration (/sandbox/v1): reset, inspect the world, move tickets on."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from sandbox import keys, seed, validation
from sandbox.errors import Conflict, Invalid
from sandbox.hotline.progress import catch_up, step
from sandbox.hotline.ratings import rating_json
from sandbox.hotline.tickets import load_ticket, ticket_json
from sandbox.models import (
    ExamBooking,
    ExamSession,
    InspectionBooking,
    InspectionSlot,
    Payment,
    Rating,
    Ticket,
    Vehicle,
    Violation,
)
from sandbox.statuses import TICKET_FLOW, BookingStatus, TicketStatus
from sandbox.traffic import exams, fines, inspections
from sandbox.wire import json_response

routes = web.RouteTableDef()


@routes.post("/sandbox/v1/reset")
async def reset(request: web.Request) -> web.Response:
    """Put the world back to the seed data (faults are left as they are)."""
    now = request.app[keys.CLOCK].now()
    await seed.reset(request.app[keys.DB], now, request.app[keys.SETTINGS].seed)
    return json_response({"status": "reset", "today": now.date().isoformat()})


def _status_filter(request: web.Request) -> BookingStatus | None:
    raw = validation.query_str(request, "status")
    try:
        return None if raw is None else BookingStatus(raw)
    except ValueError:
        raise Invalid("invalid_status", "status must be booked or cancelled.") from None


@routes.get("/sandbox/v1/exam-bookings")
async def all_exam_bookings(request: web.Request) -> web.Response:
    """Every exam booking; ``status`` and ``id_number`` filters are optional."""
    query = select(ExamBooking, ExamSession).join(
        ExamSession, ExamBooking.session_id == ExamSession.id
    )
    status = _status_filter(request)
    if status is not None:
        query = query.where(ExamBooking.status == status.value)
    raw = validation.query_str(request, "id_number", 40)
    if raw is not None:
        query = query.where(ExamBooking.id_number == validation.id_number(raw))
    async with request.app[keys.DB].read() as session:
        rows = (await session.execute(query.order_by(ExamBooking.id))).all()
    return json_response({"bookings": [exams.booking_json(r[0], r[1]) for r in rows]})


@routes.get("/sandbox/v1/inspection-bookings")
async def all_inspection_bookings(request: web.Request) -> web.Response:
    """Every inspection booking."""
    query = (
        select(InspectionBooking, InspectionSlot, Vehicle.plate)
        .join(InspectionSlot, InspectionBooking.slot_id == InspectionSlot.id)
        .join(Vehicle, InspectionBooking.vehicle_id == Vehicle.id)
    )
    status = _status_filter(request)
    if status is not None:
        query = query.where(InspectionBooking.status == status.value)
    async with request.app[keys.DB].read() as session:
        rows = (await session.execute(query.order_by(InspectionBooking.id))).all()
    return json_response(
        {"bookings": [inspections.booking_json(r[0], r[1], r[2]) for r in rows]}
    )


@routes.get("/sandbox/v1/payments")
async def all_payments(request: web.Request) -> web.Response:
    """Every payment order."""
    now = request.app[keys.CLOCK].now()
    base = fines.base_url(request)
    async with request.app[keys.DB].read() as session:
        rows = (
            await session.execute(
                select(Payment, Violation, Vehicle.plate)
                .join(Violation, Payment.violation_id == Violation.id)
                .join(Vehicle, Violation.vehicle_id == Vehicle.id)
                .order_by(Payment.id)
            )
        ).all()
    return json_response(
        {"payments": [fines.payment_json(r[0], r[1], r[2], now, base) for r in rows]}
    )


@routes.get("/sandbox/v1/ratings")
async def all_ratings(request: web.Request) -> web.Response:
    """Every rating."""
    async with request.app[keys.DB].read() as session:
        rows = (await session.scalars(select(Rating).order_by(Rating.id))).all()
    return json_response({"ratings": [rating_json(row) for row in rows]})


@routes.get("/sandbox/v1/tickets")
async def all_tickets(request: web.Request) -> web.Response:
    """Every hotline ticket with phone and history (simulated time applied)."""
    now = request.app[keys.CLOCK].now()
    pace = request.app[keys.SETTINGS].ticket_pace_s
    async with request.app[keys.DB].write() as session:
        tickets = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
        for ticket in tickets:
            catch_up(session, ticket, now, pace)
        await session.flush()
        body = [
            await ticket_json(session, ticket, with_phone=True) for ticket in tickets
        ]
    return json_response({"tickets": body})


@routes.post("/sandbox/v1/tickets/{ticket_id}/advance")
async def advance_ticket(request: web.Request) -> web.Response:
    """Move a ticket on: to the next status, or to ``status`` through the steps between."""
    ticket_id = validation.ticket_id(request.match_info["ticket_id"])
    data = await validation.json_object(request, allow_empty=True)
    raw_target = validation.opt_str(data, "status", 20)
    note = validation.opt_str(data, "note", 500)
    reply = validation.opt_str(data, "reply", 2000)
    try:
        target = None if raw_target is None else TicketStatus(raw_target)
    except ValueError:
        raise Invalid(
            "invalid_status", "status must be assigned, in_progress or resolved."
        ) from None
    now = request.app[keys.CLOCK].now()
    pace = request.app[keys.SETTINGS].ticket_pace_s
    async with request.app[keys.DB].write() as session:
        ticket = await load_ticket(session, ticket_id)
        catch_up(session, ticket, now, pace)
        current = TICKET_FLOW.index(TicketStatus(ticket.status))
        if current == len(TICKET_FLOW) - 1:
            raise Conflict(
                "already_resolved", f"Ticket {ticket_id} is already resolved."
            )
        goal = current + 1 if target is None else TICKET_FLOW.index(target)
        if goal <= current:
            raise Conflict(
                "invalid_transition",
                f"Ticket {ticket_id} is already past {raw_target}.",
            )
        for index in range(current + 1, goal + 1):
            last = index == goal
            step(
                session,
                ticket,
                TICKET_FLOW[index],
                now,
                note if last else None,
                reply if last else None,
            )
        await session.flush()
        body = await ticket_json(session, ticket, with_phone=True)
    return json_response(body)
