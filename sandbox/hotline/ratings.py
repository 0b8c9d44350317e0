"""POST /hotline/v1/ratings: satisfaction ratings of conversations, tickets, services."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from sandbox import keys, validation
from sandbox.errors import Invalid, NotFound
from sandbox.models import Rating, Ticket
from sandbox.statuses import RatingTarget
from sandbox.wire import iso_time, json_response

routes = web.RouteTableDef()


def rating_json(rating: Rating) -> dict[str, Any]:
    """Wire form of a rating."""
    return {
        "rating_id": rating.id,
        "target_type": rating.target_type,
        "target_id": rating.target_id,
        "score": rating.score,
        "comment": rating.comment,
        "service": rating.service,
        "created_at": iso_time(rating.created_at),
    }


@routes.post("/hotline/v1/ratings")
async def create_rating(request: web.Request) -> web.Response:
    """Record a 1–5 rating; a ticket target must exist."""
    data = await validation.json_object(request)
    raw_target = validation.req_str(data, "target_type", 20)
    try:
        target = RatingTarget(raw_target)
    except ValueError:
        raise Invalid(
            "invalid_target_type",
            "target_type must be conversation, ticket or service.",
        ) from None
    target_id = validation.req_str(data, "target_id", 128).strip()
    if target is RatingTarget.TICKET:
        target_id = validation.ticket_id(target_id)
    score = validation.req_int(data, "score", 1, 5)
    comment = validation.opt_str(data, "comment", 500)
    service = validation.opt_str(data, "service", 64)
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].write() as session:
        if target is RatingTarget.TICKET:
            exists = await session.scalar(
                select(Ticket.id).where(Ticket.ticket_id == target_id)
            )
            if exists is None:
                raise NotFound("unknown_ticket", f"No hotline ticket {target_id}.")
        rating = Rating(
            target_type=target.value,
            target_id=target_id,
            score=score,
            comment=comment,
            service=service,
            created_at=now,
        )
        session.add(rating)
        await session.flush()
    return json_response(rating_json(rating), status=201)
