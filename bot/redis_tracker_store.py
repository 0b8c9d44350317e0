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

Rasa's store talks to Redis with the synchronous client from inside its
``async`` methods, so every GET and SET stalls Rasa's event loop for a round
trip; on a busy two-core machine, where redis-server waits its turn for a
core, that was 17 % of the loop's time under load (py-spy during
`python -m bench.load --target telegram`). Reads and writes here go through
redis.asyncio, so other conversations are served meanwhile; the synchronous
client (``red``) stays for Rasa's and tools' synchronous use.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any, cast

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker, TrackerEventDiffEngine

from bot.fast_json import canonical, dumps
from bot.redis_clients import LoopClients


def last_session(tracker: DialogueStateTracker | None) -> DialogueStateTracker | None:
    """What Rasa's ``retrieve`` returns for a stored tracker: its last session.

    Rasa splits the events before every ``action_session_start`` and rebuilds a
    tracker for each part, then keeps the last; only the last is built here,
    and none when there is a single part (Rasa returns the tracker itself then).
    """
    if tracker is None:
        return None
    events = list(tracker.events)
    for start in range(len(events) - 1, 0, -1):
        event = events[start]
        if (
            isinstance(event, ActionExecuted)
            and event.action_name == ACTION_SESSION_START_NAME
        ):
            return DialogueStateTracker.from_events(
                tracker.sender_id,
                events[start:],
                tracker.slots.values(),
                sender_source=tracker.sender_source,
                max_event_history=tracker._max_event_history,
            )
    return tracker


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
    """``RedisTrackerStore`` that never blocks the event loop and saves in one read."""

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        use_ssl: bool = False,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        ssl_ca_certs: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Rasa's parameters and keys; an asynchronous client beside Rasa's."""
        connection: dict[str, Any] = {
            "host": host,
            "port": port,
            "db": db,
            "username": username,
            "password": password,
            "ssl_keyfile": ssl_keyfile,
            "ssl_certfile": ssl_certfile,
            "ssl_ca_certs": ssl_ca_certs,
        }
        # event_broker, record_exp, key_prefix, …: Rasa's, through kwargs.
        super().__init__(domain, use_ssl=use_ssl, **connection, **kwargs)
        self._clients = LoopClients(ssl=use_ssl, decode_responses=True, **connection)

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's ``_retrieve``, reading without blocking the loop."""
        stored = await self._clients.get().get(self.key_prefix + sender_id)
        if stored is None:
            return None
        tracker = self.deserialise_tracker(sender_id, stored)
        return tracker if fetch_all_sessions else last_session(tracker)

    async def keys(self) -> Iterable[str]:
        """Rasa's ``keys`` (every stored key with the prefix), without blocking."""
        keys = await self._clients.get().keys(self.key_prefix + "*")
        return cast(list[str], keys)  # str: the client decodes responses

    async def aclose(self) -> None:
        """Closes the running loop's connections (and Rasa's client)."""
        await self._clients.aclose()
        self.red.close()

    async def save(
        self, tracker: DialogueStateTracker, timeout: float | None = None
    ) -> None:
        """Stream the new events, merge earlier sessions, store (Rasa's semantics)."""
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        client = self._clients.get()
        stored = await client.get(key)
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
        # ``record_exp`` goes to Redis as configured, as Rasa's store sends it.
        await client.set(key, serialised, ex=timeout)  # type: ignore[arg-type]


__all__ = ["LeanRedisTrackerStore", "continues", "last_session", "merged_events"]
