"""Database schema of the sandbox (the alembic migrations create exactly this)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of all sandbox tables."""


class Meta(Base):
    """Key/value facts about the database itself (when it was seeded)."""

    __tablename__ = "sandbox_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Vehicle(Base):
    """A registered motor vehicle."""

    __tablename__ = "vehicles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    plate_type: Mapped[str] = mapped_column(String(32))
    vehicle_type: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str] = mapped_column(String(64))
    owner_name: Mapped[str] = mapped_column(String(64))
    engine_number: Mapped[str] = mapped_column(String(32))
    vin: Mapped[str] = mapped_column(String(17))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    inspection_due: Mapped[dt.date] = mapped_column(Date)


class Violation(Base):
    """A traffic violation with its penalty decision."""

    __tablename__ = "violations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE"), index=True
    )
    decision_number: Mapped[str] = mapped_column(String(16), unique=True)
    code: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    location: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(200))
    fine_fen: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Payment(Base):
    """A payment order for one fine."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(18), unique=True)
    violation_id: Mapped[int] = mapped_column(
        ForeignKey("violations.id", ondelete="CASCADE"), index=True
    )
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class License(Base):
    """A driving licence."""

    __tablename__ = "licenses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    license_class: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    points_used: Mapped[int] = mapped_column(Integer)
    first_issue_date: Mapped[dt.date] = mapped_column(Date)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)


class ExamSession(Base):
    """One half-day session of one subject at one exam site."""

    __tablename__ = "exam_sessions"
    __table_args__ = (
        UniqueConstraint("site", "subject", "date", "period", name="uq_exam_session"),
        CheckConstraint(
            "remaining >= 0 AND remaining <= capacity", name="ck_exam_seats"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(8))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    period: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)


class ExamBooking(Base):
    """A person's seat in an exam session."""

    __tablename__ = "exam_bookings"
    __table_args__ = (
        # One live booking per person and subject; enforced by the database so
        # that two parallel requests cannot both pass an application check.
        Index(
            "uq_exam_booking_live",
            "id_number",
            "subject",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_code: Mapped[str] = mapped_column(String(10), unique=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    subject: Mapped[str] = mapped_column(String(8))
    license_class: Mapped[str] = mapped_column(String(8))
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class InspectionSlot(Base):
    """One half-day of capacity at an inspection station."""

    __tablename__ = "inspection_slots"
    __table_args__ = (
        UniqueConstraint("station_id", "date", "period", name="uq_inspection_slot"),
        CheckConstraint(
            "remaining >= 0 AND remaining <= capacity", name="ck_inspection_seats"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    period: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)


class InspectionBooking(Base):
    """A vehicle's inspection appointment."""

    __tablename__ = "inspection_bookings"
    __table_args__ = (
        Index(
            "uq_inspection_booking_live",
            "vehicle_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_code: Mapped[str] = mapped_column(String(10), unique=True)
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int] = mapped_column(ForeignKey("inspection_slots.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Ticket(Base):
    """A 12345 hotline ticket (complaint or suggestion)."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(14), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    auto_advance: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class TicketEvent(Base):
    """One step of a ticket's history."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_pk: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    time: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500))


class TicketCounter(Base):
    """Daily sequence behind ticket ids (GD + yyyymmdd + 4 digits)."""

    __tablename__ = "ticket_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Rating(Base):
    """A satisfaction rating."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(128))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500), nullable=True)
    service: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class IdempotencyRecord(Base):
    """The first response to a request carrying an Idempotency-Key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("app_key", "key", name="uq_idempotency_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_key: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
