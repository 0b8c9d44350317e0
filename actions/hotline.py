"""12345 hotline: file a complaint or suggestion, and follow a ticket."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend import Backend
from actions.backend.errors import Forbidden, InvalidInput, NotFound
from actions.base import ServiceAction, Turn, clear_task_slots, finish_task, reopen_form
from actions.render import TICKET_KINDS, TICKET_STATUSES, masked_phone, moment
from actions.validation import Slots, SlotValidator

MIN_CONTENT = 5
MAX_CONTENT = 2000
# A first message longer than this already tells what happened ("我要投诉" does not).
SELF_CONTAINED = 12
REQUEST_INTENTS = ("file_complaint", "give_suggestion")


def _text(tracker: Tracker) -> str:
    text = str((tracker.latest_message or {}).get("text") or "").strip()
    return "" if text.startswith("/") else text  # a button payload is no description


class ValidateTicketForm(SlotValidator):
    """What happened (in the citizen's words), where, a phone, confirmation."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_ticket_form"

    async def extract_ticket_content(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """The answer to the question, or a first message that already says it."""
        text = _text(tracker)
        if tracker.get_slot(slots.REQUESTED_SLOT) == slots.TICKET_CONTENT:
            return {slots.TICKET_CONTENT: text} if text else {}
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if (
            tracker.get_slot(slots.TICKET_CONTENT) is None
            and intent in REQUEST_INTENTS
            and len(text) >= SELF_CONTAINED
        ):
            return {slots.TICKET_CONTENT: text}
        return {}

    def validate_ticket_content(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """At least a few words; very long text is cut to what the hotline takes."""
        text = str(value or "").strip()
        if len(text) < MIN_CONTENT:
            dispatcher.utter_message(response="utter_ticket_content_too_short")
            return {slots.TICKET_CONTENT: None}
        return {slots.TICKET_CONTENT: text[:MAX_CONTENT]}


class ActionFileTicket(ServiceAction):
    """Files the confirmed complaint or suggestion with the 12345 hotline."""

    service_label = "12345热线"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_file_ticket"

    async def handle(self, turn: Turn) -> list[EventType]:
        """File once (Idempotency-Key); an unknown district is asked again."""
        if turn.slot(slots.CONFIRMED) is not True:
            return clear_task_slots()
        try:
            ticket = await self.backend.hotline.create_ticket(
                type=turn.slot(slots.TICKET_TYPE) or "complaint",
                content=turn.slot(slots.TICKET_CONTENT),
                district=turn.slot(slots.DISTRICT),
                phone=turn.slot(slots.PHONE),
                idempotency_key=turn.write_key,
            )
        except InvalidInput as exc:
            if exc.code != "invalid_district":
                raise
            turn.say("utter_invalid_district", value=turn.slot(slots.DISTRICT))
            return reopen_form("ticket_form", slots.DISTRICT)
        turn.say(
            "utter_ticket_filed",
            ticket_id=ticket.ticket_id,
            department=ticket.department,
        )
        return [
            *finish_task(turn, "hotline", ticket.ticket_id),
            SlotSet(slots.TICKET_ID, ticket.ticket_id),
        ]


class ValidateTicketQueryForm(SlotValidator):
    """Ticket id and the phone it was filed from (the owner check)."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_ticket_query_form"


class ActionQueryTicket(ServiceAction):
    """Tells a ticket's status, history and the department's reply."""

    service_label = "12345热线"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_query_ticket"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Only to the phone that filed it."""
        ticket_id = turn.slot(slots.TICKET_ID)
        try:
            ticket = await self.backend.hotline.get_ticket(
                ticket_id, phone=turn.slot(slots.PHONE)
            )
        except NotFound:
            turn.say("utter_unknown_ticket", ticket_id=ticket_id)
            return clear_task_slots()
        except Forbidden:
            turn.say("utter_ticket_not_owner", ticket_id=ticket_id)
            return [*clear_task_slots(), SlotSet(slots.PHONE, None)]
        history = "\n".join(
            f"· {moment(step.time)} {TICKET_STATUSES.get(str(step.status.value), step.status.value)}：{step.note}"
            for step in ticket.history
        )
        reply = f"\n办理结果：{ticket.reply}" if ticket.reply else ""
        turn.say(
            "utter_ticket_status",
            ticket_id=ticket.ticket_id,
            kind=TICKET_KINDS.get(str(ticket.type.value), str(ticket.type.value)),
            department=ticket.department,
            status=TICKET_STATUSES.get(
                str(ticket.status.value), str(ticket.status.value)
            ),
            history=history,
            reply=reply,
        )
        return finish_task(turn, "hotline", ticket.ticket_id)


async def ticket_confirmation(backend: Backend, tracker: Tracker) -> dict[str, str]:
    """Placeholders of ``utter_ask_ticket_form_confirmed``."""
    content = str(tracker.get_slot(slots.TICKET_CONTENT) or "")
    return {
        "kind": TICKET_KINDS.get(
            tracker.get_slot(slots.TICKET_TYPE) or "complaint", "投诉"
        ),
        "content": content if len(content) <= 120 else content[:120] + "…",
        "district": tracker.get_slot(slots.DISTRICT) or "",
        "masked_phone": masked_phone(tracker.get_slot(slots.PHONE)),
    }
