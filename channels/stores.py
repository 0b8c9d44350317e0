"""Gateway state: first-seen claims, short-lived values and rate counters.

One small async interface serves every piece of state the relay keeps between
messages: dedupe claims (by message id), the choices last offered to a
conversation, opt-out flags, the "handed off" notice and per-sender rate
counters. ``MemoryStore`` is the embedded default (one process, bounded);
``RedisStore`` is used when ``REDIS_URL`` is set, so that several gateway
replicas share it. Callers pass logical keys (``"dedupe:…"``) built from
pseudonyms, never raw personal data (rule R5); the store adds its namespace.
"""

import asyncio
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.settings import Settings

__all__ = [
    "GatewayStore",
    "MemoryStore",
    "RedisStore",
    "StoreUnavailable",
    "open_store",
]

# INCR and the expiry of the window's first hit must be atomic: a crash
# between the two would leave a counter that never expires (sender blocked
# forever). A script runs atomically on every Redis version we may meet.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


# Connections per gateway process; beyond this, calls queue for a free one.
MAX_CONNECTIONS = 50


class StoreUnavailable(Exception):
    """The store could not be reached or answered with an error."""


class GatewayStore(ABC):
    """The gateway's key-value state; every value is a short string."""

    @abstractmethod
    async def claim(self, key: str, ttl_s: float, value: str = "1") -> bool:
        """Set ``key`` to ``value`` unless it exists; ``True`` if it was set."""

    @abstractmethod
    async def put(self, key: str, value: str, ttl_s: float | None) -> None:
        """Store ``value`` under ``key`` (``ttl_s=None``: no expiry)."""

    @abstractmethod
    async def get(self, key: str) -> str | None:
        """The value under ``key``, or ``None`` if absent or expired."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""

    @abstractmethod
    async def hit(self, key: str, window_s: float) -> int:
        """Count one event in a fixed window that starts at its first hit."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class MemoryStore(GatewayStore):
    """Per-process store with expiries and a size bound.

    When more than ``max_entries`` keys are live, expired keys are dropped
    first, then the least recently written ones. A dedupe claim evicted that
    way makes an old redelivery look new, so size the bound well above the
    number of messages expected per dedupe TTL (the default fits ~1 message/s
    for a day). Flags stored without expiry can be evicted too: use Redis when
    they must last.
    """

    def __init__(
        self,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[str, float | None]] = OrderedDict()

    def _live(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= self._clock():
            del self._entries[key]
            return None
        return value

    def _write(self, key: str, value: str, expires: float | None) -> None:
        self._entries[key] = (value, expires)
        self._entries.move_to_end(key)
        if len(self._entries) > self._max:
            self._shrink()

    def _shrink(self) -> None:
        now = self._clock()
        for key in [
            k for k, (_, exp) in self._entries.items() if exp is not None and exp <= now
        ]:
            del self._entries[key]
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def _expiry(self, ttl_s: float | None) -> float | None:
        return None if ttl_s is None else self._clock() + ttl_s

    async def claim(self, key: str, ttl_s: float, value: str = "1") -> bool:
        """Set ``key`` to ``value`` unless it exists; ``True`` if it was set."""
        if self._live(key) is not None:
            return False
        self._write(key, value, self._expiry(ttl_s))
        return True

    async def put(self, key: str, value: str, ttl_s: float | None) -> None:
        """Store ``value`` under ``key`` (``ttl_s=None``: no expiry)."""
        self._write(key, value, self._expiry(ttl_s))

    async def get(self, key: str) -> str | None:
        """The value under ``key``, or ``None`` if absent or expired."""
        return self._live(key)

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        self._entries.pop(key, None)

    async def hit(self, key: str, window_s: float) -> int:
        """Count one event in a fixed window that starts at its first hit."""
        current = self._live(key)
        if current is None:
            self._write(key, "1", self._expiry(window_s))
            return 1
        count = int(current) + 1
        # The window keeps the expiry set by its first hit.
        self._entries[key] = (str(count), self._entries[key][1])
        return count

    async def close(self) -> None:
        """Nothing to release."""

    def __len__(self) -> int:
        return len(self._entries)


class RedisStore(GatewayStore):
    """Store shared by gateway replicas: ``SET NX PX`` claims, scripted counters.

    Every call is bounded by the client's socket timeouts and raises
    ``StoreUnavailable`` on any Redis or connection error.
    """

    def __init__(self, client: "aioredis.Redis", prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT_SCRIPT)

    @classmethod
    def from_url(cls, url: str, prefix: str, *, timeout_s: float = 2.0) -> "RedisStore":
        """A store over a new client for ``url`` (nothing connects yet)."""
        # A blocking pool makes a burst wait (up to ``timeout_s``) for a free
        # connection; redis-py's default pool raises at once when exhausted.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=timeout_s,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
        )
        return cls(aioredis.Redis.from_pool(pool), prefix)

    def _key(self, key: str) -> str:
        return f"{self._prefix}gateway:{key}"

    async def _call(self, operation: Any) -> Any:
        try:
            return await operation
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def claim(self, key: str, ttl_s: float, value: str = "1") -> bool:
        """Set ``key`` to ``value`` unless it exists; ``True`` if it was set."""
        done = await self._call(
            self._redis.set(self._key(key), value, nx=True, px=_ms(ttl_s))
        )
        return bool(done)

    async def put(self, key: str, value: str, ttl_s: float | None) -> None:
        """Store ``value`` under ``key`` (``ttl_s=None``: no expiry)."""
        px = None if ttl_s is None else _ms(ttl_s)
        await self._call(self._redis.set(self._key(key), value, px=px))

    async def get(self, key: str) -> str | None:
        """The value under ``key``, or ``None`` if absent or expired."""
        value = await self._call(self._redis.get(self._key(key)))
        return None if value is None else str(value)

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        await self._call(self._redis.delete(self._key(key)))

    async def hit(self, key: str, window_s: float) -> int:
        """Count one event in a fixed window that starts at its first hit."""
        count = await self._call(self._hit(keys=[self._key(key)], args=[_ms(window_s)]))
        return int(count)

    async def ttl_ms(self, key: str) -> int:
        """Remaining lifetime of ``key`` in ms (-1: no expiry, -2: absent)."""
        return int(await self._call(self._redis.pttl(self._key(key))))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def open_store(settings: Settings) -> GatewayStore:
    """Redis when ``REDIS_URL`` is set, else the in-memory store."""
    if settings.redis_url:
        return RedisStore.from_url(settings.redis_url, settings.redis_prefix)
    return MemoryStore()
