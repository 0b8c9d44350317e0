"""Typed back-end answers: frozen dataclasses validated by ``from_json``.

Field names are the wire names of ``docs/sandbox-api.md``. Dates are
``datetime.date``, times aware ``datetime`` (Asia/Shanghai offset as sent),
money ``Decimal`` yuan, statuses ``str`` enums. An answer that does not fit
raises ``BackendUnavailable(reason=bad_response)``: to the citizen a garbled
answer is the same as none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, TypeVar

from actions.backend.errors import BackendUnavailable, Reason
from actions.backend.fields import Fields, PayloadError
from actions.backend.statuses import (
    BookingStatus,
    InspectionStatus,
    LicenseStatus,
    OfficeKind,
    PaymentStatus,
    Period,
    RatingTarget,
    TicketStatus,
    TicketType,
    ViolationStatus,
)

__all__ = [
    "BookingStatus",
    "ExamBooking",
    "ExamSlot",
    "InspectionBooking",
    "InspectionSlot",
    "InspectionStation",
    "InspectionStatus",
    "License",
    "LicenseStatus",
    "Office",
    "OfficeKind",
    "OpeningHours",
    "PaymentOrder",
    "PaymentStatus",
    "Period",
    "Rating",
    "RatingTarget",
    "Ticket",
    "TicketStatus",
    "TicketStep",
    "TicketType",
    "VehicleInspection",
    "Violation",
    "ViolationReport",
    "ViolationStatus",
    "ViolationSummary",
]

P = TypeVar("P", bound="Payload")


class Payload:
    """Base of the answers: parsing with errors mapped to ``bad_response``."""

    backend_service: ClassVar[str] = "traffic"

    @classmethod
    def parse(cls: type[P], f: Fields) -> P:
        """Build from checked fields; raises ``PayloadError`` on a mismatch."""
        raise NotImplementedError

    @classmethod
    def from_json(cls: type[P], data: object) -> P:
        """Validate one decoded JSON object.

        Raises:
            BackendUnavailable: ``bad_response`` when it does not fit.
        """
        try:
            return cls.parse(Fields(data, cls.__name__))
        except PayloadError as exc:
            raise BackendUnavailable(
                cls.backend_service, Reason.BAD_RESPONSE, str(exc)
            ) from exc

    @classmethod
    def list_from_json(cls: type[P], data: object, key: str) -> list[P]:
        """Validate a ``{key: [object, …]}`` answer into a list.

        Raises:
            BackendUnavailable: ``bad_response`` when it does not fit.
        """
        try:
            items = Fields(data, f"{cls.__name__} list").children(key)
            return [cls.parse(item) for item in items]
        except PayloadError as exc:
            raise BackendUnavailable(
                cls.backend_service, Reason.BAD_RESPONSE, str(exc)
            ) from exc


@dataclass(frozen=True)
class Violation(Payload):
    """One traffic violation and its fine."""

    decision_number: str
    plate: str
    code: str
    time: dt.datetime
    location: str
    description: str
    fine: Decimal
    points: int
    status: ViolationStatus
    paid_at: dt.datetime | None

    @classmethod
    def parse(cls, f: Fields) -> Violation:
        """Build from checked fields."""
        return cls(
            decision_number=f.text("decision_number"),
            plate=f.text("plate"),
            code=f.text("code"),
            time=f.moment("time"),
            location=f.text("location"),
            description=f.text("description"),
            fine=f.money("fine"),
            points=f.integer("points"),
            status=f.choice("status", ViolationStatus),
            paid_at=f.opt_moment("paid_at"),
        )


@dataclass(frozen=True)
class ViolationSummary(Payload):
    """Totals of a vehicle's violations."""

    count: int
    unpaid_count: int
    unpaid_fine: Decimal
    unpaid_points: int

    @classmethod
    def parse(cls, f: Fields) -> ViolationSummary:
        """Build from checked fields."""
        return cls(
            count=f.integer("count"),
            unpaid_count=f.integer("unpaid_count"),
            unpaid_fine=f.money("unpaid_fine"),
            unpaid_points=f.integer("unpaid_points"),
        )


@dataclass(frozen=True)
class ViolationReport(Payload):
    """A vehicle with its violations (newest first) and their summary."""

    plate: str
    plate_type: str
    vehicle_type: str
    brand: str
    violations: tuple[Violation, ...]
    summary: ViolationSummary

    @classmethod
    def parse(cls, f: Fields) -> ViolationReport:
        """Build from checked fields."""
        return cls(
            plate=f.text("plate"),
            plate_type=f.text("plate_type"),
            vehicle_type=f.text("vehicle_type"),
            brand=f.text("brand"),
            violations=tuple(Violation.parse(v) for v in f.children("violations")),
            summary=ViolationSummary.parse(f.child("summary")),
        )


