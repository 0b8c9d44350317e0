"""Conversation log: a Rasa event broker that masks every event and appends it to SQL.

Configured in ``bot/endpoints.yml`` (``type: bot.event_log.ConversationLogBroker``).
Rasa calls ``publish`` synchronously on its event loop for every new tracker
event, so ``publish`` only copies the event into a bounded queue; a background
thread masks events (rule R3: nothing unmasked leaves this process), batches
them and writes them in one transaction per batch. A database that is missing,
locked or down never raises into Rasa: masked rows wait in a bounded buffer and
the thread retries with backoff. ``close`` (Rasa's shutdown) and interpreter
exit flush what is left.

The table belongs to the staff console (``review/logdb``, migrated with
``python -m review.logdb migrate``); this broker only reflects it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import queue
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import structlog
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import MetaData, Table, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    IntegrityError,
    NoSuchTableError,
)
from sqlalchemy.pool import QueuePool

from bot.event_masking import channel_of, mask_event, pseudonym, to_row
from bot.privacy import scrub

__all__ = ["ConversationLogBroker", "channel_of", "mask_event", "pseudonym"]

log = structlog.get_logger(__name__)

TABLE = "conversation_events"
MIGRATE_HINT = "run `python -m review.logdb migrate` with the same URL"


class LogNotReady(Exception):
    """The log database is missing, unmigrated or unreachable."""


class RowsRejected(Exception):
    """The database is up but refused these rows (bad data, a constraint)."""


class _Sink:
    """The log table: reflected once it exists, written a batch at a time."""

    def __init__(self, url: str, busy_timeout_s: float) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            # Said without the value: a URL may carry a password.
            raise ValueError("conversation log: url is not a database URL") from None
        if parsed.drivername == "postgresql+asyncpg":
            parsed = parsed.set(drivername="postgresql+psycopg2")
        elif parsed.drivername == "sqlite+aiosqlite":
            parsed = parsed.set(drivername="sqlite")
        self.shown = parsed.render_as_string(hide_password=True)
        self._sqlite_file: Path | None = None
        args: dict[str, Any] = {}
        options: dict[str, Any] = {}
        sqlite = parsed.drivername.startswith("sqlite")
        if sqlite:
            if parsed.database and parsed.database != ":memory:":
                self._sqlite_file = Path(parsed.database)
            args["timeout"] = busy_timeout_s
            # SQLAlchemy 1.4 opens and closes a SQLite file per transaction
            # (NullPool); a pool keeps the connection. It is checked once from
            # Rasa's executor and then used by the writer thread, one thread
            # at a time, and closed by whichever disposes of the engine.
            args["check_same_thread"] = False
            options["poolclass"] = QueuePool
            options["pool_size"] = 1
        else:
            args["connect_timeout"] = max(1, int(busy_timeout_s))
        try:
            self._engine: Engine = create_engine(
                parsed, connect_args=args, pool_pre_ping=True, future=True, **options
            )
        except (ArgumentError, ImportError) as exc:
            raise ValueError(f"conversation log: no driver for {self.shown}") from exc
        if sqlite:
            event.listen(self._engine, "connect", _sync_normally)
        self._table: Table | None = None

    def check(self) -> None:
        """Find the table, or raise ``LogNotReady`` saying what is wrong."""
        if self._table is not None:
            return
        if self._sqlite_file is not None and not self._sqlite_file.is_file():
            # Connecting would create an empty file nobody migrated.
            raise LogNotReady(f"no database file at {self.shown}; {MIGRATE_HINT}")
        try:
            self._table = Table(TABLE, MetaData(), autoload_with=self._engine)
        except NoSuchTableError as exc:
            raise LogNotReady(
                f"no {TABLE} table in {self.shown}; {MIGRATE_HINT}"
            ) from exc
        except Exception as exc:  # unreachable, locked, no permission
            raise LogNotReady(_describe(exc)) from exc

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` in one transaction (all or nothing)."""
        self.check()
        assert self._table is not None
        try:
            with self._engine.begin() as conn:
                conn.execute(self._table.insert(), rows)
        except (DataError, IntegrityError, ValueError) as exc:
            raise RowsRejected(_describe(exc)) from exc
        except Exception as exc:  # locked, down, schema gone: worth a retry
            raise LogNotReady(_describe(exc)) from exc

    def dispose(self) -> None:
        self._engine.dispose()


