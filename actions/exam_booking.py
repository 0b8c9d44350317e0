"""Driving-test booking: the booking form, its site question, and the booking."""

from __future__ import annotations

from datetime import date
from typing import Any

import structlog
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend.errors import BackendUnavailable, Conflict, InvalidInput, NotFound
from actions.base import ServiceAction, Turn, clear_task_slots, finish_task, reopen_form
from actions.exam_sessions import alternatives, buttons_payload, choice, session_state
from actions.render import clock, day, iso_day, masked_id, period
from actions.validation import Slots, SlotValidator

log = structlog.get_logger(__name__)

SESSION_SLOTS = (slots.SUBJECT, slots.DATE, slots.PERIOD, slots.SITE)


class ValidateExamBookingForm(SlotValidator):
    """Checks each answer, and that the chosen session exists and has seats."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_exam_booking_form"

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """After the per-slot checks, check the session once all four are known."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        touched = {e["name"] for e in events} & set(SESSION_SLOTS)
        values = {name: tracker.slots.get(name) for name in SESSION_SLOTS}
        if not touched or any(v is None for v in values.values()):
            return events
        try:
            state, _ = await session_state(
                self.backend,
                values[slots.SUBJECT],
                values[slots.DATE],
                values[slots.PERIOD],
                values[slots.SITE],
            )
        except BackendUnavailable:
            # The booking itself will check again; do not block the form here.
            return events
        if state == "free":
            return events
        cleared = await self._explain(state, values, dispatcher)
        tracker.slots.update(cleared)
        return [*events, *(SlotSet(k, v) for k, v in cleared.items())]

    async def _explain(
        self, state: str, values: dict[str, Any], dispatcher: CollectingDispatcher
    ) -> Slots:
        subject, site = values[slots.SUBJECT], values[slots.SITE]
        wanted = date.fromisoformat(values[slots.DATE])
        if state == "none" and not await self.backend.traffic.exam_slots(
            subject=subject, site=site, include_full=True
        ):
            offering = sorted(
                {s.site for s in await self.backend.traffic.exam_slots(subject=subject)}
            )
            dispatcher.utter_message(
                response="utter_subject_not_offered",
                site=site,
                subject=subject,
                alternatives=f"可以考{subject}的考场有：{'、'.join(offering)}。"
                if offering
                else "",
            )
            return {slots.SITE: None}
        if state == "none":
            dispatcher.utter_message(
                response="utter_no_such_session",
                date_text=day(wanted),
                period_text=period(values[slots.PERIOD]),
            )
            return {slots.DATE: None, slots.PERIOD: None}
        offers = await alternatives(
            self.backend, subject, wanted, values[slots.PERIOD], site
        )
        dispatcher.utter_message(
            response="utter_session_full",
            site=site,
            date=day(wanted),
            period=period(values[slots.PERIOD]),
            subject=subject,
            buttons=buttons_payload(offers),
        )
        return {slots.SITE: None}

    async def extract_exam_site(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Asked for the site, "南山那个考场" names a district: take its site."""
        if tracker.get_slot(slots.REQUESTED_SLOT) != slots.SITE:
            return {}
        entities = tracker.latest_message.get("entities") or []
        districts = [
            e.get("value") for e in entities if e.get("entity") == slots.DISTRICT
        ]
        if len(districts) != 1 or any(e.get("entity") == slots.SITE for e in entities):
            return {}
        try:
            offered = await self.backend.traffic.exam_slots(
                subject=tracker.get_slot(slots.SUBJECT), include_full=True
            )
        except BackendUnavailable:
            return {}
        sites = {s.site for s in offered if s.site_district == districts[0]}
        return {slots.SITE: sites.pop()} if len(sites) == 1 else {}

    def validate_exam_site(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """The extractor already gives the canonical site name."""
        if isinstance(value, str) and value.endswith("考场"):
            return {slots.SITE: value}
        dispatcher.utter_message(
            response="utter_invalid_site", reason="请从列出的考场中选择一个。"
        )
        return {slots.SITE: None}


class ActionAskExamSite(ServiceAction):
    """Asks for the site, offering only sites with seats in the chosen session."""

    service_label = "考试预约"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_ask_exam_site"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Buttons for every site with seats; the nearest sessions when none."""
        subject = turn.slot(slots.SUBJECT)
        day_iso, period_value = turn.slot(slots.DATE), turn.slot(slots.PERIOD)
        found = await self.backend.traffic.exam_slots(
            subject=subject, date=day_iso, period=period_value
        )
        free = [s for s in found if s.remaining > 0]
        if free:
            turn.dispatcher.utter_message(
                text=f"{iso_day(day_iso)}{period(period_value)}的{subject}，这些考场还有名额，请选择：",
                buttons=[
                    choice(
                        f"{s.site}（{s.site_district}，余{s.remaining}）",
                        exam_site=s.site,
                    )
                    for s in free
                ],
            )
            return []
        offers = await alternatives(
            self.backend, subject, date.fromisoformat(day_iso), period_value
        )
        if not offers:
            turn.say("utter_no_sessions_left", subject=subject)
            return [SlotSet(slots.REQUESTED_SLOT, None), *clear_task_slots()]
        turn.dispatcher.utter_message(
            text=f"{iso_day(day_iso)}{period(period_value)}的{subject}已经约满了，以下场次还有名额，可以直接选择：",
            buttons=buttons_payload(offers),
        )
        return [SlotSet(slots.DATE, None), SlotSet(slots.PERIOD, None)]


class ActionBookExam(ServiceAction):
    """Books the confirmed session (one seat, one Idempotency-Key)."""

    service_label = "考试预约"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_book_exam"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Book; a lost race for the last seat reopens the form with offers."""
        if turn.slot(slots.CONFIRMED) is not True:
            return clear_task_slots()
        subject = turn.slot(slots.SUBJECT)
        try:
            booking = await self.backend.traffic.book_exam(
                id_number=turn.slot(slots.ID_NUMBER),
                subject=subject,
                license_class=turn.slot(slots.LICENSE_CLASS),
                site=turn.slot(slots.SITE),
                date=turn.slot(slots.DATE),
                period=turn.slot(slots.PERIOD),
                idempotency_key=turn.write_key,
            )
        except Conflict as exc:
            if exc.code == "duplicate_subject":
                return await self._duplicate(turn, subject)
            if exc.code == "session_full":
                return await self._full(turn, subject)
            raise
        except (NotFound, InvalidInput) as exc:
            log.info("actions.exam.book.rejected", code=exc.code)
            turn.say(
                "utter_no_such_session",
                date_text=iso_day(turn.slot(slots.DATE)),
                period_text=period(turn.slot(slots.PERIOD)),
            )
            return reopen_form(
                "exam_booking_form", slots.DATE, slots.PERIOD, slots.SITE
            )
        turn.say(
            "utter_exam_booked",
            booking_code=booking.booking_code,
            subject=booking.subject,
            license_class=booking.license_class,
            date_text=day(booking.date),
            period_text=period(str(booking.period.value)),
            start=clock(booking.start_time),
            end=clock(booking.end_time),
            site=booking.site,
            site_district=booking.site_district,
        )
        return [
            *finish_task(turn, "exam_booking", booking.booking_code),
            SlotSet(slots.BOOKING_CODE, booking.booking_code),
        ]

    async def _duplicate(self, turn: Turn, subject: str) -> list[EventType]:
        held = await self.backend.traffic.list_exam_bookings(turn.slot(slots.ID_NUMBER))
        live = [
            b for b in held if b.subject == subject and str(b.status.value) == "booked"
        ]
        if live:
            turn.say(
                "utter_duplicate_subject",
                subject=subject,
                booking_code=live[0].booking_code,
                date_text=day(live[0].date),
                period_text=period(str(live[0].period.value)),
            )
        return clear_task_slots()

    async def _full(self, turn: Turn, subject: str) -> list[EventType]:
        wanted = date.fromisoformat(turn.slot(slots.DATE))
        offers = await alternatives(
            self.backend,
            subject,
            wanted,
            turn.slot(slots.PERIOD),
            turn.slot(slots.SITE),
        )
        turn.say(
            "utter_session_full",
            site=turn.slot(slots.SITE),
            date=day(wanted),
            period=period(turn.slot(slots.PERIOD)),
            subject=subject,
            buttons=buttons_payload(offers),
        )
        return reopen_form("exam_booking_form", slots.SITE)


def confirmation_values(tracker: Tracker) -> dict[str, str]:
    """Placeholders of ``utter_ask_exam_booking_form_confirmed``."""
    return {
        "exam_subject": tracker.get_slot(slots.SUBJECT) or "",
        "license_class": tracker.get_slot(slots.LICENSE_CLASS) or "",
        "date_text": iso_day(tracker.get_slot(slots.DATE)),
        "period_text": period(tracker.get_slot(slots.PERIOD)),
        "exam_site": tracker.get_slot(slots.SITE) or "",
        "masked_id": masked_id(tracker.get_slot(slots.ID_NUMBER)),
    }
