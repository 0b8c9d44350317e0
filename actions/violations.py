"""Traffic violations: look them up (plate + engine suffix) and pay a fine."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend import Backend
from actions.backend.errors import BackendUnavailable, Conflict, Forbidden, NotFound
from actions.backend.payloads import Violation
from actions.base import ServiceAction, Turn, clear_task_slots, finish_task
from actions.exam_sessions import choice
from actions.render import moment, money
from actions.validation import SlotValidator

MAX_LISTED = 10
MAX_PAY_BUTTONS = 5


def violation_line(index: int, item: Violation) -> str:
    """One numbered line of the violation list."""
    return (
        f"{index}. {moment(item.time)} {item.location}，{item.description}，"
        f"罚款{money(item.fine)}元、记{item.points}分（决定书{item.decision_number}）"
    )


class ValidateViolationForm(SlotValidator):
    """Plate and engine suffix; both are checked against the vehicle register."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_violation_form"

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Once both are known, make sure they belong together."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        plate, suffix = (
            tracker.slots.get(slots.PLATE),
            tracker.slots.get(slots.ENGINE_SUFFIX),
        )
        touched = {e["name"] for e in events} & {slots.PLATE, slots.ENGINE_SUFFIX}
        if not touched or not plate or not suffix:
            return events
        try:
            await self.backend.traffic.violations(plate, engine_suffix=suffix)
        except BackendUnavailable:
            return events
        except NotFound:
            dispatcher.utter_message(response="utter_unknown_vehicle", plate=plate)
            tracker.slots[slots.PLATE] = None
            return [*events, {"event": "slot", "name": slots.PLATE, "value": None}]
        except Forbidden:
            dispatcher.utter_message(
                response="utter_engine_suffix_mismatch", plate=plate
            )
            tracker.slots[slots.ENGINE_SUFFIX] = None
            return [
                *events,
                {"event": "slot", "name": slots.ENGINE_SUFFIX, "value": None},
            ]
        return events


class ActionQueryViolations(ServiceAction):
    """Lists unpaid violations and offers to pay each one."""

    service_label = "交通违法查询"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_query_violations"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Unpaid first; a clean record ends the task with a rating."""
        plate = turn.slot(slots.PLATE)
        report = await self.backend.traffic.violations(
            plate, engine_suffix=turn.slot(slots.ENGINE_SUFFIX)
        )
        unpaid = [v for v in report.violations if str(v.status.value) == "unpaid"]
        if not unpaid:
            turn.say("utter_no_violations", plate=report.plate, brand=report.brand)
            return finish_task(turn, "violations", report.plate)
        turn.say(
            "utter_violations_found",
            plate=report.plate,
            brand=report.brand,
            unpaid_count=report.summary.unpaid_count,
            unpaid_fine=money(report.summary.unpaid_fine),
            unpaid_points=report.summary.unpaid_points,
            items="\n".join(
                violation_line(i, v) for i, v in enumerate(unpaid[:MAX_LISTED], 1)
            ),
        )
        turn.say(
            "utter_offer_pay_fine",
            buttons=[
                choice(
                    f"缴纳{money(v.fine)}元（{v.description[:10]}）",
                    intent="pay_fine",
                    decision_number=v.decision_number,
                )
                for v in unpaid[:MAX_PAY_BUTTONS]
            ],
        )
        return clear_task_slots()


class ValidatePayFineForm(SlotValidator):
    """Decision number, then the confirmation."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_pay_fine_form"


class ActionPayFine(ServiceAction):
    """Creates a payment order and hands the citizen the payment link."""

    service_label = "罚款缴纳"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_pay_fine"

    async def handle(self, turn: Turn) -> list[EventType]:
        """One order per confirmation; already paid or unknown is said plainly."""
        if turn.slot(slots.CONFIRMED) is not True:
            return clear_task_slots()
        decision = turn.slot(slots.DECISION)
        try:
            order = await self.backend.traffic.create_payment(
                decision, idempotency_key=turn.write_key
            )
        except NotFound:
            turn.say("utter_unknown_decision", decision_number=decision)
            return clear_task_slots()
        except Conflict:
            turn.say("utter_fine_already_paid", decision_number=decision)
            return clear_task_slots()
        except Forbidden:
            turn.say(
                "utter_fine_plate_mismatch",
                decision_number=decision,
                plate=turn.slot(slots.PLATE) or "",
            )
            return clear_task_slots()
        turn.say(
            "utter_payment_created",
            order_id=order.order_id,
            amount=money(order.amount),
            expires=moment(order.expires_at),
        )
        turn.dispatcher.utter_message(
            json_message={"links": [{"title": "去支付", "url": order.pay_url}]}
        )
        return finish_task(turn, "violations", order.order_id)


async def pay_fine_confirmation(backend: Backend, tracker: Tracker) -> dict[str, str]:
    """Placeholders of ``utter_ask_pay_fine_form_confirmed`` (amount when known)."""
    decision = tracker.get_slot(slots.DECISION) or ""
    note = ""
    plate, suffix = tracker.get_slot(slots.PLATE), tracker.get_slot(slots.ENGINE_SUFFIX)
    if plate and suffix:
        try:
            report = await backend.traffic.violations(plate, engine_suffix=suffix)
        except (NotFound, Forbidden):
            report = None
        for item in report.violations if report else []:
            if item.decision_number == decision:
                note = f"（{item.description}，罚款{money(item.fine)}元）"
    return {"decision_number": decision, "amount_note": note}