def _sync_normally(dbapi_connection: Any, _record: Any) -> None:
    """The console's setting (WAL, ``review/logdb``): a commit does not wait
    for the disk; an application crash loses nothing, a power cut at most
    the last batches."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _describe(exc: Exception) -> str:
    """The driver's own message, masked and short (never the SQL parameters)."""
    reason = getattr(exc, "orig", None) or exc
    return scrub(f"{type(reason).__name__}: {reason}".splitlines()[0])[:300]


_STOP = object()


class ConversationLogBroker(EventBroker):
    """Masks every tracker event and appends it to the conversation log."""

    def __init__(
        self,
        url: str,
        pseudonym_key: str,
        batch_size: int = 200,
        flush_interval_s: float = 0.2,
        max_buffer: int = 10_000,
        busy_timeout_s: float = 5.0,
        retry_max_s: float = 30.0,
        close_timeout_s: float = 10.0,
    ) -> None:
        """Starts the writer thread (the database is only reached from there).

        Args:
            url: SQLAlchemy URL (``sqlite:///var/conversations.db``,
                ``postgresql://…``; async driver names are mapped to sync ones).
            pseudonym_key: Secret keying the HMAC of sender ids.
            batch_size: Most rows per insert transaction.
            flush_interval_s: How long a first event waits for others to share
                its transaction.
            max_buffer: Bound on queued events and on masked rows waiting for
                the database; beyond it the oldest are dropped and counted.
            busy_timeout_s: How long one write waits for a locked database.
            retry_max_s: Longest pause between retries while the database fails.
            close_timeout_s: How long shutdown keeps trying to flush.

        Raises:
            ValueError: The URL, its driver or the key is unusable.
        """
        if not pseudonym_key:
            raise ValueError("conversation log: pseudonym_key must not be empty")
        self._key = pseudonym_key.encode("utf-8")
        self._sink = _Sink(url, float(busy_timeout_s))
        self._batch_size = max(1, int(batch_size))
        self._linger_s = float(flush_interval_s)
        self._retry_max_s = float(retry_max_s)
        self._close_timeout_s = float(close_timeout_s)
        self._max_buffer = max(1, int(max_buffer))
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self._max_buffer)
        self._pending: deque[dict[str, Any]] = deque()
        self._closing = threading.Event()
        self.dropped = 0
        self.written = 0
        self._failures = 0
        self._thread = threading.Thread(
            target=self._run, name="conversation-log", daemon=True
        )
        self._thread.start()
        atexit.register(self._join, self._close_timeout_s)

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig,
        event_loop: asyncio.AbstractEventLoop | None = None,
    ) -> ConversationLogBroker | None:
        """Builds the broker from ``endpoints.yml``; an empty ``url`` turns it off."""
        if not broker_config.url:
            log.warning("conversation_log.disabled", reason="no url configured")
            return None
        broker = cls(broker_config.url, **broker_config.kwargs)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, broker._sink.check)
        except LogNotReady as exc:
            # Not fatal: citizens are still answered and events are kept (up to
            # max_buffer) until the table appears.
            log.error("conversation_log.not_ready", reason=str(exc))
        return broker

    def publish(self, event: dict[str, Any]) -> None:
        """Queue one event for masking and writing; never blocks, never raises."""
        if self._closing.is_set():
            self.dropped += 1
            return
        try:
            self._queue.put_nowait(copy.deepcopy(event))
        except queue.Full:
            self._drop(1, "queue_full")
        except Exception as exc:  # an uncopyable event must not break the turn
            self._drop(1, type(exc).__name__)

    def is_ready(self) -> bool:
        """True while the writer thread runs."""
        return self._thread.is_alive()

    async def close(self) -> None:
        """Flush what is queued (bounded by ``close_timeout_s``), then stop."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._join, self._close_timeout_s)

    def _join(self, timeout_s: float) -> None:
        if not self._closing.is_set():
            self._closing.set()
            # A full queue wakes the thread anyway; it sees _closing then.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_STOP)
        self._thread.join(timeout_s + 1.0)

    def _drop(self, count: int, reason: str) -> None:
        self.dropped += count
        log.warning("conversation_log.events.dropped", count=count, reason=reason)

    def _collect(self, wait_s: float) -> None:
        """Mask queued events into ``_pending``, lingering to fill a batch."""
        deadline = time.monotonic() + wait_s
        taken = 0
        while taken < self._batch_size:
            remaining = deadline - time.monotonic()
            try:
                if remaining > 0 and not self._closing.is_set():
                    item = self._queue.get(timeout=remaining)
                else:
                    item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                continue
            taken += 1
            try:
                self._pending.append(to_row(item, self._key))
            except Exception as exc:  # never write what could not be masked
                self._drop(1, f"unmaskable:{type(exc).__name__}")
            if taken == 1:
                deadline = min(deadline, time.monotonic() + self._linger_s)
        overflow = len(self._pending) - self._max_buffer
        if overflow > 0:
            for _ in range(overflow):
                self._pending.popleft()
            self._drop(overflow, "buffer_full")

    def _write_pending(self) -> bool:
        """Write ``_pending`` batch by batch; False when the database failed."""
        while self._pending:
            size = min(self._batch_size, len(self._pending))
            try:
                self._sink.write([self._pending[i] for i in range(size)])
            except LogNotReady as exc:
                return self._failed(exc)
            except RowsRejected:
                # One bad row must not block the others: go row by row.
                for _ in range(size):
                    try:
                        self._sink.write([self._pending[0]])
                        self.written += 1
                    except LogNotReady as exc:
                        return self._failed(exc)
                    except RowsRejected as exc:
                        self._drop(1, f"rejected: {exc}")
                    self._pending.popleft()
                continue
            for _ in range(size):
                self._pending.popleft()
            self.written += size
            if self._failures:
                log.info("conversation_log.write.recovered", attempts=self._failures)
                self._failures = 0
        return True

    def _failed(self, exc: LogNotReady) -> bool:
        self._failures += 1
        if self._failures == 1 or self._failures % 20 == 0:
            log.error(
                "conversation_log.write.failed",
                reason=str(exc),
                waiting=len(self._pending),
                attempt=self._failures,
            )
        return False

    def _run(self) -> None:
        next_try = 0.0
        give_up_at: float | None = None
        while True:
            now = time.monotonic()
            closing = self._closing.is_set()
            if closing and give_up_at is None:
                give_up_at = now + self._close_timeout_s
            wait = max(0.0, min(1.0, next_try - now)) if self._pending else 1.0
            self._collect(0.0 if closing else wait)
            if self._pending and time.monotonic() >= next_try:
                if self._write_pending():
                    next_try = 0.0
                else:
                    backoff = min(
                        self._retry_max_s, 0.25 * 2 ** min(self._failures, 10)
                    )
                    next_try = time.monotonic() + backoff
            if closing and self._queue.empty() and not self._pending:
                break
            if give_up_at is not None and time.monotonic() >= give_up_at:
                lost = len(self._pending) + self._queue.qsize()
                if lost:
                    log.error("conversation_log.events.lost_at_shutdown", count=lost)
                break
            if closing and self._pending:
                time.sleep(min(0.2, max(0.0, next_try - time.monotonic())))
        self._sink.dispose()
