"""Existing driving-test bookings: look up, cancel and reschedule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend.errors import (
    BackendUnavailable,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
)
from actions.backend.payloads import ExamBooking
from actions.base import ServiceAction, Turn, clear_task_slots, finish_task, reopen_form
from actions.exam_sessions import alternatives, buttons_payload
from actions.render import BOOKING_STATUSES, clock, day, iso_day, masked_id, period
from actions.validation import SHANGHAI, SlotValidator


def booking_summary(booking: ExamBooking) -> str:
    """``科目一（C1），12月2日（周三）上午 9:00，第一考场``."""
    return (
        f"{booking.subject}（{booking.license_class}），{day(booking.date)}"
        f"{period(str(booking.period.value))} {clock(booking.start_time)}，{booking.site}"
    )


class ValidateExamQueryForm(SlotValidator):
    """Only the ID number is needed."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_exam_query_form"


class ActionQueryExamBooking(ServiceAction):
    """Lists the bookings held under an ID number (a given code first)."""

    service_label = "考试预约"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_query_exam_booking"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Newest first, both booked and cancelled."""
        id_number = turn.slot(slots.ID_NUMBER)
        bookings = await self.backend.traffic.list_exam_bookings(id_number)
        if not bookings:
            turn.say("utter_no_exam_bookings", masked_id=masked_id(id_number))
            return clear_task_slots()
        code = turn.slot(slots.BOOKING_CODE)
        bookings.sort(key=lambda b: b.booking_code != code)
        items = "\n".join(
            f"{b.booking_code}：{booking_summary(b)}【{BOOKING_STATUSES.get(str(b.status.value), b.status.value)}】"
            for b in bookings[:10]
        )
        turn.say("utter_exam_bookings", masked_id=masked_id(id_number), items=items)
        return finish_task(turn, "exam_booking", id_number and masked_id(id_number))


class _OwnedBookingForm(SlotValidator):
    """A form about one booking of the citizen's: checks it exists and is theirs."""

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Once code and ID are both known, fetch the booking and check it."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        touched = {e["name"] for e in events} & {slots.BOOKING_CODE, slots.ID_NUMBER}
        code, id_number = (
            tracker.slots.get(slots.BOOKING_CODE),
            tracker.slots.get(slots.ID_NUMBER),
        )
        if not touched or not code or not id_number:
            return events
        try:
            booking = await self.backend.traffic.get_exam_booking(
                code, id_number=id_number
            )
        except BackendUnavailable:
            return events
        except NotFound:
            dispatcher.utter_message(
                response="utter_unknown_booking", booking_code=code
            )
            return [*events, *self._forget(tracker, slots.BOOKING_CODE)]
        except Forbidden:
            dispatcher.utter_message(
                response="utter_booking_not_owner",
                booking_code=code,
                masked_id=masked_id(id_number),
            )
            return [*events, *self._forget(tracker, slots.BOOKING_CODE)]
        if str(booking.status.value) == "cancelled":
            dispatcher.utter_message(
                response="utter_booking_already_cancelled", booking_code=code
            )
            return [*events, *self._end(tracker)]
        if booking.start_time <= datetime.now(SHANGHAI):
            dispatcher.utter_message(response="utter_session_passed", booking_code=code)
            return [*events, *self._end(tracker)]
        return events

    @staticmethod
    def _forget(tracker: Tracker, name: str) -> list[EventType]:
        tracker.slots[name] = None
        return [SlotSet(name, None)]

    @staticmethod
    def _end(tracker: Tracker) -> list[EventType]:
        """Close the form without a confirmation: nothing is left to do."""
        tracker.slots[slots.CONFIRMED] = None
        return [SlotSet(slots.CONFIRMED, None), SlotSet(slots.REQUESTED_SLOT, None)]


class ValidateExamCancelForm(_OwnedBookingForm):
    """ID number, booking code, confirmation."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_exam_cancel_form"


class ValidateExamRescheduleForm(_OwnedBookingForm):
    """ID number, booking code, the new day and period, confirmation."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_exam_reschedule_form"


