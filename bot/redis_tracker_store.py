"""Rasa's Redis tracker store with a save that does the same work once (runs inside Rasa).

Rasa 3.6's ``RedisTrackerStore.save`` reads and rebuilds the stored tracker
twice (once for the event broker's new events, once to merge earlier
sessions), and its merge compares every event of the turn's tracker with
every stored event by ``as_dict()``: quadratic in the conversation's length.
The merge is not a corner case: ``retrieve`` hands Rasa the last session
without the ``session_started_metadata`` slot event stored before it, so the
saved tracker never simply continues the stored one and every turn merges.
Under load that merge was 45 % of a save and a save 31 % of a message's CPU
in Rasa (py-spy during `python -m bench.load --target telegram`).

This store reads and rebuilds the stored tracker once and uses it for both;
it keeps Rasa's shortcut when the new tracker continues the stored one; and
it merges with Rasa's rule (keep every stored event, then append each event
of the new tracker whose ``as_dict()`` equals no event kept so far) in linear
time: events already stored are recognised by a hash of their canonical
JSON, and only the remaining ones are compared the way Rasa compares them.
The merged events are serialised as Rasa serialises a tracker, without
replaying them into a tracker first, and written with ujson (already one of
Rasa's dependencies; twice as fast as ``json`` here), without the spaces.
Keys, the stored JSON's content, expiry and what the event broker receives are
Rasa's (``tests/nlu/test_redis_tracker_store.py`` compares both stores on one
redis-server).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    TrackerEventDiffEngine,
    get_trackers_for_conversation_sessions,
)

from bot.fast_json import canonical, dumps


def last_session(tracker: DialogueStateTracker | None) -> DialogueStateTracker | None:
    """What Rasa's ``retrieve`` returns for a stored tracker: its last session."""
    if tracker is None:
        return None
    sessions = get_trackers_for_conversation_sessions(tracker)
    return tracker if len(sessions) <= 1 else sessions[-1]


def continues(prior: DialogueStateTracker, tracker: DialogueStateTracker) -> bool:
    """Whether ``tracker``'s events begin with all of ``prior``'s, in order."""
    count = len(prior.events)
    if len(tracker.events) < count:
        return False
    return list(islice(tracker.events, count)) == list(prior.events)


def merged_events(prior: Iterable[Event], current: Iterable[Event]) -> list[Event]:
    """Rasa's ``_merge_trackers`` rule, in linear time for events already stored.

    Every event of ``prior``, then each event of ``current`` whose
    ``as_dict()`` differs from that of every event kept so far.
    """
    kept = list(prior)
    kept_dicts = [event.as_dict() for event in kept]
    known = {canonical(d) for d in kept_dicts}
    for event in current:
        as_dict = event.as_dict()
        key = canonical(as_dict)
        if key in known:
            continue  # equal JSON: an equal dict is kept already
        # Not seen by its JSON; compare as Rasa does (dict equality).
        if any(as_dict == other for other in kept_dicts):
            continue
        kept.append(event)
        kept_dicts.append(as_dict)
        known.add(key)
    return kept


class LeanRedisTrackerStore(RedisTrackerStore):
    """``RedisTrackerStore`` with a save that reads once and merges in linear time."""

    async def save(
        self, tracker: DialogueStateTracker, timeout: float | None = None
    ) -> None:
        """Stream the new events, merge earlier sessions, store (Rasa's semantics)."""
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        prior = (
            self.deserialise_tracker(tracker.sender_id, stored)
            if stored is not None
            else None
        )
        if self.event_broker is not None:
            new_events = TrackerEventDiffEngine.event_difference(
                last_session(prior),  # type: ignore[arg-type]  # Rasa accepts None
                tracker,
            )
            await self._stream_new_events(
                self.event_broker, new_events, tracker.sender_id
            )
        events: list[Event] = list(tracker.events)
        if prior is not None and prior.events and not continues(prior, tracker):
            events = merged_events(prior.events, tracker.events)
        serialised = dumps(Dialogue(tracker.sender_id, events).as_dict())
        self.red.set(key, serialised, ex=timeout)


__all__ = ["LeanRedisTrackerStore", "continues", "last_session", "merged_events"]
