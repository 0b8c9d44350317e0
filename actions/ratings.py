"""政务服务“好差评”: the 1-5 rating, and a follow-up ticket for a bad one."""

from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend.errors import InvalidInput
from actions.base import ServiceAction, Turn, clear_task_slots
from actions.validation import Slots, SlotValidator

LOW = 2
SERVICES = {
    "exam_booking": "驾驶人考试预约",
    "violations": "交通违法查询与缴款",
    "license": "驾驶证查询",
    "inspection": "机动车检验",
    "hotline": "12345热线诉求",
}
# The follow-up ticket needs a district; without one it goes to the city-level
# desk, which is what 福田区 (seat of the city government) stands for here.
DEFAULT_DISTRICT = "福田区"


def rating_key(sender: str, target: str) -> str:
    """One key per rated thing and citizen: a second click replays the first."""
    digest = hashlib.sha256(f"{sender}\n{target}".encode()).hexdigest()
    return f"rating-{digest[:40]}"


def score_of(value: Any) -> int | None:
    """``"4"`` → 4; anything outside 1-5 → ``None``."""
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None


class ActionRateService(ServiceAction):
    """Stores the rating; 1-2 starts the follow-up (差评整改)."""

    service_label = "服务评价"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_rate_service"

    def failure_events(self) -> list[EventType]:
        """The rating rules branch on ``low_rating``: always set it."""
        return [SlotSet(slots.LOW_RATING, False)]

    async def handle(self, turn: Turn) -> list[EventType]:
        """One rating per rated thing: a double click replays, never duplicates."""
        score = score_of(turn.slot(slots.RATING))
        if score is None:
            turn.say("utter_ask_rating_value")
            return [SlotSet(slots.LOW_RATING, False)]
        sender = turn.tracker.sender_id
        target = turn.slot(slots.RATING_TARGET)
        service = turn.slot(slots.RATING_SERVICE)
        kind, target_id = ("service", target) if target else ("conversation", sender)
        try:
            await self.backend.hotline.rate(
                target_type=kind,
                target_id=str(target_id)[:128],
                score=score,
                service=SERVICES.get(service or ""),
                idempotency_key=rating_key(sender, str(target_id)),
            )
        except InvalidInput as exc:
            if exc.code != "idempotency_key_reused":
                raise
            # Rated already (another score on the same thing): keep the first.
        if score <= LOW:
            turn.say("utter_rate_sorry", score=score)
            return [SlotSet(slots.LOW_RATING, True), SlotSet(slots.RATING, str(score))]
        turn.say("utter_rate_thanks", score=score)
        # The target stays: a second click on the same rating replays the first.
        return [SlotSet(slots.LOW_RATING, False), SlotSet(slots.RATING, None)]


class ValidateFeedbackForm(SlotValidator):
    """What went wrong, and a phone for the call back."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_feedback_form"

    def validate_feedback_text(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Any real sentence (a button payload is not one)."""
        text = str(value or "").strip()
        if len(text) < 2 or text.startswith("/"):
            return {slots.FEEDBACK_TEXT: None}
        return {slots.FEEDBACK_TEXT: text[:1500]}


class ActionSubmitFeedback(ServiceAction):
    """Opens the follow-up hotline ticket of a bad rating."""

    service_label = "12345热线"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_submit_feedback"

    async def handle(self, turn: Turn) -> list[EventType]:
        """File the complaint with what was rated and what the citizen said."""
        service = SERVICES.get(turn.slot(slots.RATING_SERVICE) or "", "智能客服咨询")
        target = turn.slot(slots.RATING_TARGET) or "本次对话"
        content = (
            f"【好差评整改】服务事项：{service}（{target}），评价{turn.slot(slots.RATING) or ''}分。"
            f"群众反映：{turn.slot(slots.FEEDBACK_TEXT)}"
        )
        ticket = await self.backend.hotline.create_ticket(
            type="complaint",
            content=content,
            district=turn.slot(slots.DISTRICT) or DEFAULT_DISTRICT,
            phone=turn.slot(slots.PHONE),
            idempotency_key=turn.write_key,
        )
        turn.say(
            "utter_feedback_filed",
            ticket_id=ticket.ticket_id,
            department=ticket.department,
        )
        return [
            *clear_task_slots(),
            SlotSet(slots.LOW_RATING, False),
            SlotSet(slots.RATING_TARGET, None),
            SlotSet(slots.RATING_SERVICE, None),
        ]
