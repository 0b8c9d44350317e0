"""A bounded in-memory tracker store for the embedded default (runs inside Rasa).

Rasa's ``InMemoryTrackerStore`` keeps every conversation and every event
forever, so a long-running single-process deployment grows without bound.
This one keeps at most ``max_conversations`` conversations (least recently
used go first), forgets conversations idle for ``idle_ttl_s``, and keeps only
the last ``max_sessions`` sessions of each conversation. Production uses
Redis (``REDIS_URL``) with an expiry instead; the conversation log for staff
is written separately, so nothing staff need is lost here.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

SESSION_START = "action_session_start"


def trim_sessions(serialised: str, max_sessions: int) -> str:
    """Keep the events of the last ``max_sessions`` sessions of a serialised tracker."""
    dialogue = json.loads(serialised)
    events: list[dict[str, Any]] = dialogue.get("events") or []
    starts = [
        i
        for i, event in enumerate(events)
        if event.get("event") == "action" and event.get("name") == SESSION_START
    ]
    if len(starts) <= max_sessions:
        return serialised
    dialogue["events"] = events[starts[-max_sessions] :]
    return json.dumps(dialogue)


# Rasa builds a new tracker store whenever it loads a model (``PUT /model``
# on promotion): stores sharing a name share their conversations, so a
# promotion does not wipe every open conversation of the process.
_SHARED: dict[str, tuple[OrderedDict[str, str], dict[str, float]]] = {}


class BoundedTrackerStore(InMemoryTrackerStore):
    """In-memory trackers with a size cap, an idle expiry and session trimming."""

    def __init__(
        self,
        domain: Domain,
        event_broker: EventBroker | None = None,
        max_conversations: int = 10_000,
        idle_ttl_s: float = 24 * 3600,
        max_sessions: int = 3,
        clock: Callable[[], float] = time.monotonic,
        shared_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Configured from ``endpoints.yml`` (``tracker_store:`` parameters).

        Args:
            shared_name: Stores of this process with the same name keep the
                same conversations (``None``: a private store).
        """
        super().__init__(domain, event_broker, **kwargs)
        if shared_name:
            self.store, self._seen = _SHARED.setdefault(
                str(shared_name), (OrderedDict(), {})
            )
        else:
            self.store, self._seen = OrderedDict(), {}
        self.max_conversations = int(max_conversations)
        self.idle_ttl_s = float(idle_ttl_s)
        self.max_sessions = int(max_sessions)
        self._clock = clock

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store (trimmed), mark as recently used, evict what is over the limits."""
        await self.stream_events(tracker)
        serialised = trim_sessions(self.serialise_tracker(tracker), self.max_sessions)
        sender = tracker.sender_id
        self.store[sender] = serialised
        self.store.move_to_end(sender)
        self._seen[sender] = self._clock()
        self._evict()

    def _evict(self) -> None:
        now = self._clock()
        while self.store:
            oldest = next(iter(self.store))
            too_many = len(self.store) > self.max_conversations
            idle = now - self._seen.get(oldest, now) > self.idle_ttl_s
            if not (too_many or idle):
                break
            del self.store[oldest]
            self._seen.pop(oldest, None)
