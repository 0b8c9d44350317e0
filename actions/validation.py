"""Slot checks shared by every form: formats, dates, and the re-ask explanations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend import Backend
from actions.render import masked_id
from nlu import formats
from nlu.normalize import normalize_for_match

SHANGHAI = ZoneInfo("Asia/Shanghai")
BARE_SUFFIX = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{6}(?![A-Z0-9])")
BOOKING_HORIZON_DAYS = 30
SUBJECTS = ("科目一", "科目二", "科目三", "科目四")
LICENSE_CLASSES = ("C1", "C2", "C5", "C6", "B1", "B2", "A1", "A2", "A3", "D", "E", "F")
PERIODS = ("morning", "afternoon")
DISTRICTS = (
    "福田区",
    "罗湖区",
    "南山区",
    "盐田区",
    "宝安区",
    "龙岗区",
    "龙华区",
    "坪山区",
    "光明区",
    "大鹏新区",
)
ID_PROBLEMS = {
    "length": "位数不对（应为18位，最后一位可以是X）",
    "birth_date": "中的出生日期不存在",
    "checksum": "的校验位不对，可能有数字输错了",
}
DATE_PROBLEMS = {
    "impossible_date": "这个日期不存在（比如2月没有30日）。",
}

Slots = dict[str, Any]


def today() -> date:
    """Today in the city's time zone."""
    return datetime.now(SHANGHAI).date()


def entity_info(tracker: Tracker, entity: str) -> dict[str, Any]:
    """``additional_info`` of the latest message's entity (``{}`` if none)."""
    for item in reversed(tracker.latest_message.get("entities") or []):
        if item.get("entity") == entity:
            info = item.get("additional_info")
            return info if isinstance(info, dict) else {}
    return {}


