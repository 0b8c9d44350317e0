"""GET /traffic/v1/licenses/{id_number}: driving-licence status and points."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select

from sandbox import keys, validation
from sandbox.errors import NotFound
from sandbox.models import License
from sandbox.statuses import LicenseStatus
from sandbox.wire import json_response

routes = web.RouteTableDef()

POINTS_LIMIT = 12


def anniversary(first: dt.date, year: int) -> dt.date:
    """``first``'s month and day in ``year`` (29 February falls back to the 28th)."""
    try:
        return first.replace(year=year)
    except ValueError:
        return first.replace(year=year, day=28)


def scoring_cycle(first_issue: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    """Start and last day of the 12-month scoring cycle containing ``today``.

    A cycle runs from each anniversary of the first issue date to the day
    before the next one.
    """
    start = anniversary(first_issue, today.year)
    if start > today:
        start = anniversary(first_issue, today.year - 1)
    end = anniversary(first_issue, start.year + 1) - dt.timedelta(days=1)
    return start, end


def effective_status(licence: License, today: dt.date) -> LicenseStatus:
    """Suspension wins; otherwise a licence past its validity is expired."""
    if licence.status == LicenseStatus.SUSPENDED.value:
        return LicenseStatus.SUSPENDED
    if licence.valid_until < today:
        return LicenseStatus.EXPIRED
    return LicenseStatus.NORMAL


def license_json(licence: License, today: dt.date) -> dict[str, Any]:
    """Wire form of a licence."""
    cycle_start, cycle_end = scoring_cycle(licence.first_issue_date, today)
    return {
        "id_number": licence.id_number,
        "name": licence.name,
        "license_class": licence.license_class,
        "status": effective_status(licence, today).value,
        "points_used": licence.points_used,
        "points_limit": POINTS_LIMIT,
        "points_remaining": max(0, POINTS_LIMIT - licence.points_used),
        "cycle_start": cycle_start.isoformat(),
        "cycle_end": cycle_end.isoformat(),
        "first_issue_date": licence.first_issue_date.isoformat(),
        "issue_date": licence.issue_date.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
    }


@routes.get("/traffic/v1/licenses/{id_number}")
async def get_license(request: web.Request) -> web.Response:
    """The licence held by an ID number; 404 when the person holds none."""
    id_number = validation.id_number(request.match_info["id_number"])
    today = request.app[keys.CLOCK].today()
    async with request.app[keys.DB].read() as session:
        licence = await session.scalar(
            select(License).where(License.id_number == id_number)
        )
    if licence is None:
        raise NotFound("unknown_license", "No driving licence for this ID number.")
    return json_response(license_json(licence, today))
