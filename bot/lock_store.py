"""A Redis ticket lock for Rasa 3.6 that stays correct across several Rasa instances.

Rasa serialises the messages of one conversation with a ticket lock
(``rasa/core/lock.py``). Its ``RedisLockStore`` issues and returns tickets with
GET → modify → SET from each instance, so two replicas can both take ticket 0
and run the same conversation at once (RasaHQ/rasa#9213); waiters poll
forever (#8756); expiry is judged by each replica's wall clock.

Here every change to a lock is one Lua script, so Redis applies it atomically
between any two other commands. WATCH/MULTI would also be atomic, but under
contention it fails and retries (more round trips exactly when a burst
arrives) and needs a dedicated connection per attempt; a script never retries.
Scripts read the time with Redis ``TIME``, so clock skew between replicas
cannot expire a ticket early or late. Tickets are numbered in arrival order
and served lowest first (FIFO per conversation); each carries a random token
so a ticket number reused after the key was deleted can never be released by
the instance that held an older, expired ticket of the same number.

The value keeps Rasa's JSON layout (``{"conversation_id", "tickets": [json]}``
plus ``last_issued``), so tools and tests that read Rasa's locks still work.
The key ``<prefix>:lock:<sender_id>`` expires shortly after its last ticket
and is deleted as soon as nobody holds or waits for it.

A waiter's ticket is refreshed on every poll and the holder's lease starts at
acquisition (Rasa counts it from the moment the message arrived), so waiting
in a queue does not eat into the processing time. A waiter gives up after
``acquire_timeout`` seconds with Rasa's ``LockError``.

Configured in ``bot/endpoints.redis.yml``
(``type: bot.lock_store.AtomicRedisLockStore``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_scripts import ACQUIRE, ISSUE, READ, RELEASE, Script
from bot.redis_clients import LoopClients

logger = logging.getLogger(__name__)

T = TypeVar("T")
REDIS_FAILURES = (redis.RedisError, OSError, asyncio.TimeoutError)
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off", "none", "null"}


@dataclass(frozen=True)
class HeldTicket:
    """One message's place in a conversation's queue."""

    conversation_id: str
    number: int
    token: str


def pseudonym(conversation_id: str) -> str:
    """A stable, non-reversible name for a sender id in logs and errors (R3)."""
    return hashlib.sha256(conversation_id.encode()).hexdigest()[:12]


def _flag(value: Any) -> bool:
    """``use_ssl`` as Rasa expands it: a string ("" off, "true" on) or a YAML bool."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(f"use_ssl must be true or false, got {value!r}")
    return bool(value)


def _text(value: Any) -> str | None:
    """An optional string setting: empty means unset (no AUTH, no file)."""
    return str(value) if value not in (None, "") else None


