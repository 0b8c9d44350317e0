"""The lean Redis tracker store beside Rasa's own, on one real redis-server.

Both stores get the same turns (retrieve, add events, save, as Rasa's
processor does), each under its own key prefix; what they store and what
their event brokers receive must be identical, in one session and across
sessions, while the lean store reads each stored tracker once per save.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    get_trackers_for_conversation_sessions,
)

from bot.redis_tracker_store import (
    LeanRedisTrackerStore,
    continues,
    last_session,
    merged_events,
)

pytestmark = [pytest.mark.engine, pytest.mark.redis]

DB = 6
DOMAIN = Domain.from_yaml(
    "version: '3.1'\nslots:\n  plate:\n    type: text\n    mappings:\n"
    "    - type: custom\n"
)


class Recorder(EventBroker):
    """An event broker that keeps what it is given."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


@pytest.fixture
def red(redis_server: tuple[int, str]) -> Iterator[redis.Redis]:
    port, password = redis_server
    client = redis.Redis(port=port, db=DB, password=password, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _store(cls: type[RedisTrackerStore], red: redis.Redis, prefix: str) -> Any:
    kwargs = red.connection_pool.connection_kwargs
    return cls(
        DOMAIN,
        host="127.0.0.1",
        port=kwargs["port"],
        db=DB,
        password=kwargs["password"],
        key_prefix=prefix,
        event_broker=Recorder(),
        record_exp=600,
    )


def _session_start() -> list[Event]:
    # As Rasa stores it: the channel's metadata slot before the session start,
    # which ``retrieve`` leaves out of the last session it returns.
    return [
        SlotSet("session_started_metadata", {"channel": "telegram"}),
        ActionExecuted("action_session_start"),
        SessionStarted(),
    ]


def _turn(n: int) -> list[Event]:
    return [
        ActionExecuted("action_listen"),
        UserUttered(f"查违章 第{n}次", {"name": "query_violations", "confidence": 0.9}),
        SlotSet("plate", f"粤B7000{n}"),
        BotUttered(f"好的，第{n}次"),
    ]


async def _play(
    store: RedisTrackerStore, sender: str, turns: list[list[Event]]
) -> None:
    """Each batch as one message: retrieve the last session, add, save."""
    for events in turns:
        tracker = await store.retrieve(sender)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender, [], DOMAIN.slots)
        for event in events:
            tracker.update(event, DOMAIN)
        await store.save(tracker)


def _gets(red: redis.Redis) -> int:
    stats = red.info("commandstats").get("cmdstat_get", {})
    return int(stats.get("calls", 0))


async def _compare(red: redis.Redis, turns: list[list[Event]]) -> tuple[int, int]:
    """Play ``turns`` on both stores; assert equal results; GETs of each."""
    stock = _store(RedisTrackerStore, red, "stock")
    lean = _store(LeanRedisTrackerStore, red, "lean")
    before = _gets(red)
    await _play(stock, "citizen", turns)
    stock_gets = _gets(red) - before
    before = _gets(red)
    await _play(lean, "citizen", turns)
    lean_gets = _gets(red) - before
    lean_json, stock_json = (
        red.get("lean:tracker:citizen"),
        red.get("stock:tracker:citizen"),
    )
    assert lean_json is not None and json.loads(lean_json) == json.loads(stock_json)
    assert lean.event_broker.published == stock.event_broker.published
    assert 0 < red.ttl("lean:tracker:citizen") <= 600
    full = await lean.retrieve_full_tracker("citizen")
    assert full is not None and len(full.events) == sum(map(len, turns))
    return stock_gets, lean_gets


async def test_one_session_is_stored_and_streamed_as_rasa_does(
    red: redis.Redis,
) -> None:
    turns = [_session_start() + _turn(0), _turn(1), _turn(2), _turn(3)]
    stock_gets, lean_gets = await _compare(red, turns)
    # Rasa: one read to load, two to save; lean: one to load, one to save.
    assert (stock_gets, lean_gets) == (3 * len(turns), 2 * len(turns))


async def test_earlier_sessions_are_merged_as_rasa_does(red: redis.Redis) -> None:
    turns = [
        _session_start() + _turn(0),
        _turn(1),
        _session_start() + _turn(2),  # a new session: retrieve sees only this one
        _turn(3),
        _session_start(),
        _turn(4),
    ]
    await _compare(red, turns)
    lean = _store(LeanRedisTrackerStore, red, "lean")
    last = await lean.retrieve("citizen")
    assert last is not None and [
        e.text for e in last.events if isinstance(e, UserUttered)
    ] == ["查违章 第4次"]


