"""Periodic vehicle inspection: due dates, stations, slots and bookings."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import city, keys, validation
from sandbox.db import rowcount
from sandbox.errors import Conflict, NotFound
from sandbox.models import InspectionBooking, InspectionSlot, Vehicle
from sandbox.statuses import BookingStatus, InspectionStatus
from sandbox.traffic.vehicles import load_vehicle, require_suffix
from sandbox.traffic.violations import vehicle_json
from sandbox.wire import iso_time, json_response, session_time

routes = web.RouteTableDef()

# Inspection may be done up to three months before it falls due.
DUE_SOON_DAYS = 90
_STATIONS = {station.id: station for station in city.STATIONS}


def inspection_status(due: dt.date, today: dt.date) -> InspectionStatus:
    """Classify as valid, due_soon (due within 90 days) or overdue."""
    if due < today:
        return InspectionStatus.OVERDUE
    if (due - today).days <= DUE_SOON_DAYS:
        return InspectionStatus.DUE_SOON
    return InspectionStatus.VALID


def station_json(station: city.Station) -> dict[str, Any]:
    """Wire form of a station."""
    return {
        "id": station.id,
        "name": station.name,
        "district": station.district,
        "address": station.address,
        "periods": {
            period: {"start": start, "end": end}
            for period, (start, end) in city.STATION_SESSION_TIMES.items()
        },
    }


def slot_json(slot: InspectionSlot) -> dict[str, Any]:
    """Wire form of a station's half-day."""
    station = _STATIONS[slot.station_id]
    start, end = city.STATION_SESSION_TIMES[slot.period]
    return {
        "station": station.name,
        "station_id": station.id,
        "date": slot.date.isoformat(),
        "period": slot.period,
        "start_time": session_time(slot.date, start),
        "end_time": session_time(slot.date, end),
        "capacity": slot.capacity,
        "remaining": slot.remaining,
    }


def booking_json(
    booking: InspectionBooking, slot: InspectionSlot, plate: str
) -> dict[str, Any]:
    """Wire form of an inspection booking."""
    station = _STATIONS[slot.station_id]
    return {
        "booking_code": booking.booking_code,
        "plate": plate,
        **{
            key: value
            for key, value in slot_json(slot).items()
            if key not in ("capacity", "remaining")
        },
        "station_address": station.address,
        "phone": booking.phone,
        "status": booking.status,
        "created_at": iso_time(booking.created_at),
    }


