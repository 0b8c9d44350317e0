"""Vehicle inspection (年检): status and due date, and booking a station slot."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend import Backend
from actions.backend.errors import BackendUnavailable, Conflict, InvalidInput, NotFound
from actions.backend.payloads import InspectionSlot, InspectionStation
from actions.base import ServiceAction, Turn, clear_task_slots, finish_task, reopen_form
from actions.exam_sessions import MAX_CHOICES, choice
from actions.render import INSPECTION_STATUSES, clock, day, iso_day, period
from actions.validation import SlotValidator

ACTIVE = ("due_soon", "overdue")


async def station_for(backend: Backend, district: str) -> InspectionStation | None:
    """The inspection station serving a district (or street), if any."""
    try:
        stations = await backend.traffic.inspection_stations(district=district)
    except InvalidInput:
        return None
    return stations[0] if stations else None


def _slot_choice(slot: InspectionSlot) -> dict[str, str]:
    return choice(
        f"{day(slot.date)}{period(str(slot.period.value))}（余{slot.remaining}）",
        date=slot.date.isoformat(),
        time_period=str(slot.period.value),
    )


def _nearest(
    found: list[InspectionSlot], wanted: date, wanted_period: str
) -> list[InspectionSlot]:
    free = [s for s in found if s.remaining > 0]
    free.sort(
        key=lambda s: (
            abs((s.date - wanted).days),
            str(s.period.value) != wanted_period,
        )
    )
    return free[:MAX_CHOICES]


class ValidateInspectionQueryForm(SlotValidator):
    """Only the plate is needed."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_inspection_query_form"


class ActionQueryInspection(ServiceAction):
    """Tells the due date and status, and offers a booking when it is time."""

    service_label = "机动车检验"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_query_inspection"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Status, live booking if any; unknown vehicles are said plainly."""
        plate = turn.slot(slots.PLATE)
        try:
            info = await self.backend.traffic.inspection(plate)
        except NotFound:
            turn.say("utter_unknown_vehicle", plate=plate)
            return clear_task_slots()
        status = str(info.status.value)
        booking_text = ""
        if info.booking is not None:
            booking_text = (
                f"\n已有检验预约：{info.booking.booking_code}，{day(info.booking.date)}"
                f"{period(str(info.booking.period.value))}，{info.booking.station}。"
            )
        buttons = []
        if status in ACTIVE and info.booking is None:
            buttons = [choice("预约检验", intent="book_inspection")]
        turn.say(
            "utter_inspection_status",
            plate=info.plate,
            brand=info.brand,
            due=day(info.inspection_due),
            status_text=INSPECTION_STATUSES.get(status, status),
            booking_text=booking_text,
            buttons=buttons,
        )
        return finish_task(turn, "inspection", info.plate)


class ValidateInspectionBookingForm(SlotValidator):
    """Plate, a district with a station, an open half-day with places."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_inspection_booking_form"

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """District → station; then the half-day must have places left."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        touched = {e["name"] for e in events}
        district = tracker.slots.get(slots.DISTRICT)
        try:
            if (
                slots.DISTRICT in touched
                and district
                and await station_for(self.backend, district) is None
            ):
                dispatcher.utter_message(
                    response="utter_no_station_in_district", district=district
                )
                return self._clear(tracker, events, slots.DISTRICT)
            wanted = {
                n: tracker.slots.get(n)
                for n in (slots.DISTRICT, slots.DATE, slots.PERIOD)
            }
            if not touched & set(wanted) or any(v is None for v in wanted.values()):
                return events
            return await self._check_slot(dispatcher, tracker, events, wanted)
        except BackendUnavailable:
            return events

    async def _check_slot(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        events: list[EventType],
        wanted: dict[str, Any],
    ) -> list[EventType]:
        station = await station_for(self.backend, wanted[slots.DISTRICT])
        if station is None:
            return events
        day_iso, period_value = wanted[slots.DATE], wanted[slots.PERIOD]
        found = await self.backend.traffic.inspection_slots(
            station=station.id, date=day_iso, period=period_value
        )
        if any(s.remaining > 0 for s in found):
            return events
        offers = _nearest(
            await self.backend.traffic.inspection_slots(station=station.id),
            date.fromisoformat(day_iso),
            period_value,
        )
        dispatcher.utter_message(
            response="utter_inspection_slots_alternatives",
            station=station.name,
            date_text=iso_day(day_iso),
            period_text=period(period_value),
            buttons=[_slot_choice(s) for s in offers],
        )
        return self._clear(tracker, events, slots.DATE, slots.PERIOD)

    @staticmethod
    def _clear(
        tracker: Tracker, events: list[EventType], *names: str
    ) -> list[EventType]:
        for name in names:
            tracker.slots[name] = None
        return [*events, *(SlotSet(name, None) for name in names)]


class ActionBookInspection(ServiceAction):
    """Books the confirmed half-day at the district's station."""

    service_label = "机动车检验预约"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_book_inspection"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Book; full or closed reopens the form, a second booking is refused."""
        if turn.slot(slots.CONFIRMED) is not True:
            return clear_task_slots()
        plate = turn.slot(slots.PLATE)
        station = await station_for(self.backend, turn.slot(slots.DISTRICT))
        if station is None:
            turn.say("utter_no_station_in_district", district=turn.slot(slots.DISTRICT))
            return reopen_form("inspection_booking_form", slots.DISTRICT)
        try:
            booking = await self.backend.traffic.book_inspection(
                plate=plate,
                station=station.id,
                date=turn.slot(slots.DATE),
                period=turn.slot(slots.PERIOD),
                phone=turn.slot(slots.PHONE),
                idempotency_key=turn.write_key,
            )
        except Conflict as exc:
            if exc.code == "duplicate_booking":
                turn.say("utter_inspection_duplicate", plate=plate)
                return clear_task_slots()
            turn.say(
                "utter_inspection_slots_alternatives",
                station=station.name,
                date_text=iso_day(turn.slot(slots.DATE)),
                period_text=period(turn.slot(slots.PERIOD)),
            )
            return reopen_form("inspection_booking_form", slots.DATE, slots.PERIOD)
        except NotFound as exc:
            if exc.code == "unknown_vehicle":
                turn.say("utter_unknown_vehicle", plate=plate)
                return clear_task_slots()
            turn.say(
                "utter_inspection_no_session",
                date_text=iso_day(turn.slot(slots.DATE)),
                period_text=period(turn.slot(slots.PERIOD)),
            )
            return reopen_form("inspection_booking_form", slots.DATE, slots.PERIOD)
        turn.say(
            "utter_inspection_booked",
            booking_code=booking.booking_code,
            plate=booking.plate,
            date_text=day(booking.date),
            period_text=period(str(booking.period.value)),
            start=clock(booking.start_time),
            end=clock(booking.end_time),
            station=booking.station,
            address=booking.station_address,
        )
        return finish_task(turn, "inspection", booking.booking_code)


async def inspection_confirmation(backend: Backend, tracker: Tracker) -> dict[str, str]:
    """Placeholders of ``utter_ask_inspection_booking_form_confirmed``."""
    station = await station_for(backend, tracker.get_slot(slots.DISTRICT) or "")
    return {
        "plate": tracker.get_slot(slots.PLATE) or "",
        "station": station.name if station else "",
        "address": station.address if station else "",
        "date_text": iso_day(tracker.get_slot(slots.DATE)),
        "period_text": period(tracker.get_slot(slots.PERIOD)),
    }