async def _ticks_during(work: Any) -> int:
    """How often another task ran on the loop while ``work`` was awaited."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)  # the ticker is waiting on its first sleep
    try:
        before = ticks
        await work
        return ticks - before
    finally:
        task.cancel()


async def test_reads_and_writes_leave_the_event_loop_free(red: redis.Redis) -> None:
    lean = _store(LeanRedisTrackerStore, red, "lean")
    stock = _store(RedisTrackerStore, red, "stock")
    await _play(lean, "citizen", [_session_start() + _turn(0)])
    await _play(stock, "citizen", [_session_start() + _turn(0)])
    tracker = await lean.retrieve("citizen")
    assert tracker is not None
    tracker.update(BotUttered("还在"), DOMAIN)
    # redis-server answers nobody for 0.3 s, as a busy or restarting one would.
    calls = {
        "lean retrieve": lean.retrieve("citizen"),
        "lean save": lean.save(tracker),
        "lean keys": lean.keys(),
        "stock retrieve": stock.retrieve("citizen"),
    }
    ticks = {}
    for name, call in calls.items():
        red.execute_command("CLIENT", "PAUSE", 300, "ALL")
        ticks[name] = await _ticks_during(call)
    # Rasa's store holds the loop for the whole pause; the lean one does not.
    assert ticks["stock retrieve"] == 0
    assert min(ticks[name] for name in calls if name.startswith("lean")) >= 5, ticks
    stored = await lean.retrieve("citizen")
    assert stored is not None and stored.events[-1] == BotUttered("还在")
    assert sorted(await lean.keys()) == ["lean:tracker:citizen"]
    await lean.aclose()


def test_last_session_is_the_one_rasa_splits_off() -> None:
    cases = [
        [],
        _turn(0),
        _session_start() + _turn(0),
        _session_start()[1:] + _turn(0),  # the session start first
        _session_start() + _turn(0) + _session_start() + _turn(1),
        _turn(0) + _session_start() + _session_start() + _turn(2),
        _turn(0) + _session_start()[:2],  # a new session, nothing said yet
    ]
    for events in cases:
        tracker = DialogueStateTracker.from_events("c", events, DOMAIN.slots)
        sessions = get_trackers_for_conversation_sessions(tracker)
        rasa = tracker if len(sessions) <= 1 else sessions[-1]
        ours = last_session(tracker)
        assert ours is not None
        assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasa.events]
        assert ours.current_slot_values() == rasa.current_slot_values()
        assert (ours is tracker) == (rasa is tracker)


def test_continues_means_same_events_then_more() -> None:
    events = _session_start() + _turn(0)
    prior = DialogueStateTracker.from_events("c", events, DOMAIN.slots)
    longer = DialogueStateTracker.from_events("c", events + _turn(1), DOMAIN.slots)
    other = DialogueStateTracker.from_events(
        "c", _session_start() + _turn(5), DOMAIN.slots
    )
    assert continues(prior, longer) and continues(prior, prior)
    assert not continues(longer, prior)
    assert not continues(prior, other)


def test_merging_keeps_rasas_rule() -> None:
    first = _session_start() + _turn(0) + _turn(1)
    second = _session_start() + _turn(2)
    prior = DialogueStateTracker.from_events("c", first + second, DOMAIN.slots)
    fifth = _turn(5)
    cases = [
        second[1:] + _turn(3),  # the last session without its metadata slot
        first[1:] + second + _turn(4),  # overlapping from the middle
        [*fifth, fifth[1]],  # new events, one of them twice
        [ActionExecuted("action_listen", timestamp=first[3].timestamp)],  # equal dict
        [UserUttered("数", {"name": "x", "confidence": 1}, timestamp=1.0)],
    ]
    for events in cases:
        tracker = DialogueStateTracker.from_events("c", events, DOMAIN.slots)
        rasa = RedisTrackerStore._merge_trackers(prior, tracker)
        ours = merged_events(prior.events, tracker.events)
        assert [e.as_dict() for e in ours] == [e.as_dict() for e in rasa.events]
