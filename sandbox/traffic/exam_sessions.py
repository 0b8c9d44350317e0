"""Exam sessions: look-up, wire form and GET /traffic/v1/exam-slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import city, keys, validation
from sandbox.errors import Invalid, NotFound
from sandbox.models import ExamSession
from sandbox.statuses import Period, Subject
from sandbox.wire import json_response, session_time

routes = web.RouteTableDef()

_SITE_DISTRICT = {site.name: site.district for site in city.EXAM_SITES}


def session_json(row: ExamSession) -> dict[str, Any]:
    """Wire form of an exam session."""
    start, end = city.EXAM_SESSION_TIMES[row.period]
    return {
        "session_id": row.id,
        "site": row.site,
        "site_district": _SITE_DISTRICT.get(row.site),
        "subject": row.subject,
        "date": row.date.isoformat(),
        "period": row.period,
        "start_time": session_time(row.date, start),
        "end_time": session_time(row.date, end),
        "capacity": row.capacity,
        "remaining": row.remaining,
    }


def session_start(row: ExamSession) -> dt.datetime:
    """Naive local start time of a session."""
    hour, minute = map(int, city.EXAM_SESSION_TIMES[row.period][0].split(":"))
    return dt.datetime.combine(row.date, dt.time(hour, minute))


def require_offered(site: city.ExamSite, subject: Subject) -> None:
    """Refuse a subject the site does not examine.

    Raises:
        Invalid: ``subject_not_offered``.
    """
    if subject.value not in site.subjects:
        offered = "、".join(site.subjects)
        raise Invalid(
            "subject_not_offered",
            f"{site.name} does not examine {subject.value}; it offers {offered}.",
        )


async def find_session(
    session: AsyncSession, site: str, subject: Subject, day: dt.date, period: Period
) -> ExamSession:
    """The one session at ``site`` for ``subject`` on ``day`` in ``period``.

    Raises:
        NotFound: ``no_such_session``.
    """
    row = await session.scalar(
        select(ExamSession).where(
            ExamSession.site == site,
            ExamSession.subject == subject.value,
            ExamSession.date == day,
            ExamSession.period == period.value,
        )
    )
    if row is None:
        raise NotFound(
            "no_such_session",
            f"No {subject.value} session at {site} on {day.isoformat()} {period.value}.",
        )
    return row


def _flag(request: web.Request, name: str) -> bool:
    raw = validation.query_str(request, name)
    if raw is None:
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise Invalid("invalid_field", f"{name} must be true or false.")


@routes.get("/traffic/v1/exam-slots")
async def list_slots(request: web.Request) -> web.Response:
    """Sessions from today on with seats left; every filter is optional."""
    today = request.app[keys.CLOCK].today()
    query = select(ExamSession).where(ExamSession.date >= today)
    raw = validation.query_str(request, "subject")
    if raw is not None:
        query = query.where(ExamSession.subject == validation.subject(raw).value)
    raw = validation.query_str(request, "date")
    if raw is not None:
        day = validation.not_past(validation.iso_date(raw), today)
        query = query.where(ExamSession.date == day)
    raw = validation.query_str(request, "site")
    if raw is not None:
        query = query.where(ExamSession.site == validation.exam_site(raw).name)
    raw = validation.query_str(request, "period")
    if raw is not None:
        query = query.where(ExamSession.period == validation.period(raw).value)
    if not _flag(request, "include_full"):
        query = query.where(ExamSession.remaining > 0)
    query = query.order_by(
        ExamSession.date,
        ExamSession.period.desc(),
        ExamSession.site,
        ExamSession.subject,
    )
    async with request.app[keys.DB].read() as session:
        rows = (await session.scalars(query)).all()
    return json_response({"slots": [session_json(row) for row in rows]})
