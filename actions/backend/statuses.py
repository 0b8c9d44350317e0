"""Enumerated values of the back-end answers (English snake_case on the wire)."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "BookingStatus",
    "InspectionStatus",
    "LicenseStatus",
    "OfficeKind",
    "PaymentStatus",
    "Period",
    "RatingTarget",
    "TicketStatus",
    "TicketType",
    "ViolationStatus",
]


class Period(str, Enum):
    """Half-day of an exam session or inspection slot."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


class ViolationStatus(str, Enum):
    """Whether a violation's fine is paid."""

    UNPAID = "unpaid"
    PAID = "paid"


class PaymentStatus(str, Enum):
    """Life of a payment order: pending, then paid, expired or cancelled."""

    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


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


class RatingTarget(str, Enum):
    """What a satisfaction rating is about."""

    CONVERSATION = "conversation"
    TICKET = "ticket"
    SERVICE = "service"


class OfficeKind(str, Enum):
    """Kind of office in the directory."""

    DMV = "dmv"
    SERVICE_CENTRE = "service_centre"
    EXIT_ENTRY = "exit_entry"
    HOUSING_FUND = "housing_fund"
    SOCIAL_INSURANCE = "social_insurance"