class ActionCancelExamBooking(ServiceAction):
    """Cancels a confirmed booking; the seat goes back."""

    service_label = "考试预约"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_cancel_exam_booking"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Cancel, or explain why it cannot be cancelled."""
        if turn.slot(slots.CONFIRMED) is not True:
            return clear_task_slots()
        code = turn.slot(slots.BOOKING_CODE)
        try:
            booking = await self.backend.traffic.cancel_exam_booking(
                code,
                id_number=turn.slot(slots.ID_NUMBER),
                idempotency_key=turn.write_key,
            )
        except Conflict as exc:
            response = (
                "utter_booking_already_cancelled"
                if exc.code == "already_cancelled"
                else "utter_session_passed"
            )
            turn.say(response, booking_code=code)
            return clear_task_slots()
        except NotFound:
            turn.say("utter_unknown_booking", booking_code=code)
            return clear_task_slots()
        turn.say(
            "utter_exam_cancelled", booking_code=code, summary=booking_summary(booking)
        )
        return finish_task(turn, "exam_booking", code)


class ActionRescheduleExamBooking(ServiceAction):
    """Moves a booking to another session in one step (seat for seat)."""

    service_label = "考试预约"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_reschedule_exam_booking"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Reschedule; a full or missing session reopens the form with offers."""
        if turn.slot(slots.CONFIRMED) is not True:
            return clear_task_slots()
        code, id_number = turn.slot(slots.BOOKING_CODE), turn.slot(slots.ID_NUMBER)
        new_site = turn.slot(slots.SITE)
        try:
            booking = await self.backend.traffic.reschedule_exam_booking(
                code,
                id_number=id_number,
                date=turn.slot(slots.DATE),
                period=turn.slot(slots.PERIOD),
                site=new_site,
                idempotency_key=turn.write_key,
            )
        except Conflict as exc:
            if exc.code == "session_full":
                return await self._offer(turn, code, id_number)
            response = (
                "utter_booking_already_cancelled"
                if exc.code == "already_cancelled"
                else "utter_session_passed"
            )
            turn.say(response, booking_code=code)
            return clear_task_slots()
        except (NotFound, InvalidInput) as exc:
            if exc.code == "same_session":
                turn.say("utter_same_session")
            else:
                turn.say(
                    "utter_no_such_session",
                    date_text=iso_day(turn.slot(slots.DATE)),
                    period_text=period(turn.slot(slots.PERIOD)),
                )
            return reopen_form("exam_reschedule_form", slots.DATE, slots.PERIOD)
        turn.say(
            "utter_exam_rescheduled",
            booking_code=booking.booking_code,
            subject=booking.subject,
            date_text=day(booking.date),
            period_text=period(str(booking.period.value)),
            start=clock(booking.start_time),
            end=clock(booking.end_time),
            site=booking.site,
        )
        return finish_task(turn, "exam_booking", code)

    async def _offer(self, turn: Turn, code: str, id_number: str) -> list[EventType]:
        booking = await self.backend.traffic.get_exam_booking(code, id_number=id_number)
        wanted = date.fromisoformat(turn.slot(slots.DATE))
        offers = await alternatives(
            self.backend, booking.subject, wanted, turn.slot(slots.PERIOD), booking.site
        )
        turn.say(
            "utter_session_full",
            site=booking.site,
            date=day(wanted),
            period=period(turn.slot(slots.PERIOD)),
            subject=booking.subject,
            buttons=buttons_payload(offers),
        )
        return reopen_form("exam_reschedule_form", slots.DATE, slots.PERIOD)


async def cancel_confirmation(backend: Any, tracker: Tracker) -> dict[str, str]:
    """Placeholders of ``utter_ask_exam_cancel_form_confirmed``."""
    booking = await backend.traffic.get_exam_booking(
        tracker.get_slot(slots.BOOKING_CODE),
        id_number=tracker.get_slot(slots.ID_NUMBER),
    )
    return {"summary": f"{booking.booking_code}：{booking_summary(booking)}"}


async def reschedule_confirmation(backend: Any, tracker: Tracker) -> dict[str, str]:
    """Placeholders of ``utter_ask_exam_reschedule_form_confirmed``."""
    booking = await backend.traffic.get_exam_booking(
        tracker.get_slot(slots.BOOKING_CODE),
        id_number=tracker.get_slot(slots.ID_NUMBER),
    )
    return {
        "booking_code": booking.booking_code,
        "summary": booking_summary(booking),
        "date_text": iso_day(tracker.get_slot(slots.DATE)),
        "period_text": period(tracker.get_slot(slots.PERIOD)),
        "site": tracker.get_slot(slots.SITE) or booking.site,
    }
