"""Enumerated values that travel on the wire and sit in the database."""

from __future__ import annotations

from enum import Enum


class Period(str, Enum):
    """Half-day session period."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


class Subject(str, Enum):
    """Driving-test subject (科目)."""

    ONE = "科目一"
    TWO = "科目二"
    THREE = "科目三"
    FOUR = "科目四"


class ViolationStatus(str, Enum):
    """Whether the fine of a violation has been paid."""

    UNPAID = "unpaid"
    PAID = "paid"


class PaymentStatus(str, Enum):
    """Life of a payment order."""

    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class LicenseStatus(str, Enum):
    """Driving-licence status (正常 / 过期 / 暂扣)."""

    NORMAL = "normal"
    EXPIRED = "expired"
    SUSPENDED = "suspended"


class BookingStatus(str, Enum):
    """Exam or inspection booking status."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class InspectionStatus(str, Enum):
    """Periodic inspection standing of a vehicle."""

    VALID = "valid"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class TicketType(str, Enum):
    """Kind of hotline ticket."""

    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class TicketStatus(str, Enum):
    """Hotline ticket progress, in order."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


TICKET_FLOW: tuple[TicketStatus, ...] = tuple(TicketStatus)


class RatingTarget(str, Enum):
    """What a satisfaction rating is about."""

    CONVERSATION = "conversation"
    TICKET = "ticket"
    SERVICE = "service"


class FaultMode(str, Enum):
    """Injected failure mode of the service routes."""

    NORMAL = "normal"
    DOWN = "down"
    GARBAGE = "garbage"
    HANG = "hang"
