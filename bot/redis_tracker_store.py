"""Rasa's Redis tracker store, saving with one read of the stored tracker (runs inside Rasa).

Rasa 3.6's ``RedisTrackerStore.save`` reads and rebuilds the stored tracker
twice: once to find the events the event broker has not seen (``retrieve``),
once to merge in earlier sessions (``_merge_trackers``, which also replays the
new tracker up to the stored one's last event to compare them). Every rebuild
replays every event of the conversation, so a turn paid for three replays on
top of the one that loads the tracker. This store reads and rebuilds once and
uses that tracker for both; when the new tracker simply continues the stored
one (the same events, then new ones: every turn of a one-session
conversation), the merge is a no-op and is skipped, exactly as Rasa's own
comparison concludes. Anything else goes through Rasa's merge unchanged.

Keys, values, expiry and what the event broker receives are Rasa's
(``tests/nlu/test_tracker_store.py`` compares both stores on one Redis).
"""

from __future__ import annotations

from itertools import islice

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    TrackerEventDiffEngine,
    get_trackers_for_conversation_sessions,
)


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


class LeanRedisTrackerStore(RedisTrackerStore):
    """``RedisTrackerStore`` with a save that reads the stored tracker once."""

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
        if prior is not None and prior.events and not continues(prior, tracker):
            tracker = self._merge_trackers(prior, tracker)
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout)


__all__ = ["LeanRedisTrackerStore", "continues", "last_session"]