@dataclass(frozen=True)
class PaymentOrder(Payload):
    """A payment order for one fine, paid by the citizen at ``pay_url``."""

    order_id: str
    decision_number: str
    plate: str
    amount: Decimal
    status: PaymentStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: dt.datetime | None
    pay_url: str

    @classmethod
    def parse(cls, f: Fields) -> PaymentOrder:
        """Build from checked fields."""
        return cls(
            order_id=f.text("order_id"),
            decision_number=f.text("decision_number"),
            plate=f.text("plate"),
            amount=f.money("amount"),
            status=f.choice("status", PaymentStatus),
            created_at=f.moment("created_at"),
            expires_at=f.moment("expires_at"),
            paid_at=f.opt_moment("paid_at"),
            pay_url=f.text("pay_url"),
        )


@dataclass(frozen=True)
class License(Payload):
    """A driving licence and its points in the current scoring cycle."""

    id_number: str
    name: str
    license_class: str
    status: LicenseStatus
    points_used: int
    points_limit: int
    points_remaining: int
    cycle_start: dt.date
    cycle_end: dt.date
    first_issue_date: dt.date
    issue_date: dt.date
    valid_until: dt.date

    @classmethod
    def parse(cls, f: Fields) -> License:
        """Build from checked fields."""
        return cls(
            id_number=f.text("id_number"),
            name=f.text("name"),
            license_class=f.text("license_class"),
            status=f.choice("status", LicenseStatus),
            points_used=f.integer("points_used"),
            points_limit=f.integer("points_limit"),
            points_remaining=f.integer("points_remaining"),
            cycle_start=f.day("cycle_start"),
            cycle_end=f.day("cycle_end"),
            first_issue_date=f.day("first_issue_date"),
            issue_date=f.day("issue_date"),
            valid_until=f.day("valid_until"),
        )


@dataclass(frozen=True)
class ExamSlot(Payload):
    """An exam session with its remaining seats."""

    session_id: int
    site: str
    site_district: str | None
    subject: str
    date: dt.date
    period: Period
    start_time: dt.datetime
    end_time: dt.datetime
    capacity: int
    remaining: int

    @classmethod
    def parse(cls, f: Fields) -> ExamSlot:
        """Build from checked fields."""
        return cls(
            session_id=f.integer("session_id"),
            site=f.text("site"),
            site_district=f.opt_text("site_district"),
            subject=f.text("subject"),
            date=f.day("date"),
            period=f.choice("period", Period),
            start_time=f.moment("start_time"),
            end_time=f.moment("end_time"),
            capacity=f.integer("capacity"),
            remaining=f.integer("remaining"),
        )


@dataclass(frozen=True)
class ExamBooking(Payload):
    """A driving-test booking (``KS`` + 8 digits)."""

    booking_code: str
    id_number: str
    subject: str
    license_class: str
    site: str
    site_district: str | None
    date: dt.date
    period: Period
    start_time: dt.datetime
    end_time: dt.datetime
    status: BookingStatus
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def parse(cls, f: Fields) -> ExamBooking:
        """Build from checked fields."""
        return cls(
            booking_code=f.text("booking_code"),
            id_number=f.text("id_number"),
            subject=f.text("subject"),
            license_class=f.text("license_class"),
            site=f.text("site"),
            site_district=f.opt_text("site_district"),
            date=f.day("date"),
            period=f.choice("period", Period),
            start_time=f.moment("start_time"),
            end_time=f.moment("end_time"),
            status=f.choice("status", BookingStatus),
            created_at=f.moment("created_at"),
            updated_at=f.moment("updated_at"),
        )


@dataclass(frozen=True)
class InspectionBooking(Payload):
    """A vehicle-inspection booking (``JC`` + 8 digits)."""

    booking_code: str
    plate: str
    station: str
    station_id: str
    date: dt.date
    period: Period
    start_time: dt.datetime
    end_time: dt.datetime
    station_address: str
    phone: str | None
    status: BookingStatus
    created_at: dt.datetime

    @classmethod
    def parse(cls, f: Fields) -> InspectionBooking:
        """Build from checked fields."""
        return cls(
            booking_code=f.text("booking_code"),
            plate=f.text("plate"),
            station=f.text("station"),
            station_id=f.text("station_id"),
            date=f.day("date"),
            period=f.choice("period", Period),
            start_time=f.moment("start_time"),
            end_time=f.moment("end_time"),
            station_address=f.text("station_address"),
            phone=f.opt_text("phone"),
            status=f.choice("status", BookingStatus),
            created_at=f.moment("created_at"),
        )


@dataclass(frozen=True)
class VehicleInspection(Payload):
    """A vehicle's periodic inspection standing and its live booking."""

    plate: str
    plate_type: str
    vehicle_type: str
    brand: str
    inspection_due: dt.date
    status: InspectionStatus
    days_until_due: int
    booking: InspectionBooking | None

    @classmethod
    def parse(cls, f: Fields) -> VehicleInspection:
        """Build from checked fields."""
        booking = f.opt_child("booking")
        return cls(
            plate=f.text("plate"),
            plate_type=f.text("plate_type"),
            vehicle_type=f.text("vehicle_type"),
            brand=f.text("brand"),
            inspection_due=f.day("inspection_due"),
            status=f.choice("status", InspectionStatus),
            days_until_due=f.integer("days_until_due"),
            booking=None if booking is None else InspectionBooking.parse(booking),
        )