def parse_day(value: Any) -> date | None:
    """An ISO ``YYYY-MM-DD`` slot value as a date (``None`` for anything else)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def date_problem(
    value: Any, tracker: Tracker, *, first: date, last: date
) -> str | None:
    """Why a date slot value cannot be used (``None`` when it can).

    Args:
        value: The slot value (ISO date when the extractor understood it).
        tracker: For the extractor's explanation of an invalid date.
        first: Earliest acceptable day.
        last: Latest acceptable day.
    """
    day = parse_day(value)
    if day is None:
        if isinstance(value, str) and "/" in value:
            return "请说一个具体的日期，比如“下周三”或“12月5号”。"
        problem = entity_info(tracker, slots.DATE).get("problem")
        return DATE_PROBLEMS.get(str(problem), "没能识别这个日期。")
    if day < today():
        return "这一天已经过去了。"
    if day < first:
        return "最早只能预约明天及以后的日期。"
    if day > last:
        return f"目前只能预约{BOOKING_HORIZON_DAYS}天以内的日期。"
    return None


def _upper(value: Any) -> str:
    return str(value or "").strip().upper()


def _format_check(
    slot: str, accept: Callable[[Any], str | None], response: str
) -> Callable[..., Slots]:
    """A ``validate_<slot>`` method: keep what ``accept`` returns, else explain."""

    def validate(
        self: FormValidationAction,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        accepted = accept(value)
        if accepted is None:
            dispatcher.utter_message(response=response)
        return {slot: accepted}

    validate.__doc__ = f"Checks ``{slot}``; a rejection says ``{response}``."
    return validate


def _when(check: Callable[[str], bool]) -> Callable[[Any], str | None]:
    return lambda value: _upper(value) if check(_upper(value)) else None


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda value: _upper(value) if _upper(value) in allowed else None


class SlotValidator(FormValidationAction):
    """Validation shared by every form, plus re-confirmation after a correction.

    rasa-sdk calls ``validate_<slot>`` by name for the slots set this turn. A
    form that asked "确认提交吗？" and then hears a new value ("不对，是下周四")
    must ask again with the new summary, so :meth:`get_validation_events`
    clears ``confirmed`` whenever another slot changed in the same turn.
    """

    def __init__(self, backend: Backend) -> None:
        """Keeps the back-end client for checks that need it."""
        self.backend = backend

    validate_booking_code = _format_check(
        slots.BOOKING_CODE, _when(formats.is_booking_code), "utter_invalid_booking_code"
    )
    validate_ticket_id = _format_check(
        slots.TICKET_ID, _when(formats.is_ticket_id), "utter_invalid_ticket_id"
    )
    validate_decision_number = _format_check(
        slots.DECISION,
        _when(formats.is_decision_number),
        "utter_invalid_decision_number",
    )
    # The extractor maps 科三, 理论考试, 小车, 上午… to these canonical values.
    validate_exam_subject = _format_check(
        slots.SUBJECT, _one_of(SUBJECTS), "utter_invalid_subject"
    )
    validate_license_class = _format_check(
        slots.LICENSE_CLASS, _one_of(LICENSE_CLASSES), "utter_invalid_license_class"
    )
    validate_time_period = _format_check(
        slots.PERIOD,
        lambda value: value if value in PERIODS else None,
        "utter_invalid_time_period",
    )

    def name(self) -> str:  # pragma: no cover - every subclass names itself
        """Overridden by each form's validator."""
        raise NotImplementedError

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Validate, then force a new confirmation if anything else changed."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        changed = any(
            e["name"] not in (slots.CONFIRMED, slots.REQUESTED_SLOT)
            and e.get("value") is not None
            for e in events
        )
        current = tracker.slots.get(slots.CONFIRMED)
        if changed and current is not None:
            events = [e for e in events if e["name"] != slots.CONFIRMED]
            events.append({"event": "slot", "name": slots.CONFIRMED, "value": None})
            tracker.slots[slots.CONFIRMED] = None
        return events

    def validate_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """ "确认" confirms; "不对" keeps the form open for a correction."""
        return {slots.CONFIRMED: True if value is True else None}

    def validate_id_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """An 18-character ID with a valid GB 11643 check digit."""
        text = str(value or "")
        problem = formats.validate_id_number(text, today())
        if problem is None:
            return {slots.ID_NUMBER: text.upper().replace(" ", "")}
        dispatcher.utter_message(
            response="utter_invalid_id_number",
            masked=masked_id(text),
            problem=ID_PROBLEMS.get(problem, "不正确"),
        )
        return {slots.ID_NUMBER: None}

    def validate_plate_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """A plate of any province, new-energy plates included."""
        plate = formats.canonical_plate(str(value or ""))
        if plate is None:
            dispatcher.utter_message(response="utter_invalid_plate", value=value)
        return {slots.PLATE: plate}

    async def extract_engine_suffix(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Asked for the suffix, a bare "654321" is the answer (no cue word needed)."""
        if tracker.get_slot(slots.REQUESTED_SLOT) != slots.ENGINE_SUFFIX:
            return {}
        if any(
            e.get("entity") == slots.ENGINE_SUFFIX
            for e in tracker.latest_message.get("entities") or []
        ):
            return {}
        text = normalize_for_match(str(tracker.latest_message.get("text") or ""))
        found = BARE_SUFFIX.findall(text.upper())
        return {slots.ENGINE_SUFFIX: found[-1]} if len(found) == 1 else {}

    def validate_engine_suffix(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Six letters or digits: the end of the engine number or of the VIN."""
        text = str(value or "").strip().upper()
        if len(text) == 6 and text.isascii() and text.isalnum():
            return {slots.ENGINE_SUFFIX: text}
        dispatcher.utter_message(response="utter_invalid_engine_suffix")
        return {slots.ENGINE_SUFFIX: None}

    def validate_phone_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """A mainland mobile number."""
        text = str(value or "")
        if formats.is_valid_phone(text):
            digits = "".join(c for c in text if c.isdigit())
            return {slots.PHONE: digits[-11:]}
        dispatcher.utter_message(response="utter_invalid_phone")
        return {slots.PHONE: None}

    def validate_date(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """A day from tomorrow to 30 days ahead."""
        first = today() + timedelta(days=1)
        last = today() + timedelta(days=BOOKING_HORIZON_DAYS)
        problem = date_problem(value, tracker, first=first, last=last)
        if problem is None:
            return {slots.DATE: value}
        dispatcher.utter_message(response="utter_invalid_date", reason=problem)
        return {slots.DATE: None}

    def validate_district(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """A district of the city (streets are kept as the citizen said them)."""
        text = str(value or "").strip()
        if text:
            return {slots.DISTRICT: text}
        dispatcher.utter_message(response="utter_invalid_district", value=value)
        return {slots.DISTRICT: None}
