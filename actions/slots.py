"""Slot, form and response names shared by validators and actions."""

from __future__ import annotations

from typing import Final

PLATE: Final = "plate_number"
ENGINE_SUFFIX: Final = "engine_suffix"
ID_NUMBER: Final = "id_number"
PHONE: Final = "phone_number"
DATE: Final = "date"
PERIOD: Final = "time_period"
SUBJECT: Final = "exam_subject"
LICENSE_CLASS: Final = "license_class"
SITE: Final = "exam_site"
BOOKING_CODE: Final = "booking_code"
TICKET_ID: Final = "ticket_id"
DECISION: Final = "decision_number"
DISTRICT: Final = "district"
RATING: Final = "rating"
CONFIRMED: Final = "confirmed"
TICKET_TYPE: Final = "ticket_type"
TICKET_CONTENT: Final = "ticket_content"
FEEDBACK_TEXT: Final = "feedback_text"
AWAITING_RETRY: Final = "awaiting_retry"
RETRY_ACTION: Final = "retry_action"
WRITE_KEY: Final = "write_key"
RATING_TARGET: Final = "rating_target"
RATING_SERVICE: Final = "rating_service"
LOW_RATING: Final = "low_rating"
REQUESTED_SLOT: Final = "requested_slot"

# Who the citizen is: kept for the whole session so nobody is asked twice.
IDENTITY_SLOTS: Final = (PLATE, ENGINE_SUFFIX, ID_NUMBER, PHONE)

# What one task collected: cleared when the task ends, is cancelled or switched.
TASK_SLOTS: Final = (
    DATE,
    PERIOD,
    SUBJECT,
    LICENSE_CLASS,
    SITE,
    BOOKING_CODE,
    TICKET_ID,
    DECISION,
    DISTRICT,
    CONFIRMED,
    TICKET_TYPE,
    TICKET_CONTENT,
    FEEDBACK_TEXT,
    RATING,
    WRITE_KEY,
)
