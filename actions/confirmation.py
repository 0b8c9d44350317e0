"""The question before anything irreversible: a summary of what will be done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import Backend
from actions.backend.errors import BackendError
from actions.exam_booking import confirmation_values as booking_values
from actions.exam_manage import cancel_confirmation, reschedule_confirmation
from actions.hotline import ticket_confirmation
from actions.inspection import inspection_confirmation
from actions.violations import pay_fine_confirmation

log = structlog.get_logger(__name__)

Summary = Callable[[Backend, Tracker], Awaitable[dict[str, str]]]


async def _booking(backend: Backend, tracker: Tracker) -> dict[str, str]:
    return booking_values(tracker)


# Form → (its confirmation response, the function filling it). The responses
# must not be named utter_ask_<form>_confirmed: Rasa would utter those itself,
# before this action, with the placeholders unfilled.
SUMMARIES: dict[str, tuple[str, Summary]] = {
    "exam_booking_form": ("utter_confirm_exam_booking_form", _booking),
    "exam_cancel_form": ("utter_confirm_exam_cancel_form", cancel_confirmation),
    "exam_reschedule_form": (
        "utter_confirm_exam_reschedule_form",
        reschedule_confirmation,
    ),
    "inspection_booking_form": (
        "utter_confirm_inspection_booking_form",
        inspection_confirmation,
    ),
    "ticket_form": ("utter_confirm_ticket_form", ticket_confirmation),
    "pay_fine_form": ("utter_confirm_pay_fine_form", pay_fine_confirmation),
}


class ActionAskConfirmed(Action):
    """Asks "确认…吗？" with the form's own summary, or for the correction after "不对"."""

    def __init__(self, backend: Backend) -> None:
        """Keeps the back-end client (some summaries look the booking up)."""
        self.backend = backend

    def name(self) -> str:
        """Action name in the domain."""
        return "action_ask_confirmed"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Render ``utter_ask_<form>_confirmed`` with the values it names."""
        latest = tracker.latest_message or {}
        said_no = (latest.get("intent") or {}).get("name") == "deny"
        if said_no and not latest.get("entities"):
            dispatcher.utter_message(response="utter_correction_prompt")
            return []
        form = tracker.active_loop_name or ""
        response, summary = SUMMARIES.get(form, ("utter_ask_confirmed", None))
        try:
            values = await summary(self.backend, tracker) if summary else None
        except BackendError as exc:
            # The summary is a courtesy; the write itself reports real failures.
            log.warning(
                "actions.confirmation.summary_failed", form=form, error=repr(exc)
            )
            values = None
        if values is None:
            dispatcher.utter_message(response="utter_ask_confirmed")
        else:
            dispatcher.utter_message(response=response, **values)
        return []
