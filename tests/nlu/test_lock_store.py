"""The atomic Redis lock store, against a real redis-server and real OS processes.

Unit behaviour first (tickets, order, release, expiry on Redis's clock,
timeouts, Redis down), then several processes, each with its own store like
separate Rasa replicas, hammering one conversation: the critical sections
must never interleave and must run in ticket (arrival) order. The same
hammer against Rasa's stock ``RedisLockStore`` documents why it is replaced.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.lock_store import AtomicRedisLockStore
from tests.nlu.conftest import REDIS_PASSWORD, free_port

pytestmark = [pytest.mark.engine, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = REDIS_PASSWORD
DB = 5
PREFIX = "locktest"


@pytest.fixture(scope="module")
def server(redis_server: tuple[int, str]) -> int:
    """The shared throwaway redis-server's port (tests/nlu/conftest.py)."""
    return redis_server[0]


@pytest.fixture
def red(server: int) -> Iterator[redis.Redis]:
    """A plain client on the test database, emptied after each test."""
    client = redis.Redis(port=server, db=DB, password=PASSWORD, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def make_store(port: int, **options: Any) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(
        host="127.0.0.1",
        port=port,
        db=DB,
        password=PASSWORD,
        key_prefix=PREFIX,
        **options,
    )


@pytest.fixture
def store(server: int, red: redis.Redis) -> AtomicRedisLockStore:
    return make_store(server, acquire_timeout=5, poll_interval=0.01)


def tickets(red: redis.Redis, sender: str) -> list[int]:
    raw = red.get(f"{PREFIX}:lock:{sender}")
    if raw is None:
        return []
    return [json.loads(t)["number"] for t in json.loads(raw)["tickets"]]


# -- configuration ----------------------------------------------------------


def test_rasa_builds_it_from_endpoints_with_expanded_strings(
    tmp_path: Path,
) -> None:
    # What Rasa hands over after expanding ${REDIS_*}: every value a string.
    path = tmp_path / "endpoints.yml"
    path.write_text(
        "lock_store:\n"
        "  type: bot.lock_store.AtomicRedisLockStore\n"
        "  url: redis.internal\n  port: '6380'\n  db: '3'\n"
        "  username: ''\n  password: ''\n  use_ssl: ''\n  key_prefix: govbot\n"
        "  socket_timeout: 1.5\n  socket_connect_timeout: 0.5\n"
        "  acquire_timeout: '12'\n  lock_lifetime: 45\n"
    )
    store = LockStore.create(read_endpoint_config(str(path), "lock_store"))
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key("u1") == "govbot:lock:u1"
    assert (store.acquire_timeout_s, store.lock_lifetime_s) == (12.0, 45.0)
    kwargs = store.red.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.internal", 6380, 3)
    assert kwargs["password"] is None and kwargs["username"] is None
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (1.5, 0.5)
    assert type(store.red.connection_pool.make_connection()).__name__ == "Connection"


def test_misconfiguration_fails_at_start() -> None:
    with pytest.raises(ValueError, match="key_prefix"):
        AtomicRedisLockStore(key_prefix="gov:bot")
    with pytest.raises(ValueError, match="use_ssl"):
        AtomicRedisLockStore(use_ssl="maybe")
    tls = AtomicRedisLockStore(use_ssl="true").red.connection_pool.make_connection()
    assert type(tls).__name__ == "SSLConnection"


# -- one process ---------------------------------------------------------------


async def test_tickets_are_numbered_in_arrival_order_and_released(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    first = await store.take_ticket("u1")
    second = await store.take_ticket("u1")
    third = await store.take_ticket("u1")
    assert [first.number, second.number, third.number] == [0, 1, 2]
    assert tickets(red, "u1") == [0, 1, 2]
    # Rasa's own TicketLock reads the value (same JSON layout as the stock store).
    lock = TicketLock.from_dict(json.loads(red.get(f"{PREFIX}:lock:u1") or ""))
    assert lock.now_serving == 0 and lock.last_issued == 2
    held = await store.wait_for_turn(first)
    assert held.now_serving == 0
    await store.give_back(second)  # a waiter that gave up
    assert tickets(red, "u1") == [0, 2]
    await store.give_back(first)
    assert (await store.wait_for_turn(third)).now_serving == 2
    await store.give_back(third)
    assert red.keys("*") == []
    await store.aclose()


async def test_waiters_are_served_first_come_first_served(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    served: list[int] = []

    async def message(n: int, ticket: Any) -> None:
        await store.wait_for_turn(ticket)
        try:
            served.append(n)
            await asyncio.sleep(0.005)
        finally:
            await store.give_back(ticket)

    tasks = []
    for n in range(8):
        ticket = await store.take_ticket("u1")
        tasks.append(asyncio.create_task(message(n, ticket)))
    await asyncio.gather(*tasks)
    assert served == list(range(8))
    assert red.keys("*") == []
    await store.aclose()


async def test_held_key_has_a_ttl_and_is_gone_afterwards(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    async with store.lock("u1", lock_lifetime=20) as held:
        assert isinstance(held, TicketLock) and held.now_serving == 0
        assert 19_000 < red.pttl(f"{PREFIX}:lock:u1") <= 21_000
    assert red.keys("*") == []
    await store.aclose()


async def test_the_lock_is_released_when_the_turn_raises(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    with pytest.raises(RuntimeError):
        async with store.lock("u1"):
            raise RuntimeError("action failed")
    assert red.keys("*") == []
    await store.aclose()


async def test_a_cancelled_message_leaves_no_ticket_behind(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    # Sanic cancels the handler of a request whose client went away.
    holder = await store.take_ticket("u1")
    await store.wait_for_turn(holder)

    async def message() -> None:
        async with store.lock("u1"):
            pytest.fail("entered a held lock")

    waiting = asyncio.create_task(message())
    deadline = time.monotonic() + 3
    while tickets(red, "u1") != [0, 1] and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert tickets(red, "u1") == [0, 1]
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert tickets(red, "u1") == [0]
    # Cancelled while its ticket is being issued (Redis holds the script
    # back for a moment): the ticket issued after all is handed back.
    red.execute_command("CLIENT", "PAUSE", "400", "WRITE")
    early = asyncio.create_task(message())
    await asyncio.sleep(0.1)
    early.cancel()
    with pytest.raises(asyncio.CancelledError):
        await early
    last_issued = 1
    while time.monotonic() < deadline:
        raw = json.loads(red.get(f"{PREFIX}:lock:u1") or "{}")
        last_issued = raw.get("last_issued")
        if last_issued == 2 and tickets(red, "u1") == [0]:
            break
        await asyncio.sleep(0.01)
    assert last_issued == 2, "the cancelled message's ticket was never issued"
    assert tickets(red, "u1") == [0]
    await store.give_back(holder)
    assert red.keys("*") == []
    await store.aclose()


async def test_a_waiter_gives_up_with_lock_error_and_leaves_the_queue(
    server: int, red: redis.Redis
) -> None:
    holder = make_store(server)
    waiter = make_store(server, acquire_timeout=0.3, poll_interval=0.02)
    ticket = await holder.take_ticket("u1")
    await holder.wait_for_turn(ticket)
    started = time.monotonic()
    with pytest.raises(LockError, match=r"within 0\.3 s"):
        async with waiter.lock("u1"):
            pytest.fail("entered a held lock")
    assert 0.25 < time.monotonic() - started < 5
    assert tickets(red, "u1") == [0]  # the waiter's ticket is gone
    await holder.give_back(ticket)
    assert red.keys("*") == []
    await holder.aclose()
    await waiter.aclose()


async def test_a_crashed_holder_expires_and_its_late_release_harms_nobody(
    server: int, red: redis.Redis
) -> None:
    crashed = make_store(server, lock_lifetime=0.3)
    ticket = await crashed.take_ticket("u1")
    await crashed.wait_for_turn(ticket)  # ... and never gives it back
    other = make_store(server, acquire_timeout=5, poll_interval=0.02)
    started = time.monotonic()
    async with other.lock("u1"):
        assert 0.2 < time.monotonic() - started < 5
    # The orphan key expires by itself.
    deadline = time.monotonic() + 3
    while red.exists(f"{PREFIX}:lock:u1") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert red.keys("*") == []
    # A new message gets ticket 0 again; the crashed holder's late release
    # (same number, other token) must not free it.
    fresh = await other.take_ticket("u1")
    assert fresh.number == ticket.number == 0
    await crashed.give_back(ticket)
    assert tickets(red, "u1") == [0]
    await other.give_back(fresh)
    assert red.keys("*") == []
    await crashed.aclose()
    await other.aclose()


async def test_expiry_is_judged_by_the_redis_clock_not_the_replica_clock(
    server: int, red: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = make_store(server, lock_lifetime=60)
    ticket = await holder.take_ticket("u1")
    await holder.wait_for_turn(ticket)
    # A replica whose clock runs an hour ahead: with Rasa's time.time()
    # expiry it would see the holder's ticket as long expired and go in.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    skewed = make_store(server, acquire_timeout=0.3, poll_interval=0.02)
    with pytest.raises(LockError, match="within"):
        async with skewed.lock("u1"):
            pytest.fail("a skewed clock broke the lock")
    lock = skewed.get_lock("u1")  # expiries shown on the local (skewed) clock
    assert (
        lock is not None and lock.now_serving == 0 and not lock.tickets[0].has_expired()
    )
    monkeypatch.undo()
    await holder.give_back(ticket)
    await holder.aclose()
    await skewed.aclose()


async def test_a_lock_written_by_rasa_is_honoured(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    # Rolling upgrade: a lock as the stock store writes it (rasa/core/lock.py).
    held = TicketLock("u1")
    held.issue_ticket(0.3)
    red.set(f"{PREFIX}:lock:u1", held.dumps())
    started = time.monotonic()
    async with store.lock("u1") as mine:
        assert mine.now_serving == 1
        assert 0.2 < time.monotonic() - started < 5
    assert red.keys("*") == []
    await store.aclose()


# -- Redis unreachable ---------------------------------------------------------


async def test_redis_down_is_a_clear_lock_error(red: redis.Redis) -> None:
    nobody = make_store(free_port(), socket_connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(LockError, match="Redis lock store unavailable"):
        async with nobody.lock("u1"):
            pytest.fail("locked without Redis")
    assert time.monotonic() - started < 5
    with pytest.raises(LockError):
        nobody.issue_ticket("u1")
    await nobody.aclose()


async def test_a_silent_redis_times_out_instead_of_hanging() -> None:
    # Accepts TCP connections (kernel backlog) and never answers.
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(16)
        silent = make_store(mute.getsockname()[1], socket_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(LockError, match="unavailable"):
            async with silent.lock("u1"):
                pytest.fail("locked without Redis")
        assert time.monotonic() - started < 5
        await silent.aclose()


# -- Rasa's synchronous LockStore API ------------------------------------------


def test_the_synchronous_api_is_atomic_too(
    store: AtomicRedisLockStore, red: redis.Redis
) -> None:
    assert store.get_lock("u1") is None and not store.is_someone_waiting("u1")
    assert [store.issue_ticket("u1", 30) for _ in range(3)] == [0, 1, 2]
    lock = store.get_lock("u1")
    assert lock is not None and [t.number for t in lock.tickets] == [0, 1, 2]
    assert all(25 < t.expires - time.time() <= 30.5 for t in lock.tickets)
    store.finish_serving("u1", 0)
    assert tickets(red, "u1") == [1, 2] and store.is_someone_waiting("u1")
    store.cleanup("u1", 1)
    store.cleanup("u1", 2)
    assert red.keys("*") == []
    store.issue_ticket("u1")
    store.delete_lock("u1")
    assert red.keys("*") == []
    with pytest.raises(NotImplementedError):
        store.save_lock(TicketLock("u1"))


# -- several processes, one conversation ----------------------------------------

# One "replica": its own store, waits at a barrier, then takes tickets for
# `count` messages in order and runs each turn as a task; every turn writes
# start/end markers. argv: port db kind count name sender password.
WORKER = """
import asyncio, random, sys
import redis
STUCK_S = 5
from bot.lock_store import AtomicRedisLockStore
from tests.nlu.conftest import REDIS_PASSWORD, free_port
from rasa.core.lock_store import RedisLockStore

port, db, kind, count, name, sender, password = sys.argv[1:8]
port, db, count = int(port), int(db), int(count)
log = redis.Redis(port=port, db=db, password=password, decode_responses=True)

async def turn(n, ticket_of):
    log.rpush("trace", f"start {name} {n} {ticket_of()}")
    await asyncio.sleep(random.uniform(0, 0.004))
    log.rpush("trace", f"end {name} {n} {ticket_of()}")

async def atomic():
    store = AtomicRedisLockStore(port=port, db=db, password=password,
        key_prefix="race", poll_interval=0.003, acquire_timeout=60)
    async def one(n, ticket):
        held = await store.wait_for_turn(ticket)
        try:
            await turn(n, lambda: held.now_serving)
        finally:
            await store.give_back(ticket)
    tasks = []
    for n in range(count):
        ticket = await store.take_ticket(sender)
        tasks.append(asyncio.create_task(one(n, ticket)))
        await asyncio.sleep(random.uniform(0, 0.002))
    await asyncio.gather(*tasks)
    await store.aclose()

async def stock():
    store = RedisLockStore(port=port, db=db, password=password, key_prefix="race")
    async def one(n):
        try:
            async with store.lock(sender, wait_time_in_seconds=0.003):
                await turn(n, lambda: "-")
        except Exception as exc:
            log.rpush("errors", f"{name} {n} {type(exc).__name__}")
    async def bounded(n):
        try:
            await asyncio.wait_for(one(n), STUCK_S)
        except asyncio.TimeoutError:
            log.rpush("errors", f"{name} {n} stuck")
    tasks = []
    for n in range(count):
        tasks.append(asyncio.create_task(bounded(n)))
        await asyncio.sleep(random.uniform(0, 0.002))
    await asyncio.gather(*tasks)

log.rpush("ready", name)
log.blpop(f"go:{name}", timeout=60)
asyncio.run(atomic() if kind == "atomic" else stock())
"""


def hammer(
    port: int, red: redis.Redis, kind: str, workers: int, count: int
) -> list[str]:
    """Runs ``workers`` processes at once on one conversation; returns the trace."""
    names = [f"p{i}" for i in range(workers)]
    argv = [sys.executable, "-c", WORKER, str(port), str(DB), kind, str(count)]
    procs = [
        subprocess.Popen(
            [*argv, name, "tg-10001", PASSWORD],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    try:
        deadline = time.monotonic() + 60
        while red.llen("ready") < workers:
            assert time.monotonic() < deadline, "workers did not start"
            assert all(p.poll() is None for p in procs), [
                p.communicate() for p in procs
            ]
            time.sleep(0.05)
        for name in names:  # release them together
            red.rpush(f"go:{name}", "go")
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err[-3000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return list(red.lrange("trace", 0, -1))


def overlaps(trace: list[str]) -> int:
    """How many turns started while another was still running."""
    running, overlapping = 0, 0
    for mark in trace:
        if mark.startswith("start"):
            overlapping += running > 0
            running += 1
        else:
            running -= 1
    return overlapping


def test_replicas_never_overlap_and_serve_in_arrival_order(
    server: int, red: redis.Redis
) -> None:
    workers, count = 4, 25
    trace = hammer(server, red, "atomic", workers, count)
    assert len(trace) == 2 * workers * count
    # Mutual exclusion: strictly start/end pairs of the same turn.
    starts, ends = trace[0::2], trace[1::2]
    assert all(s.startswith("start ") for s in starts), trace
    assert [e.split(" ", 1)[1] for e in ends] == [s.split(" ", 1)[1] for s in starts]
    assert overlaps(trace) == 0
    # FIFO: turns run in ticket order, i.e. in the order they reached Redis ...
    numbers = [int(s.split()[3]) for s in starts]
    # (A lock nobody holds or waits for is deleted, so its counter may start
    # again at 0 when the conversation was idle for an instant.)
    assert all(b == a + 1 or b == 0 for a, b in itertools.pairwise(numbers)), numbers
    # ... so each replica's messages run in the order that replica received them.
    for name in {s.split()[1] for s in starts}:
        mine = [int(s.split()[2]) for s in starts if s.split()[1] == name]
        assert mine == list(range(count)), (name, mine)
    # The replicas did interleave (otherwise this test proves nothing).
    owners = [s.split()[1] for s in starts]
    assert sum(a != b for a, b in itertools.pairwise(owners)) > workers
    assert red.keys("race:*") == []


def test_stock_redis_lock_store_lets_replicas_overlap(
    server: int, red: redis.Redis
) -> None:
    """Documents RasaHQ/rasa#9213 (why Rasa's ``redis`` lock store is replaced).

    The race is timing-dependent: when it does not show in a run the test is
    skipped rather than failed, so the suite stays deterministic.
    """
    trace = hammer(server, red, "stock", 4, 15)
    errors = red.lrange("errors", 0, -1)
    broken = overlaps(trace)
    if not broken and not errors:
        pytest.skip("the stock race did not show in this run")
    print(f"stock RedisLockStore: {broken} overlapping turns, errors {errors}")
