"""GET /traffic/v1/vehicles/{plate}/violations: a vehicle's violation records."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from sandbox import keys, validation
from sandbox.errors import Invalid
from sandbox.models import Vehicle, Violation
from sandbox.statuses import ViolationStatus
from sandbox.traffic.vehicles import load_vehicle, require_suffix
from sandbox.wire import iso_time, iso_time_or_none, json_response, money

routes = web.RouteTableDef()


def violation_json(violation: Violation, plate: str) -> dict[str, Any]:
    """Wire form of one violation."""
    return {
        "decision_number": violation.decision_number,
        "plate": plate,
        "code": violation.code,
        "time": iso_time(violation.occurred_at),
        "location": violation.location,
        "description": violation.description,
        "fine": money(violation.fine_fen),
        "points": violation.points,
        "status": violation.status,
        "paid_at": iso_time_or_none(violation.paid_at),
    }


def vehicle_json(vehicle: Vehicle) -> dict[str, Any]:
    """The vehicle fields a violation or inspection answer repeats."""
    return {
        "plate": vehicle.plate,
        "plate_type": vehicle.plate_type,
        "vehicle_type": vehicle.vehicle_type,
        "brand": vehicle.brand,
    }


@routes.get("/traffic/v1/vehicles/{plate}/violations")
async def list_violations(request: web.Request) -> web.Response:
    """Violations of a vehicle, newest first; needs the engine/VIN suffix."""
    plate = validation.plate(request.match_info["plate"])
    raw_suffix = validation.query_str(request, "engine_suffix")
    if raw_suffix is None:
        raise Invalid("missing_field", "engine_suffix is required.")
    suffix = validation.engine_suffix(raw_suffix)
    raw_status = validation.query_str(request, "status")
    try:
        status = None if raw_status is None else ViolationStatus(raw_status)
    except ValueError:
        raise Invalid("invalid_status", "status must be unpaid or paid.") from None
    async with request.app[keys.DB].read() as session:
        vehicle = await load_vehicle(session, plate)
        require_suffix(vehicle, suffix)
        query = select(Violation).where(Violation.vehicle_id == vehicle.id)
        if status is not None:
            query = query.where(Violation.status == status.value)
        rows = (
            await session.scalars(query.order_by(Violation.occurred_at.desc()))
        ).all()
    unpaid = [row for row in rows if row.status == ViolationStatus.UNPAID.value]
    return json_response(
        {
            **vehicle_json(vehicle),
            "violations": [violation_json(row, vehicle.plate) for row in rows],
            "summary": {
                "count": len(rows),
                "unpaid_count": len(unpaid),
                "unpaid_fine": money(sum(row.fine_fen for row in unpaid)),
                "unpaid_points": sum(row.points for row in unpaid),
            },
        }
    )
