"""How a hotline ticket moves from received to resolved, by time or by hand."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from sandbox.models import Ticket, TicketEvent
from sandbox.statuses import TICKET_FLOW, TicketStatus

# History notes are shown to citizens, hence Chinese.
NOTES: dict[TicketStatus, str] = {
    TicketStatus.RECEIVED: "12345热线已受理您的诉求。",
    TicketStatus.ASSIGNED: "工单已派发至{department}。",
    TicketStatus.IN_PROGRESS: "{department}已接单，正在核实处理。",
    TicketStatus.RESOLVED: "{department}已办结，答复意见已反馈。",
}


def resolution_reply(department: str) -> str:
    """Default answer of the department when a ticket is resolved."""
    return (
        f"您好，您反映的问题已由{department}核实处理，相关情况已按规定办理。"
        "感谢您对我市工作的关心和支持！如对处理结果不满意，可再次致电12345。"
    )


def next_status(status: TicketStatus) -> TicketStatus | None:
    """The status after ``status``, or None at the end of the flow."""
    index = TICKET_FLOW.index(status)
    return TICKET_FLOW[index + 1] if index + 1 < len(TICKET_FLOW) else None


def step(
    session: AsyncSession,
    ticket: Ticket,
    to: TicketStatus,
    at: dt.datetime,
    note: str | None = None,
    reply: str | None = None,
) -> TicketEvent:
    """Move ``ticket`` to ``to`` and record the step in its history."""
    event = TicketEvent(
        ticket_pk=ticket.id,
        time=at,
        status=to.value,
        note=note or NOTES[to].format(department=ticket.department),
    )
    session.add(event)
    ticket.status = to.value
    ticket.updated_at = at
    if to is TicketStatus.RESOLVED:
        ticket.reply = reply or resolution_reply(ticket.department)
    return event


def catch_up(
    session: AsyncSession, ticket: Ticket, now: dt.datetime, pace_s: float
) -> None:
    """Apply the steps simulated time says have happened since creation.

    Each ``pace_s`` seconds after creation the ticket moves one status on;
    steps are stamped at the simulated time, never before the latest one.
    """
    if not ticket.auto_advance or pace_s <= 0:
        return
    elapsed = (now - ticket.created_at).total_seconds()
    target = min(len(TICKET_FLOW) - 1, int(elapsed // pace_s))
    current = TICKET_FLOW.index(TicketStatus(ticket.status))
    for index in range(current + 1, target + 1):
        at = max(
            ticket.created_at + dt.timedelta(seconds=index * pace_s), ticket.updated_at
        )
        step(session, ticket, TICKET_FLOW[index], at)
