"""MemoryStore and RedisStore keep the same promises (the Redis one for real)."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.settings import load_settings
from channels.stores import (
    GatewayStore,
    MemoryStore,
    RedisStore,
    StoreUnavailable,
    open_store,
)
from tests.channels.gateway.redis_server import free_port


class Clock:
    """A hand-driven monotonic clock for the memory store."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[GatewayStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_url")
    redis_store = RedisStore.from_url(url, f"t-{uuid.uuid4().hex[:8]}:")
    yield redis_store
    await redis_store.close()


async def test_claim_is_true_only_the_first_time(store: GatewayStore) -> None:
    assert await store.claim("dedupe:a", 60) is True
    assert await store.claim("dedupe:a", 60) is False
    assert await store.claim("dedupe:b", 60) is True


async def test_claim_stores_its_value(store: GatewayStore) -> None:
    assert await store.claim("dedupe:v", 60, "pending") is True
    assert await store.get("dedupe:v") == "pending"
    assert await store.claim("dedupe:v", 60, "other") is False
    assert await store.get("dedupe:v") == "pending"


async def test_concurrent_claims_have_one_winner(store: GatewayStore) -> None:
    results = await asyncio.gather(*(store.claim("dedupe:x", 60) for _ in range(20)))
    assert results.count(True) == 1


async def test_put_get_delete(store: GatewayStore) -> None:
    assert await store.get("choices:s") is None
    await store.put("choices:s", "科目一", 60)
    assert await store.get("choices:s") == "科目一"
    await store.put("choices:s", "科目二", None)
    assert await store.get("choices:s") == "科目二"
    await store.delete("choices:s")
    await store.delete("choices:s")
    assert await store.get("choices:s") is None


async def test_hit_counts_within_a_window(store: GatewayStore) -> None:
    assert [await store.hit("rate:s", 60) for _ in range(3)] == [1, 2, 3]
    assert await store.hit("rate:other", 60) == 1


@pytest.mark.redis
async def test_redis_values_expire_and_counters_always_get_a_ttl(
    redis_url: str,
) -> None:
    store = RedisStore.from_url(redis_url, f"t-{uuid.uuid4().hex[:8]}:")
    try:
        await store.claim("dedupe:e", 0.2)
        await store.put("v", "1", 0.2)
        assert await store.hit("rate:e", 60) == 1
        assert await store.hit("rate:e", 60) == 2
        # The window keeps the expiry of its first hit and never loses it.
        assert 0 < await store.ttl_ms("rate:e") <= 60_000
        await store.put("optout:e", "1", None)
        assert await store.ttl_ms("optout:e") == -1
        await asyncio.sleep(0.35)
        assert await store.claim("dedupe:e", 60) is True
        assert await store.get("v") is None
    finally:
        await store.close()


@pytest.mark.redis
async def test_redis_keys_live_under_the_prefix(redis_url: str) -> None:
    import redis.asyncio as aioredis

    prefix = f"t-{uuid.uuid4().hex[:8]}:"
    store = RedisStore.from_url(redis_url, prefix)
    raw = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        await store.put("choices:web:abc", "x", 60)
        await store.hit("rate:web:abc", 60)
        keys = sorted(await raw.keys(f"{prefix}*"))
        assert keys == [
            f"{prefix}gateway:choices:web:abc",
            f"{prefix}gateway:rate:web:abc",
        ]
    finally:
        await raw.aclose()
        await store.close()


async def test_memory_expiry_follows_the_clock() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    await store.claim("dedupe:a", 10)
    await store.put("v", "1", 5)
    assert await store.hit("rate:a", 60) == 1
    clock.now += 5
    assert await store.get("v") is None
    assert await store.claim("dedupe:a", 10) is False
    clock.now += 5
    assert await store.claim("dedupe:a", 10) is True
    assert await store.hit("rate:a", 60) == 2
    clock.now += 51
    assert await store.hit("rate:a", 60) == 1


async def test_memory_store_is_bounded_expired_first_then_oldest() -> None:
    clock = Clock()
    store = MemoryStore(max_entries=3, clock=clock)
    await store.put("short", "1", 1)
    await store.put("old", "1", None)
    await store.put("mid", "1", None)
    clock.now += 2
    await store.put("new", "1", None)
    assert len(store) == 3
    assert await store.get("old") == "1"
    await store.put("newest", "1", None)
    assert len(store) == 3
    assert await store.get("old") is None
    assert await store.get("newest") == "1"


async def test_unreachable_redis_raises_store_unavailable() -> None:
    store = RedisStore.from_url(
        f"redis://127.0.0.1:{free_port()}/0", "t:", timeout_s=0.5
    )
    try:
        with pytest.raises(StoreUnavailable):
            await store.claim("dedupe:a", 60)
        with pytest.raises(StoreUnavailable):
            await store.hit("rate:a", 60)
        with pytest.raises(StoreUnavailable):
            await store.get("v")
    finally:
        await store.close()


def test_open_store_follows_redis_url() -> None:
    assert isinstance(open_store(load_settings({})), MemoryStore)
    chosen = open_store(load_settings({"REDIS_URL": "redis://127.0.0.1:1/0"}))
    assert isinstance(chosen, RedisStore)