@dataclass(frozen=True)
class OpeningHours:
    """When a station serves in one half-day."""

    period: Period
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class InspectionStation(Payload):
    """A vehicle-inspection station and its half-day hours."""

    id: str
    name: str
    district: str
    address: str
    periods: tuple[OpeningHours, ...]

    @classmethod
    def parse(cls, f: Fields) -> InspectionStation:
        """Build from checked fields."""
        hours = f.child("periods")
        periods = []
        for name in hours.names():
            try:
                period = Period(name)
            except ValueError:
                raise PayloadError(f"{hours.where}: unknown period") from None
            span = hours.child(name)
            periods.append(OpeningHours(period, span.clock("start"), span.clock("end")))
        return cls(
            id=f.text("id"),
            name=f.text("name"),
            district=f.text("district"),
            address=f.text("address"),
            periods=tuple(periods),
        )

    def hours(self, period: Period) -> OpeningHours | None:
        """The opening hours of one half-day, if the station serves then."""
        return next((h for h in self.periods if h.period is period), None)


@dataclass(frozen=True)
class InspectionSlot(Payload):
    """A station half-day with its remaining places."""

    station: str
    station_id: str
    date: dt.date
    period: Period
    start_time: dt.datetime
    end_time: dt.datetime
    capacity: int
    remaining: int

    @classmethod
    def parse(cls, f: Fields) -> InspectionSlot:
        """Build from checked fields."""
        return cls(
            station=f.text("station"),
            station_id=f.text("station_id"),
            date=f.day("date"),
            period=f.choice("period", Period),
            start_time=f.moment("start_time"),
            end_time=f.moment("end_time"),
            capacity=f.integer("capacity"),
            remaining=f.integer("remaining"),
        )


@dataclass(frozen=True)
class TicketStep(Payload):
    """One step of a ticket's history; ``note`` is Chinese, for the citizen."""

    backend_service: ClassVar[str] = "hotline"

    time: dt.datetime
    status: TicketStatus
    note: str

    @classmethod
    def parse(cls, f: Fields) -> TicketStep:
        """Build from checked fields."""
        return cls(
            time=f.moment("time"),
            status=f.choice("status", TicketStatus),
            note=f.text("note"),
        )


@dataclass(frozen=True)
class Ticket(Payload):
    """A 12345 hotline ticket (``GD`` + 12 digits) and its progress."""

    backend_service: ClassVar[str] = "hotline"

    ticket_id: str
    type: TicketType
    status: TicketStatus
    department: str
    district: str
    content: str
    created_at: dt.datetime
    updated_at: dt.datetime
    history: tuple[TicketStep, ...]
    reply: str | None

    @classmethod
    def parse(cls, f: Fields) -> Ticket:
        """Build from checked fields."""
        return cls(
            ticket_id=f.text("ticket_id"),
            type=f.choice("type", TicketType),
            status=f.choice("status", TicketStatus),
            department=f.text("department"),
            district=f.text("district"),
            content=f.text("content"),
            created_at=f.moment("created_at"),
            updated_at=f.moment("updated_at"),
            history=tuple(TicketStep.parse(s) for s in f.children("history")),
            reply=f.opt_text("reply"),
        )


@dataclass(frozen=True)
class Rating(Payload):
    """A stored satisfaction rating (1 to 5)."""

    backend_service: ClassVar[str] = "hotline"

    rating_id: int
    target_type: RatingTarget
    target_id: str
    score: int
    comment: str | None
    service: str | None
    created_at: dt.datetime

    @classmethod
    def parse(cls, f: Fields) -> Rating:
        """Build from checked fields."""
        return cls(
            rating_id=f.integer("rating_id"),
            target_type=f.choice("target_type", RatingTarget),
            target_id=f.text("target_id"),
            score=f.integer("score"),
            comment=f.opt_text("comment"),
            service=f.opt_text("service"),
            created_at=f.moment("created_at"),
        )


@dataclass(frozen=True)
class Office(Payload):
    """A government office of the directory."""

    backend_service: ClassVar[str] = "directory"

    id: str
    kind: OfficeKind
    name: str
    short_names: tuple[str, ...]
    district: str
    address: str
    phone: str
    hours: str

    @classmethod
    def parse(cls, f: Fields) -> Office:
        """Build from checked fields."""
        return cls(
            id=f.text("id"),
            kind=f.choice("kind", OfficeKind),
            name=f.text("name"),
            short_names=f.texts("short_names"),
            district=f.text("district"),
            address=f.text("address"),
            phone=f.text("phone"),
            hours=f.text("hours"),
        )
