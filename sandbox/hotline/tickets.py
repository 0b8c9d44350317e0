"""Hotline tickets: file a complaint or suggestion, follow its progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import keys, validation
from sandbox.errors import Forbidden, Invalid, NotFound, Unavailable
from sandbox.hotline.progress import catch_up, step
from sandbox.hotline.routing import route_department
from sandbox.models import Ticket, TicketCounter, TicketEvent
from sandbox.statuses import TicketStatus, TicketType
from sandbox.wire import iso_time, json_response

routes = web.RouteTableDef()

CONTENT_MIN, CONTENT_MAX = 5, 2000


async def next_ticket_id(session: AsyncSession, now: dt.datetime) -> str:
    """GD + yyyymmdd + the day's 4-digit sequence, from an atomic upsert."""
    day = f"{now:%Y%m%d}"
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(TicketCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=["day"], set_={"last": TicketCounter.last + 1}
        )
        .returning(TicketCounter.last)
    )
    sequence = (await session.execute(stmt)).scalar_one()
    if sequence > 9999:
        raise Unavailable(
            "daily_ticket_limit", "The hotline takes no more tickets today."
        )
    return f"GD{day}{sequence:04d}"


async def ticket_json(
    session: AsyncSession, ticket: Ticket, *, with_phone: bool = False
) -> dict[str, Any]:
    """Wire form of a ticket with its history."""
    events = (
        await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_pk == ticket.id)
            .order_by(TicketEvent.time, TicketEvent.id)
        )
    ).all()
    body: dict[str, Any] = {
        "ticket_id": ticket.ticket_id,
        "type": ticket.type,
        "status": ticket.status,
        "department": ticket.department,
        "district": ticket.district,
        "content": ticket.content,
        "created_at": iso_time(ticket.created_at),
        "updated_at": iso_time(ticket.updated_at),
        "history": [
            {"time": iso_time(e.time), "status": e.status, "note": e.note}
            for e in events
        ],
        "reply": ticket.reply if ticket.status == TicketStatus.RESOLVED.value else None,
    }
    if with_phone:
        body["phone"] = ticket.phone
    return body


async def load_ticket(session: AsyncSession, ticket_id: str) -> Ticket:
    """The ticket with ``ticket_id``.

    Raises:
        NotFound: ``unknown_ticket``.
    """
    ticket = await session.scalar(select(Ticket).where(Ticket.ticket_id == ticket_id))
    if ticket is None:
        raise NotFound("unknown_ticket", f"No hotline ticket {ticket_id}.")
    return ticket


@routes.post("/hotline/v1/tickets")
async def create_ticket(request: web.Request) -> web.Response:
    """File a complaint or suggestion; the department is chosen here."""
    data = await validation.json_object(request)
    raw_type = validation.req_str(data, "type", 20)
    try:
        kind = TicketType(raw_type)
    except ValueError:
        raise Invalid("invalid_type", "type must be complaint or suggestion.") from None
    content = validation.req_str(data, "content", CONTENT_MAX + 100).strip()
    if not CONTENT_MIN <= len(content) <= CONTENT_MAX:
        raise Invalid(
            "invalid_content",
            f"content must be {CONTENT_MIN} to {CONTENT_MAX} characters.",
        )
    district = validation.district(validation.req_str(data, "district", 20)).name
    phone = validation.phone(validation.req_str(data, "phone", 20))
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].write() as session:
        ticket = Ticket(
            ticket_id=await next_ticket_id(session, now),
            type=kind.value,
            content=content,
            district=district,
            phone=phone,
            department=route_department(content, district),
            status=TicketStatus.RECEIVED.value,
            reply=None,
            auto_advance=True,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        await session.flush()
        step(session, ticket, TicketStatus.RECEIVED, now)
        await session.flush()
        body = await ticket_json(session, ticket)
    return json_response(body, status=201)


@routes.get("/hotline/v1/tickets/{ticket_id}")
async def get_ticket(request: web.Request) -> web.Response:
    """Status, department and history; ``?phone=`` makes it 403 for others."""
    ticket_id = validation.ticket_id(request.match_info["ticket_id"])
    raw_phone = validation.query_str(request, "phone", 20)
    phone = None if raw_phone is None else validation.phone(raw_phone)
    now = request.app[keys.CLOCK].now()
    pace = request.app[keys.SETTINGS].ticket_pace_s
    async with request.app[keys.DB].write() as session:
        ticket = await load_ticket(session, ticket_id)
        if phone is not None and phone != ticket.phone:
            raise Forbidden(
                "not_owner", "The ticket was filed from another phone number."
            )
        catch_up(session, ticket, now, pace)
        await session.flush()
        body = await ticket_json(session, ticket)
    return json_response(body)
