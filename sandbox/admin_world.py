"""Administration: arrange the world (vehicles, licences, sessions) for tests and demos."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sandbox import keys, validation
from sandbox.clock import SHANGHAI
from sandbox.errors import Conflict, Invalid
from sandbox.models import ExamSession, InspectionSlot, License, Vehicle, Violation
from sandbox.statuses import LicenseStatus, ViolationStatus
from sandbox.traffic.catalogue import LOCATIONS, VIOLATION_KINDS
from sandbox.traffic.exam_sessions import require_offered, session_json
from sandbox.traffic.inspections import slot_json
from sandbox.traffic.licenses import license_json
from sandbox.traffic.violations import vehicle_json, violation_json
from sandbox.wire import json_response

routes = web.RouteTableDef()

_ENGINE_RE = re.compile(r"^[A-Z0-9]{6,32}$")
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_MONEY_RE = re.compile(r"^\d{1,6}(\.\d{1,2})?$")


def _fen(value: Any) -> int:
    text = (
        str(value)
        if isinstance(value, str | int) and not isinstance(value, bool)
        else ""
    )
    if not _MONEY_RE.match(text):
        raise Invalid("invalid_field", 'fine must be yuan like "200.00".')
    yuan, _, cents = text.partition(".")
    return int(yuan) * 100 + int(cents.ljust(2, "0") or "0")


def _datetime(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid("invalid_field", f"time must be ISO 8601, got {raw!r}.") from None
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _violation(item: Any, vehicle_id: int, now: dt.datetime) -> Violation:
    if not isinstance(item, dict):
        raise Invalid("invalid_field", "each violation must be an object.")
    kind_key = validation.opt_str(item, "kind", 20) or "marking"
    if kind_key not in VIOLATION_KINDS:
        raise Invalid(
            "invalid_field", f"kind must be one of {', '.join(VIOLATION_KINDS)}."
        )
    kind = VIOLATION_KINDS[kind_key]
    raw_number = validation.opt_str(item, "decision_number", 20)
    number = (
        validation.decision_number(raw_number)
        if raw_number
        else f"4403{secrets.randbelow(10**12):012d}"
    )
    raw_time = validation.opt_str(item, "time", 40)
    occurred = _datetime(raw_time) if raw_time else now - dt.timedelta(days=1)
    raw_status = validation.opt_str(item, "status", 10) or ViolationStatus.UNPAID.value
    try:
        status = ViolationStatus(raw_status)
    except ValueError:
        raise Invalid(
            "invalid_field", "violation status must be unpaid or paid."
        ) from None
    points = validation.opt_int(item, "points", 0, 12)
    return Violation(
        vehicle_id=vehicle_id,
        decision_number=number,
        code=validation.opt_str(item, "code", 8) or kind.code,
        occurred_at=occurred,
        location=validation.opt_str(item, "location", 200) or LOCATIONS[0],
        description=validation.opt_str(item, "description", 200) or kind.description,
        fine_fen=_fen(item["fine"]) if item.get("fine") is not None else kind.fine_fen,
        points=kind.points if points is None else points,
        status=status.value,
        paid_at=now if status is ViolationStatus.PAID else None,
    )


@routes.post("/sandbox/v1/vehicles")
async def create_vehicle(request: web.Request) -> web.Response:
    """Create a vehicle with optional violations and inspection due date."""
    data = await validation.json_object(request)
    plate = validation.plate(validation.req_str(data, "plate", 20))
    engine = (
        validation.to_half_width(validation.req_str(data, "engine_number", 32))
        .strip()
        .upper()
    )
    if not _ENGINE_RE.match(engine):
        raise Invalid(
            "invalid_field", "engine_number must be 6 to 32 letters or digits."
        )
    vin = (
        validation.opt_str(data, "vin", 17) or f"LSB{secrets.randbelow(10**14):014d}"
    ).upper()
    if not _VIN_RE.match(vin):
        raise Invalid("invalid_field", "vin must be 17 characters without I, O or Q.")
    clock = request.app[keys.CLOCK]
    now, today = clock.now(), clock.today()
    raw_due = validation.opt_str(data, "inspection_due", 20)
    items = data.get("violations") or []
    if not isinstance(items, list) or len(items) > 100:
        raise Invalid(
            "invalid_field", "violations must be a list of at most 100 objects."
        )
    new_energy = len(plate) == 8  # only new-energy plates have 8 characters
    vehicle = Vehicle(
        plate=plate,
        plate_type=validation.opt_str(data, "plate_type", 32)
        or ("小型新能源汽车" if new_energy else "小型汽车"),
        vehicle_type=validation.opt_str(data, "vehicle_type", 32) or "小型普通客车",
        brand=validation.opt_str(data, "brand", 64) or "沙盒测试车",
        owner_name=validation.opt_str(data, "owner_name", 64) or "测试车主",
        engine_number=engine,
        vin=vin,
        registered_on=today - dt.timedelta(days=365),
        inspection_due=validation.iso_date(raw_due, "inspection_due")
        if raw_due
        else today + dt.timedelta(days=365),
    )
    try:
        async with request.app[keys.DB].write() as session:
            session.add(vehicle)
            await session.flush()
            violations = [_violation(item, vehicle.id, now) for item in items]
            session.add_all(violations)
    except IntegrityError:
        raise Conflict(
            "already_exists", "The plate or a decision number already exists."
        ) from None
    body = {
        **vehicle_json(vehicle),
        "engine_number": vehicle.engine_number,
        "vin": vehicle.vin,
        "inspection_due": vehicle.inspection_due.isoformat(),
        "violations": [violation_json(v, plate) for v in violations],
    }
    return json_response(body, status=201)


@routes.post("/sandbox/v1/licenses")
async def create_license(request: web.Request) -> web.Response:
    """Create a driving licence."""
    data = await validation.json_object(request)
    today = request.app[keys.CLOCK].today()
    id_number = validation.id_number(validation.req_str(data, "id_number", 40))
    raw_status = validation.opt_str(data, "status", 16) or LicenseStatus.NORMAL.value
    try:
        status = LicenseStatus(raw_status)
    except ValueError:
        raise Invalid(
            "invalid_field", "status must be normal, expired or suspended."
        ) from None
    raw_valid = validation.opt_str(data, "valid_until", 20)
    default_valid = (
        today - dt.timedelta(days=1)
        if status is LicenseStatus.EXPIRED
        else today + dt.timedelta(days=3650)
    )
    valid_until = (
        validation.iso_date(raw_valid, "valid_until") if raw_valid else default_valid
    )
    raw_first = validation.opt_str(data, "first_issue_date", 20)
    first = (
        validation.iso_date(raw_first, "first_issue_date")
        if raw_first
        else today - dt.timedelta(days=3 * 365)
    )
    raw_issue = validation.opt_str(data, "issue_date", 20)
    licence = License(
        id_number=id_number,
        name=validation.opt_str(data, "name", 64) or "测试驾驶人",
        license_class=validation.license_class(
            validation.opt_str(data, "license_class", 10) or "C1"
        ),
        status=(
            LicenseStatus.SUSPENDED
            if status is LicenseStatus.SUSPENDED
            else LicenseStatus.NORMAL
        ).value,
        points_used=validation.opt_int(data, "points_used", 0, 99) or 0,
        first_issue_date=first,
        issue_date=validation.iso_date(raw_issue, "issue_date") if raw_issue else first,
        valid_until=valid_until,
    )
    try:
        async with request.app[keys.DB].write() as session:
            session.add(licence)
    except IntegrityError:
        raise Conflict(
            "already_exists", "A licence for this ID number already exists."
        ) from None
    return json_response(license_json(licence, today), status=201)


def _seats(data: dict[str, Any]) -> tuple[int, int]:
    capacity = validation.req_int(data, "capacity", 0, 10_000)
    remaining = validation.opt_int(data, "remaining", 0, 10_000)
    remaining = capacity if remaining is None else remaining
    if remaining > capacity:
        raise Invalid("invalid_field", "remaining cannot exceed capacity.")
    return capacity, remaining


@routes.post("/sandbox/v1/exam-sessions")
async def upsert_exam_session(request: web.Request) -> web.Response:
    """Create an exam session or set the seats of an existing one (any date)."""
    data = await validation.json_object(request)
    site = validation.exam_site(validation.req_str(data, "site", 40))
    subject = validation.subject(validation.req_str(data, "subject", 20))
    require_offered(site, subject)
    day = validation.iso_date(validation.req_str(data, "date", 20))
    period = validation.period(validation.req_str(data, "period", 20))
    capacity, remaining = _seats(data)
    async with request.app[keys.DB].write() as session:
        row = await session.scalar(
            select(ExamSession).where(
                ExamSession.site == site.name,
                ExamSession.subject == subject.value,
                ExamSession.date == day,
                ExamSession.period == period.value,
            )
        )
        created = row is None
        if row is None:
            row = ExamSession(
                site=site.name, subject=subject.value, date=day, period=period.value
            )
            session.add(row)
        row.capacity, row.remaining = capacity, remaining
        await session.flush()
    return json_response(session_json(row), status=201 if created else 200)


@routes.post("/sandbox/v1/inspection-slots")
async def upsert_inspection_slot(request: web.Request) -> web.Response:
    """Create a station half-day or set the places of an existing one."""
    data = await validation.json_object(request)
    station = validation.station(validation.req_str(data, "station", 40))
    day = validation.iso_date(validation.req_str(data, "date", 20))
    period = validation.period(validation.req_str(data, "period", 20))
    capacity, remaining = _seats(data)
    async with request.app[keys.DB].write() as session:
        row = await session.scalar(
            select(InspectionSlot).where(
                InspectionSlot.station_id == station.id,
                InspectionSlot.date == day,
                InspectionSlot.period == period.value,
            )
        )
        created = row is None
        if row is None:
            row = InspectionSlot(station_id=station.id, date=day, period=period.value)
            session.add(row)
        row.capacity, row.remaining = capacity, remaining
        await session.flush()
    return json_response(slot_json(row), status=201 if created else 200)
