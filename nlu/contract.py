"""The intent and entity names fixed by the NLU contract (shared/spec/nlu-contract.md)."""

from __future__ import annotations

TASK_INTENTS = (
    "query_violation",
    "pay_fine",
    "query_license_points",
    "book_exam",
    "query_exam_booking",
    "cancel_exam_booking",
    "reschedule_exam_booking",
    "query_inspection",
    "book_inspection",
    "file_complaint",
    "give_suggestion",
    "query_ticket",
    "rate_service",
    "query_office",
)
FAQ_TOPICS = (
    "residence_permit",
    "id_card",
    "hukou",
    "passport",
    "hk_macau_permit",
    "social_insurance",
    "housing_fund",
    "medical_insurance",
    "business_license",
    "driving_license_renewal",
    "vehicle_registration",
    "marriage_registration",
    "online_service",
)
FAQ_INTENTS = tuple(f"faq/{topic}" for topic in FAQ_TOPICS)
CONVERSATION_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "stop",
    "help",
    "human_handoff",
    "bot_challenge",
    "inform",
    "out_of_scope",
)
ENTITIES = (
    "plate_number",
    "engine_suffix",
    "id_number",
    "phone_number",
    "date",
    "time_period",
    "exam_subject",
    "license_class",
    "exam_site",
    "booking_code",
    "ticket_id",
    "decision_number",
    "district",
    "rating",
)