async def _live_booking(
    session: AsyncSession, vehicle_id: int
) -> tuple[InspectionBooking, InspectionSlot] | None:
    row = (
        await session.execute(
            select(InspectionBooking, InspectionSlot)
            .join(InspectionSlot, InspectionBooking.slot_id == InspectionSlot.id)
            .where(
                InspectionBooking.vehicle_id == vehicle_id,
                InspectionBooking.status == BookingStatus.BOOKED.value,
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


@routes.get("/traffic/v1/vehicles/{plate}/inspection")
async def get_inspection(request: web.Request) -> web.Response:
    """Due date and standing of a vehicle; ``?engine_suffix=`` checked when given."""
    plate = validation.plate(request.match_info["plate"])
    raw_suffix = validation.query_str(request, "engine_suffix")
    today = request.app[keys.CLOCK].today()
    async with request.app[keys.DB].read() as session:
        vehicle = await load_vehicle(session, plate)
        if raw_suffix is not None:
            require_suffix(vehicle, validation.engine_suffix(raw_suffix))
        live = await _live_booking(session, vehicle.id)
    return json_response(
        {
            **vehicle_json(vehicle),
            "inspection_due": vehicle.inspection_due.isoformat(),
            "status": inspection_status(vehicle.inspection_due, today).value,
            "days_until_due": (vehicle.inspection_due - today).days,
            "booking": None
            if live is None
            else booking_json(live[0], live[1], vehicle.plate),
        }
    )


@routes.get("/traffic/v1/inspection-stations")
async def list_stations(request: web.Request) -> web.Response:
    """Inspection stations, optionally of one district."""
    raw = validation.query_str(request, "district")
    district = None if raw is None else validation.district(raw).name
    stations = [s for s in city.STATIONS if district is None or s.district == district]
    return json_response({"stations": [station_json(s) for s in stations]})


@routes.get("/traffic/v1/inspection-slots")
async def list_slots(request: web.Request) -> web.Response:
    """Open half-days from today on; filters station, date, period are optional."""
    today = request.app[keys.CLOCK].today()
    query = select(InspectionSlot).where(
        InspectionSlot.date >= today, InspectionSlot.remaining > 0
    )
    raw = validation.query_str(request, "station")
    if raw is not None:
        query = query.where(InspectionSlot.station_id == validation.station(raw).id)
    raw = validation.query_str(request, "date")
    if raw is not None:
        day = validation.not_past(validation.iso_date(raw), today)
        query = query.where(InspectionSlot.date == day)
    raw = validation.query_str(request, "period")
    if raw is not None:
        query = query.where(InspectionSlot.period == validation.period(raw).value)
    query = query.order_by(
        InspectionSlot.date, InspectionSlot.period.desc(), InspectionSlot.station_id
    )
    async with request.app[keys.DB].read() as session:
        rows = (await session.scalars(query)).all()
    return json_response({"slots": [slot_json(row) for row in rows]})


@routes.post("/traffic/v1/inspection-bookings")
async def book(request: web.Request) -> web.Response:
    """Book an inspection; 409 when the half-day is full or the car is booked."""
    data = await validation.json_object(request)
    plate = validation.plate(validation.req_str(data, "plate", 20))
    station = validation.station(validation.req_str(data, "station", 40))
    day = validation.iso_date(validation.req_str(data, "date", 20))
    period = validation.period(validation.req_str(data, "period", 20))
    raw_phone = validation.opt_str(data, "phone", 20)
    phone = None if raw_phone is None else validation.phone(raw_phone)
    clock = request.app[keys.CLOCK]
    now = clock.now()
    validation.not_past(day, clock.today())
    try:
        async with request.app[keys.DB].write() as session:
            vehicle = await load_vehicle(session, plate)
            slot = await session.scalar(
                select(InspectionSlot).where(
                    InspectionSlot.station_id == station.id,
                    InspectionSlot.date == day,
                    InspectionSlot.period == period.value,
                )
            )
            if slot is None:
                raise NotFound(
                    "no_such_session",
                    f"{station.name} takes no bookings on {day} {period.value}.",
                )
            held = await _live_booking(session, vehicle.id)
            if held is not None:
                raise Conflict(
                    "duplicate_booking",
                    f"{plate} already holds inspection booking {held[0].booking_code}.",
                )
            taken = await session.execute(
                update(InspectionSlot)
                .where(InspectionSlot.id == slot.id, InspectionSlot.remaining > 0)
                .values(remaining=InspectionSlot.remaining - 1)
                .execution_options(synchronize_session=False)
            )
            if rowcount(taken) != 1:
                raise Conflict(
                    "session_full", "The station is fully booked for that half-day."
                )
            booking = InspectionBooking(
                booking_code=f"JC{secrets.randbelow(10**8):08d}",
                vehicle_id=vehicle.id,
                slot_id=slot.id,
                phone=phone,
                status=BookingStatus.BOOKED.value,
                created_at=now,
                updated_at=now,
            )
            session.add(booking)
    except IntegrityError:
        raise Conflict(
            "duplicate_booking", f"{plate} already holds an inspection booking."
        ) from None
    return json_response(booking_json(booking, slot, plate), status=201)


async def _load(
    session: AsyncSession, code: str
) -> tuple[InspectionBooking, InspectionSlot, Vehicle]:
    row = (
        await session.execute(
            select(InspectionBooking, InspectionSlot, Vehicle)
            .join(InspectionSlot, InspectionBooking.slot_id == InspectionSlot.id)
            .join(Vehicle, InspectionBooking.vehicle_id == Vehicle.id)
            .where(InspectionBooking.booking_code == code)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("unknown_booking", f"No inspection booking {code}.")
    return row[0], row[1], row[2]


@routes.get("/traffic/v1/inspection-bookings/{code}")
async def get_booking(request: web.Request) -> web.Response:
    """One inspection booking."""
    code = validation.inspection_code(request.match_info["code"])
    async with request.app[keys.DB].read() as session:
        booking, slot, vehicle = await _load(session, code)
    return json_response(booking_json(booking, slot, vehicle.plate))


@routes.delete("/traffic/v1/inspection-bookings/{code}")
async def cancel(request: web.Request) -> web.Response:
    """Cancel an inspection booking and free its place."""
    code = validation.inspection_code(request.match_info["code"])
    today = request.app[keys.CLOCK].today()
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].write() as session:
        booking, slot, vehicle = await _load(session, code)
        if slot.date < today:
            raise Conflict("session_passed", "The inspection date has passed.")
        flipped = await session.execute(
            update(InspectionBooking)
            .where(
                InspectionBooking.id == booking.id,
                InspectionBooking.status == BookingStatus.BOOKED.value,
            )
            .values(status=BookingStatus.CANCELLED.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(flipped) != 1:
            raise Conflict("already_cancelled", f"Booking {code} is already cancelled.")
        await session.execute(
            update(InspectionSlot)
            .where(
                InspectionSlot.id == slot.id,
                InspectionSlot.remaining < InspectionSlot.capacity,
            )
            .values(remaining=InspectionSlot.remaining + 1)
            .execution_options(synchronize_session=False)
        )
        await session.refresh(booking)
    return json_response(booking_json(booking, slot, vehicle.plate))
