"""Where open handoffs live: in memory (one gateway) or in Redis (replicas).

The gateway's key-value store cannot list keys, and the inbox must list the
open handoffs, so this store keeps its own index: in Redis, a sorted set of
senders (by handoff time) beside one expiring key per record. A record
expires ``ttl_s`` after the citizen's latest message (the sealed address with
it); the index entry of an expired record is dropped on the next listing.
"""

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from channels.inbox.records import HandoffRecord
from channels.stores import StoreUnavailable

__all__ = ["HandoffStore", "MemoryHandoffStore", "RedisHandoffStore"]

log = structlog.get_logger(__name__)

MAX_OPEN = 10_000
"""Listing stops here: more open handoffs than that means nobody is answering."""


class HandoffStore(ABC):
    """Open handoffs by sender; every call may raise ``StoreUnavailable``."""

    @abstractmethod
    async def put(self, record: HandoffRecord, ttl_s: float) -> None:
        """Store (or replace) ``record``; it expires after ``ttl_s``."""

    @abstractmethod
    async def get(self, sender: str) -> HandoffRecord | None:
        """The open record of ``sender``, or ``None``."""

    @abstractmethod
    async def remove(self, sender: str) -> bool:
        """Close the record; ``True`` if there was one."""

    @abstractmethod
    async def list_open(self) -> list[HandoffRecord]:
        """Every open record, oldest handoff first."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class MemoryHandoffStore(HandoffStore):
    """Per-process store (the embedded default; lost on restart)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[str, tuple[HandoffRecord, float]] = {}

    def _drop_expired(self) -> None:
        now = self._clock()
        for sender in [s for s, (_, exp) in self._records.items() if exp <= now]:
            del self._records[sender]

    async def put(self, record: HandoffRecord, ttl_s: float) -> None:
        """Store (or replace) ``record``; it expires after ``ttl_s``."""
        self._drop_expired()
        self._records[record.sender] = (record, self._clock() + ttl_s)

    async def get(self, sender: str) -> HandoffRecord | None:
        """The open record of ``sender``, or ``None``."""
        self._drop_expired()
        entry = self._records.get(sender)
        return None if entry is None else entry[0]

    async def remove(self, sender: str) -> bool:
        """Close the record; ``True`` if there was one."""
        self._drop_expired()
        return self._records.pop(sender, None) is not None

    async def list_open(self) -> list[HandoffRecord]:
        """Every open record, oldest handoff first."""
        self._drop_expired()
        records = [record for record, _ in self._records.values()]
        return sorted(records, key=lambda r: r.opened_at)[:MAX_OPEN]

    async def close(self) -> None:
        """Nothing to release."""


class RedisHandoffStore(HandoffStore):
    """Shared by gateway replicas: one expiring key per record plus an index."""

    def __init__(self, client: "aioredis.Redis", prefix: str) -> None:
        self._redis = client
        # Apart from the relay's own "handoff:<sender>" notice keys (channels.stores).
        self._index = f"{prefix}gateway:inbox:open"
        self._prefix = f"{prefix}gateway:inbox:handoff:"

    @classmethod
    def from_url(
        cls, url: str, prefix: str, *, timeout_s: float = 2.0
    ) -> "RedisHandoffStore":
        """A store over a new client for ``url`` (nothing connects yet)."""
        client = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
        )
        return cls(client, prefix)

    async def _call(self, operation: Any) -> Any:
        try:
            return await operation
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def put(self, record: HandoffRecord, ttl_s: float) -> None:
        """Store (or replace) ``record``; it expires after ``ttl_s``."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._prefix + record.sender, record.to_json(), px=_ms(ttl_s))
        pipe.zadd(self._index, {record.sender: record.opened_at})
        await self._call(pipe.execute())

    async def get(self, sender: str) -> HandoffRecord | None:
        """The open record of ``sender``, or ``None``."""
        raw = await self._call(self._redis.get(self._prefix + sender))
        return None if raw is None else _parse(raw)

    async def remove(self, sender: str) -> bool:
        """Close the record; ``True`` if there was one."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._prefix + sender)
        pipe.zrem(self._index, sender)
        deleted, _removed = await self._call(pipe.execute())
        return bool(deleted)

    async def list_open(self) -> list[HandoffRecord]:
        """Every open record, oldest handoff first."""
        senders = await self._call(self._redis.zrange(self._index, 0, MAX_OPEN - 1))
        if not senders:
            return []
        raws = await self._call(self._redis.mget([self._prefix + s for s in senders]))
        records: list[HandoffRecord] = []
        expired: list[str] = []
        for sender, raw in zip(senders, raws, strict=True):
            record = None if raw is None else _parse(raw)
            if record is None:
                expired.append(sender)
            else:
                records.append(record)
        if expired:
            await self._call(self._redis.zrem(self._index, *expired))
        return records

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def _parse(raw: str) -> HandoffRecord | None:
    try:
        return HandoffRecord.from_json(raw)
    except ValueError:
        log.error("inbox.record.unreadable")
        return None


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