class AtomicRedisLockStore(LockStore):
    """Rasa lock store whose ticket issue, wait and release are atomic in Redis."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 1,
        username: str | None = None,
        password: str | None = None,
        use_ssl: bool | str = False,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        ssl_ca_certs: str | None = None,
        key_prefix: str | None = None,
        socket_timeout: float | str = 2.0,
        socket_connect_timeout: float | str = 2.0,
        acquire_timeout: float | str = 30.0,
        lock_lifetime: float | str = LOCK_LIFETIME,
        poll_interval: float | str = 0.05,
    ) -> None:
        """Connects lazily; Rasa passes ``endpoint_config``, tests the keywords.

        Args:
            endpoint_config: The ``lock_store:`` section; ``url`` is the host,
                every other key overrides the keyword of the same name.
                Values may be strings (Rasa expands ``${VAR}`` to strings).
            host: Redis host.
            port: Redis port.
            db: Redis database number.
            username: ACL user; empty means none.
            password: Password; empty means no AUTH.
            use_ssl: TLS to Redis.
            ssl_certfile: Client certificate for TLS.
            ssl_keyfile: Client key for TLS.
            ssl_ca_certs: CA bundle for TLS.
            key_prefix: Letters and digits; keys become ``<prefix>:lock:<id>``.
            socket_timeout: Seconds a Redis command may take before it fails.
            socket_connect_timeout: Seconds to establish a connection.
            acquire_timeout: Seconds a message waits for its turn before
                ``LockError``.
            lock_lifetime: Seconds a held ticket lives (the holder's lease);
                also how long a waiter's ticket outlives its last poll.
            poll_interval: Seconds between a waiter's checks.

        Raises:
            ValueError: A setting is unknown or malformed.
        """
        settings: dict[str, Any] = {
            "host": host,
            "port": port,
            "db": db,
            "username": username,
            "password": password,
            "use_ssl": use_ssl,
            "ssl_certfile": ssl_certfile,
            "ssl_keyfile": ssl_keyfile,
            "ssl_ca_certs": ssl_ca_certs,
            "key_prefix": key_prefix,
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_connect_timeout,
            "acquire_timeout": acquire_timeout,
            "lock_lifetime": lock_lifetime,
            "poll_interval": poll_interval,
        }
        if endpoint_config is not None:
            unknown = set(endpoint_config.kwargs) - set(settings)
            if unknown:
                # A misspelt timeout would otherwise silently keep its default.
                raise ValueError(f"unknown lock_store settings: {sorted(unknown)}")
            settings.update(endpoint_config.kwargs)
            settings["host"] = endpoint_config.url or host
        prefix = _text(settings["key_prefix"]) or ""
        if prefix and not (prefix.isascii() and prefix.isalnum()):
            raise ValueError(f"key_prefix must be letters and digits: {prefix!r}")
        self.key_prefix = f"{prefix}:lock:" if prefix else "lock:"
        self.acquire_timeout_s = float(settings["acquire_timeout"])
        self.lock_lifetime_s = float(settings["lock_lifetime"])
        self.poll_interval_s = float(settings["poll_interval"])
        self._connection: dict[str, Any] = {
            "host": str(settings["host"]),
            "port": int(settings["port"]),
            "db": int(settings["db"]),
            "username": _text(settings["username"]),
            "password": _text(settings["password"]),
            "ssl": _flag(settings["use_ssl"]),
            "ssl_certfile": _text(settings["ssl_certfile"]),
            "ssl_keyfile": _text(settings["ssl_keyfile"]),
            "ssl_ca_certs": _text(settings["ssl_ca_certs"]),
            "socket_timeout": float(settings["socket_timeout"]),
            "socket_connect_timeout": float(settings["socket_connect_timeout"]),
        }
        # The synchronous client serves Rasa's synchronous LockStore API;
        # lock(), the one Rasa's processor calls, never blocks the event loop.
        self.red = redis.StrictRedis(**self._connection)
        self._clients = LoopClients(**self._connection)
        self._tasks: set[asyncio.Task[Any]] = set()
        super().__init__()

    def key(self, conversation_id: str) -> str:
        """The Redis key of a conversation's lock."""
        return self.key_prefix + conversation_id

    # -- the path Rasa uses: ``async with lock_store.lock(sender_id)`` ------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncIterator[TicketLock]:
        """Waits for this message's turn in its conversation, then holds it.

        Args:
            conversation_id: Rasa's sender id.
            lock_lifetime: Lease in seconds; default the store's ``lock_lifetime``.
            wait_time_in_seconds: Poll interval; default ``poll_interval``.

        Yields:
            A ``TicketLock`` holding only this message's ticket
            (``now_serving`` is its number).

        Raises:
            LockError: Redis failed, the wait exceeded ``acquire_timeout``, or
                the ticket expired while waiting.
        """
        lifetime = lock_lifetime or self.lock_lifetime_s
        ticket = await self.take_ticket(conversation_id, lifetime)
        try:
            yield await self.wait_for_turn(ticket, lifetime, wait_time_in_seconds)
        finally:
            await self.give_back(ticket)

    async def take_ticket(
        self, conversation_id: str, lifetime: float | None = None
    ) -> HeldTicket:
        """Joins the conversation's queue (the arrival order is fixed here).

        If the caller is cancelled meanwhile (Sanic cancels a request whose
        client went away), the script still completes and the ticket it
        issued is handed straight back, so no orphan blocks the queue.
        """
        token = secrets.token_hex(8)
        issue = self._spawn(
            self._run_async(
                ISSUE,
                conversation_id,
                conversation_id,
                lifetime or self.lock_lifetime_s,
                token,
            )
        )
        try:
            number = await asyncio.shield(issue)
        except asyncio.CancelledError:
            issue.add_done_callback(
                lambda done: self._return_unused(conversation_id, token, done)
            )
            raise
        return HeldTicket(conversation_id, int(number), token)

    def _return_unused(
        self, conversation_id: str, token: str, issued: asyncio.Future[Any]
    ) -> None:
        if not issued.cancelled() and issued.exception() is None:
            held = HeldTicket(conversation_id, int(issued.result()), token)
            self._spawn(self._release(held))

    async def wait_for_turn(
        self,
        ticket: HeldTicket,
        lifetime: float | None = None,
        poll_interval: float | None = None,
    ) -> TicketLock:
        """Polls until ``ticket`` is the lowest live ticket of its conversation."""
        lifetime = lifetime or self.lock_lifetime_s
        interval = poll_interval or self.poll_interval_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.acquire_timeout_s
        who = pseudonym(ticket.conversation_id)
        while True:
            ahead = int(
                await self._run_async(
                    ACQUIRE,
                    ticket.conversation_id,
                    ticket.number,
                    ticket.token,
                    lifetime,
                )
            )
            if ahead == 0:
                logger.debug(
                    "lock.acquired conversation=%s ticket=%s", who, ticket.number
                )
                expires = time.time() + lifetime
                return TicketLock(
                    ticket.conversation_id, deque([Ticket(ticket.number, expires)])
                )
            if ahead < 0:
                raise LockError(
                    f"Ticket {ticket.number} of conversation {who} expired while "
                    "waiting (the lock was lost in Redis or this process stalled)."
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise LockError(
                    f"Could not acquire lock for conversation {who} within "
                    f"{self.acquire_timeout_s:g} s: {ahead} earlier message(s) "
                    "still queued."
                )
            await asyncio.sleep(min(interval, remaining))

    async def give_back(self, ticket: HeldTicket) -> None:
        """Leaves the queue; deletes the key when nobody else is in it.

        Shielded: a cancelled caller must not leave its ticket at the head of
        the queue. A Redis failure is logged, not raised: the message has
        been handled (raising would make the channel report a failure and the
        sender retry it), and the ticket expires in Redis within its lifetime.
        """
        await asyncio.shield(self._spawn(self._release(ticket)))

    async def _release(self, ticket: HeldTicket) -> None:
        try:
            await self._run_async(
                RELEASE, ticket.conversation_id, ticket.number, ticket.token
            )
        except LockError as exc:
            logger.warning(
                "lock.release.failed conversation=%s ticket=%s error=%s",
                pseudonym(ticket.conversation_id),
                ticket.number,
                exc,
            )

    def _spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """A task that finishes even if its awaiter is cancelled (ref kept)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def aclose(self) -> None:
        """Closes the connections this store opened on the running loop."""
        await self._clients.aclose()
        self.red.close()

    # -- Rasa's synchronous LockStore API, atomic as well ---------------------

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME
    ) -> int:
        """Issues a ticket without a token (releasable by number alone)."""
        return int(
            self._run(ISSUE, conversation_id, conversation_id, lock_lifetime, "")
        )

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The live tickets, with expiries moved onto this machine's clock."""
        found = self._run(READ, conversation_id)
        raw, redis_now = found[0], float(found[1])
        if not raw:
            return None
        lock = TicketLock.from_dict(json.loads(raw))
        skew = time.time() - redis_now
        for held in lock.tickets:
            held.expires += skew
        return lock

    def delete_lock(self, conversation_id: str) -> None:
        """Deletes the whole lock, whoever holds it."""
        deleted = self._guard(lambda: self.red.delete(self.key(conversation_id)))
        self._log_deletion(pseudonym(conversation_id), bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        """Not supported: a whole-lock write would undo other instances' tickets."""
        raise NotImplementedError(
            "AtomicRedisLockStore changes locks only through its atomic scripts"
        )

    def update_lock(self, conversation_id: str) -> None:
        """Nothing to do: every script drops expired tickets itself."""

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes ticket ``ticket_number``; deletes the key if it was the last."""
        self._run(RELEASE, conversation_id, ticket_number, "")

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Same as ``finish_serving``: release and delete-if-empty are one step."""
        self.finish_serving(conversation_id, ticket_number)

    # -- plumbing -------------------------------------------------------------

    def _guard(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except REDIS_FAILURES as exc:
            raise LockError(f"Redis lock store unavailable: {exc!r}") from exc

    def _run(self, script: Script, conversation_id: str, *args: Any) -> Any:
        key = self.key(conversation_id)
        return self._guard(lambda: script.call(self.red, key, *args))

    async def _run_async(self, script: Script, conversation_id: str, *args: Any) -> Any:
        key = self.key(conversation_id)
        try:
            return await script.call_async(self._clients.get(), key, *args)
        except REDIS_FAILURES as exc:
            raise LockError(f"Redis lock store unavailable: {exc!r}") from exc
