"""Conversation control: stop, switch task, retry, fallback and human handoff."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActiveLoop,
    ConversationPaused,
    EventType,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.base import clear_task_slots
from actions.labels import FAQ_QUESTIONS, INTENT_LABELS

log = structlog.get_logger(__name__)

MAX_GUESSES = 3
# A guess below this is noise; offering it only confuses (e.g. "婚姻登记" for "额额额").
MIN_GUESS = 0.15
# Sent with the pausing turn so channels act on the handoff at once (the voice
# relay transfers the call); read by channels/rasa_client.py (HANDOFF_MARKER).
HANDOFF_SIGNAL = {"handoff": True}
# Never guessed: a rating needs its score, and handoff is always offered anyway.
NOT_GUESSED = frozenset({"rate_service", "human_handoff", "nlu_fallback"})
TWO_STAGE = "action_two_stage_fallback"
Lookup = Callable[[str], Action | None]


def _latest(tracker: Tracker) -> dict[str, Any]:
    return tracker.latest_message or {}


def _end_loop(tracker: Tracker) -> list[EventType]:
    # Always emitted: the rules expect `active_loop: null` after these actions,
    # whether or not a form was running.
    return [ActiveLoop(None), SlotSet(slots.REQUESTED_SLOT, None)]


class ActionStopTask(Action):
    """ "算了": drop the task in progress (and a pending retry); nothing is sent."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_stop_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say what was dropped, or that there was nothing to drop."""
        busy = bool(tracker.active_loop_name) or bool(
            tracker.get_slot(slots.AWAITING_RETRY)
        )
        dispatcher.utter_message(
            response="utter_stop" if busy else "utter_nothing_to_stop"
        )
        return [
            *_end_loop(tracker),
            *clear_task_slots(),
            SlotSet(slots.AWAITING_RETRY, False),
            SlotSet(slots.RETRY_ACTION, None),
        ]


class ActionSwitchTask(Action):
    """A new request in the middle of a form: close it, keep what was just said."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_switch_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The new task's values came with this message; the old task's go."""
        said_now = {e.get("entity") for e in _latest(tracker).get("entities") or []}
        keep = frozenset(n for n in slots.TASK_SLOTS if n in said_now) | {
            slots.TICKET_TYPE
        }
        return [
            *_end_loop(tracker),
            *clear_task_slots(keep),
            SlotSet(slots.AWAITING_RETRY, False),
        ]


class ActionRetry(Action):
    """ "重试" after a back-end failure: run the failed action again, same key."""

    def __init__(self, lookup: Lookup) -> None:
        """``lookup`` finds a registered action by name."""
        self.lookup = lookup

    def name(self) -> str:
        """Action name in the domain."""
        return "action_retry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Re-run with the slots and Idempotency-Key the first attempt left."""
        target = self.lookup(str(tracker.get_slot(slots.RETRY_ACTION) or ""))
        if target is None:
            dispatcher.utter_message(response="utter_nothing_to_retry")
            return [SlotSet(slots.AWAITING_RETRY, False)]
        events: list[EventType] = await target.run(dispatcher, tracker, domain)
        return events


class ActionHumanHandoff(Action):
    """Hands the conversation to staff: the bot pauses until it is released."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Tell the citizen, keep the slots (staff see them), pause the bot."""
        log.info("actions.handoff", reason="requested")
        dispatcher.utter_message(response="utter_human_handoff")
        dispatcher.utter_message(json_message=HANDOFF_SIGNAL)
        return [*_end_loop(tracker), ConversationPaused()]


class ActionDefaultFallback(Action):
    """Two clarifications failed → a human; any other dead end → "没有理解"."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Hand off after the two-stage fallback gave up, else apologise."""
        if tracker.active_loop_name == TWO_STAGE:
            log.info("actions.handoff", reason="repeated_misunderstanding")
            dispatcher.utter_message(response="utter_handoff_after_failures")
            dispatcher.utter_message(json_message=HANDOFF_SIGNAL)
            return [ConversationPaused()]
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


def guess_buttons(parse: dict[str, Any]) -> list[dict[str, str]]:
    """Up to three likely meanings of an unclear message, as buttons."""
    entities = {
        e["entity"]: str(e["value"])
        for e in parse.get("entities") or []
        if e.get("entity") and e.get("value") is not None
    }
    buttons: list[dict[str, str]] = []
    for item in parse.get("intent_ranking") or []:
        name = item.get("name")
        if float(item.get("confidence") or 0) < MIN_GUESS or name in NOT_GUESSED:
            continue
        if name == "faq":
            key = (
                (parse.get("response_selector") or {})
                .get("faq", {})
                .get("response", {})
                .get("intent_response_key", "")
            )
            topic = FAQ_QUESTIONS.get(str(key).split("/", 1)[-1])
            if topic:
                buttons.append({"title": topic[0], "payload": topic[1]})
        elif name in INTENT_LABELS:
            payload = f"/{name}"
            if entities:
                payload += json.dumps(entities, ensure_ascii=False)
            buttons.append({"title": INTENT_LABELS[name], "payload": payload})
        if len(buttons) == MAX_GUESSES:
            break
    return buttons


class ActionDefaultAskAffirmation(Action):
    """First stage of the fallback: "您是想…吗？" with the likeliest meanings."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Buttons for the top guesses plus "都不是" (Rasa's out_of_scope)."""
        buttons = guess_buttons(_latest(tracker))
        buttons.append({"title": "转人工服务", "payload": "/human_handoff"})
        buttons.append({"title": "都不是", "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []
