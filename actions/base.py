"""Base classes: a task action that never leaves the citizen without an answer."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.backend import Backend
from actions.backend.errors import (
    BackendMisconfigured,
    BackendRejected,
    BackendUnavailable,
)

log = structlog.get_logger(__name__)


@dataclass
class Turn:
    """What one action run works with.

    Attributes:
        dispatcher: Collects the replies.
        tracker: The conversation so far.
        domain: The bot's domain.
        write_key: ``Idempotency-Key`` for this task's write: the one of a
            failed earlier attempt when retrying, so the back end never does
            the same thing twice.
    """

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict
    write_key: str

    def slot(self, name: str) -> Any:
        """The current value of a slot."""
        return self.tracker.get_slot(name)

    def say(self, response: str, **values: Any) -> None:
        """Send a domain response, filling its ``{placeholders}``."""
        self.dispatcher.utter_message(response=response, **values)


def clear_task_slots(keep: frozenset[str] = frozenset()) -> list[EventType]:
    """Events that forget what the finished task collected (identity stays)."""
    return [SlotSet(name, None) for name in slots.TASK_SLOTS if name not in keep]


def finish_task(turn: Turn, service: str, target: str) -> list[EventType]:
    """End a completed task: ask for a 1-5 rating (政务服务“好差评”) and clean up.

    Args:
        turn: The current turn.
        service: Which service is rated (``exam_booking``, ``violations``…).
        target: What exactly is rated (a booking code, ticket id or the sender).
    """
    turn.say("utter_ask_rating")
    return [
        *clear_task_slots(),
        SlotSet(slots.RATING_SERVICE, service),
        SlotSet(slots.RATING_TARGET, target),
    ]


def reopen_form(form: str, *names: str) -> list[EventType]:
    """Forget the rejected values (not the rest) and let the form ask again.

    Used when the back end refuses what the form had accepted, e.g. the last
    seat went to someone else between the confirmation and the booking.
    """
    return [
        *(SlotSet(name, None) for name in names),
        SlotSet(slots.CONFIRMED, None),
        SlotSet(slots.WRITE_KEY, None),
        FollowupAction(form),
    ]


class ServiceAction(Action):
    """A task action: calls the back end and maps every failure to a reply.

    Subclasses implement :meth:`handle`. A back end that is down or slow gives
    ``utter_backend_unavailable`` with a retry offer and keeps the citizen's
    slots (and the write's idempotency key); an unexpected error still gets a
    polite reply and a logged event, never rasa-sdk's 500 that echoes the
    tracker.
    """

    service_label: ClassVar[str] = "政务服务"

    def __init__(self, backend: Backend) -> None:
        """Keeps the process-wide back-end client."""
        self.backend = backend

    @abstractmethod
    async def handle(self, turn: Turn) -> list[EventType]:
        """Do the task; return the events to apply."""

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Runs :meth:`handle` with failures turned into answers."""
        key = tracker.get_slot(slots.WRITE_KEY) or uuid.uuid4().hex
        turn = Turn(dispatcher, tracker, domain, key)
        try:
            events = await self.handle(turn)
        except (BackendUnavailable, BackendMisconfigured) as exc:
            log.warning(
                "actions.backend.unavailable", action=self.name(), error=repr(exc)
            )
            turn.say("utter_backend_unavailable", service=self.service_label)
            return [
                SlotSet(slots.AWAITING_RETRY, True),
                SlotSet(slots.RETRY_ACTION, self.name()),
                SlotSet(slots.WRITE_KEY, key),
                *self.failure_events(),
            ]
        except BackendRejected as exc:
            # A rejection the action did not expect: a bug or a contract change.
            log.error(
                "actions.backend.unexpected_rejection",
                action=self.name(),
                status=exc.status,
                code=exc.code,
            )
            turn.say("utter_task_failed")
            return [*self._reset_retry(), *clear_task_slots(), *self.failure_events()]
        except Exception:
            log.exception("actions.failed", action=self.name())
            turn.say("utter_task_failed")
            return [*self._reset_retry(), *clear_task_slots(), *self.failure_events()]
        return [*self._reset_retry(), *events]

    def failure_events(self) -> list[EventType]:
        """Events the dialogue rules expect from this action even when it fails."""
        return []

    @staticmethod
    def _reset_retry() -> list[EventType]:
        return [
            SlotSet(slots.AWAITING_RETRY, False),
            SlotSet(slots.RETRY_ACTION, None),
            SlotSet(slots.WRITE_KEY, None),
        ]
