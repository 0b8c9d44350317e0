"""The bounded in-memory tracker store (a Rasa plug-in, so tested in the engine env)."""

from __future__ import annotations

import json

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import BoundedTrackerStore, trim_sessions


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tracker(sender: str, sessions: int) -> DialogueStateTracker:
    events = []
    for n in range(sessions):
        events += [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(f"第{n}次", {"name": "greet", "confidence": 1.0}),
        ]
    return DialogueStateTracker.from_events(sender, events)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> BoundedTrackerStore:
    return BoundedTrackerStore(
        Domain.empty(), max_conversations=3, idle_ttl_s=100, max_sessions=2, clock=clock
    )


async def test_keeps_only_the_last_sessions(store: BoundedTrackerStore) -> None:
    await store.save(_tracker("a", 5))
    kept = await store.retrieve_full_tracker("a")
    assert kept is not None
    texts = [e.text for e in kept.events if isinstance(e, UserUttered)]
    assert texts == ["第3次", "第4次"]


async def test_least_recently_used_conversation_is_evicted(
    store: BoundedTrackerStore, clock: Clock
) -> None:
    for sender in "abcd":
        clock.now += 1
        await store.save(_tracker(sender, 1))
    assert set(await store.keys()) == {"b", "c", "d"}
    clock.now += 1
    await store.save(_tracker("b", 1))  # b is now the most recent
    await store.save(_tracker("e", 1))
    assert set(await store.keys()) == {"d", "b", "e"}


async def test_idle_conversations_expire(
    store: BoundedTrackerStore, clock: Clock
) -> None:
    await store.save(_tracker("old", 1))
    clock.now += 101
    await store.save(_tracker("new", 1))
    assert set(await store.keys()) == {"new"}
    assert await store.retrieve("old") is None


def test_trim_leaves_short_trackers_alone() -> None:
    text = json.dumps({"sender_id": "x", "events": [{"event": "action", "name": "x"}]})
    assert trim_sessions(text, 2) == text


async def test_stores_with_one_shared_name_keep_conversations_across_model_loads() -> (
    None
):
    # Rasa builds a new tracker store on PUT /model: the conversation stays.
    domain = Domain.empty()
    before = BoundedTrackerStore(domain, shared_name="test-promotion")
    await before.save(_tracker("citizen", 1))
    after = BoundedTrackerStore(domain, shared_name="test-promotion")
    kept = await after.retrieve("citizen")
    assert kept is not None and kept.sender_id == "citizen"
    other = BoundedTrackerStore(domain, shared_name="test-other")
    private = BoundedTrackerStore(domain)
    assert await other.retrieve("citizen") is None
    assert await private.retrieve("citizen") is None
