"""Rasa on Redis: trackers survive a restart and locks serialise instances.

One real ``redis-server`` (password, database 2, no persistence), the stack
started with the endpoints and variables the launcher derives from
``REDIS_URL``, then a second Rasa instance on the same Redis.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis

from bot.launcher import endpoints_file, rasa_env
from bot.settings import load_settings
from tests.e2e.conftest import Admin, Citizen
from tests.e2e.stack import Process, Stack, free_port, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

PASSWORD = "e2e-redis-secret"
DB = 2
PREFIX = "govbote2e"
TTL_S = 600
LEARNER = "440305199812240036"  # seeded learner who may book 科目二


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    """A throwaway Redis server; the client reads database ``DB``."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            PASSWORD,
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(
        host="127.0.0.1", port=port, db=DB, password=PASSWORD, decode_responses=True
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def stack(
    store: redis.Redis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The stack on Redis, configured exactly as the launcher would."""
    kwargs = store.connection_pool.connection_kwargs
    settings = load_settings(
        {
            "REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{kwargs['port']}/{DB}",
            "REDIS_PREFIX": f"{PREFIX}:",
            "REDIS_TRACKER_TTL_S": str(TTL_S),
        }
    )
    redis_vars = {
        name: value
        for name, value in rasa_env(settings, {}).items()
        if name.startswith("REDIS_")
    }
    running = start_stack(
        Path(tmp_path_factory.mktemp("stack")), redis_vars, endpoints_file(settings)
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def second(stack: Stack) -> Process:
    """Another Rasa instance, same model, same Redis."""
    return stack.start_rasa("rasa-b")


@pytest.fixture
def admin(stack: Stack) -> Admin:
    client = Admin(stack.sandbox.url)
    client.reset()
    return client


def talker(rasa: Process, sender: str | None = None) -> Citizen:
    """A citizen on ``rasa``; with ``sender``, the same conversation."""
    citizen = Citizen(rasa.url)
    if sender is not None:
        citizen.sender = sender
    return citizen


def tracker(store: redis.Redis, sender: str) -> dict[str, Any]:
    raw = store.get(f"{PREFIX}:tracker:{sender}")
    assert raw is not None, f"no tracker for {sender}: {store.keys('*')}"
    data: dict[str, Any] = json.loads(raw)
    return data


def user_texts(store: redis.Redis, sender: str) -> list[str]:
    return [
        str(e.get("text"))
        for e in tracker(store, sender)["events"]
        if e.get("event") == "user"
    ]


def free_session(admin: Admin, subject: str, site: str) -> dict[str, Any]:
    slots = admin.get(
        f"/traffic/v1/exam-slots?subject={quote(subject)}&site={quote(site)}"
    )["slots"]
    candidates = [s for s in slots if s["remaining"] >= 3]
    assert len(candidates) > 2, slots
    return candidates[2]


def when(slot: dict[str, Any]) -> str:
    """``12月2日上午``, as a citizen writes a session."""
    day = date.fromisoformat(slot["date"])
    period = "上午" if slot["period"] == "morning" else "下午"
    return f"{day.month}月{day.day}日{period}"


def exam_bookings(admin: Admin) -> list[dict[str, Any]]:
    """The learner's 科目二 bookings (the seed holds a 科目一 one)."""
    found = admin.get(f"/sandbox/v1/exam-bookings?status=booked&id_number={LEARNER}")
    return [b for b in found["bookings"] if b["subject"] == "科目二"]


def test_tracker_lives_in_redis_under_the_prefix_with_an_expiry(
    stack: Stack, store: redis.Redis, admin: Admin
) -> None:
    citizen = talker(stack.rasa)
    assert citizen.say("你好")
    key = f"{PREFIX}:tracker:{citizen.sender}"
    assert user_texts(store, citizen.sender) == ["你好"]
    assert 0 < store.ttl(key) <= TTL_S
    # Every key under our prefix; the lock is gone once nobody waits.
    assert all(k.startswith(f"{PREFIX}:") for k in store.keys("*"))
    assert not store.exists(f"{PREFIX}:lock:{citizen.sender}")
    # Nothing in the default database: the URL's /2 was honoured.
    with redis.Redis(
        connection_pool=redis.ConnectionPool(
            **{**store.connection_pool.connection_kwargs, "db": 0}
        )
    ) as db0:
        assert db0.dbsize() == 0


def test_restarted_rasa_continues_the_form_and_books_once(
    stack: Stack, store: redis.Redis, admin: Admin
) -> None:
    slot = free_session(admin, "科目二", "南山考场")
    citizen = talker(stack.rasa)
    asked_date = citizen.text(citizen.say("预约科目二 C1"))
    assert "哪一天" in asked_date, asked_date
    asked_site = citizen.text(citizen.say(when(slot)))
    assert "考场" in asked_site, asked_site

    old = stack.rasa
    old.stop()
    assert old.popen.poll() is not None
    stack.rasa = stack.start_rasa("rasa-restarted")

    again = talker(stack.rasa, citizen.sender)
    asked_id = again.text(again.say("南山考场"))
    assert "身份证" in asked_id, asked_id  # subject, class, date, period kept
    confirm = again.text(again.say(LEARNER))
    assert "确认预约" in confirm and "科目二" in confirm and "C1" in confirm, confirm
    done = again.text(again.say("确认"))
    assert "预约成功！" in done, done
    held = exam_bookings(admin)
    assert len(held) == 1, held
    assert (held[0]["subject"], held[0]["date"], held[0]["site"]) == (
        "科目二",
        slot["date"],
        "南山考场",
    )
    assert held[0]["booking_code"] in done


def test_two_instances_alternating_keep_one_conversation(
    stack: Stack, second: Process, store: redis.Redis, admin: Admin
) -> None:
    slot = free_session(admin, "科目二", "龙岗考场")
    a = talker(stack.rasa)
    b = talker(second, a.sender)
    assert "哪一天" in a.text(a.say("预约科目二 C2"))
    assert "考场" in b.text(b.say(when(slot)))
    assert "身份证" in a.text(a.say("龙岗考场"))
    confirm = b.text(b.say(LEARNER))
    assert "确认预约" in confirm and "C2" in confirm, confirm
    done = a.text(a.say("确认"))
    assert "预约成功！" in done, done
    held = exam_bookings(admin)
    assert [(h["license_class"], h["site"], h["date"]) for h in held] == [
        ("C2", "龙岗考场", slot["date"])
    ]
    assert user_texts(store, a.sender) == [
        "预约科目二 C2",
        when(slot),
        "龙岗考场",
        LEARNER,
        "确认",
    ]


def test_lock_in_redis_makes_both_instances_wait_their_turn(
    stack: Stack, second: Process, store: redis.Redis, admin: Admin
) -> None:
    a = talker(stack.rasa)
    b = talker(second, a.sender)
    lock_key = f"{PREFIX}:lock:{a.sender}"
    # Another replica is "busy" with this conversation for a few seconds:
    # a ticket lock as Rasa writes it (rasa/core/lock.py), ticket 0 held.
    hold_s = 3.0
    held_until = time.time() + hold_s
    ticket = json.dumps({"number": 0, "expires": held_until})
    store.set(lock_key, json.dumps({"conversation_id": a.sender, "tickets": [ticket]}))

    def waiting() -> list[int]:
        raw = store.get(lock_key)
        if raw is None:
            return []
        return [json.loads(t)["number"] for t in json.loads(raw)["tickets"]]

    def until(condition: Any) -> None:
        deadline = time.monotonic() + hold_s
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(a.say, "你好")
        until(lambda: waiting() == [0, 1])
        assert waiting() == [0, 1], "instance A took no ticket in Redis"
        later = pool.submit(b.say, "谢谢")
        until(lambda: waiting() == [0, 1, 2])
        assert waiting() == [0, 1, 2], "instance B took no ticket in Redis"
        assert not first.done() and not later.done()
        assert first.result(timeout=60) and later.result(timeout=60)
    assert time.time() >= held_until
    # A served first and completely, then B; nothing left behind.
    events = tracker(store, a.sender)["events"]
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    assert [events[i]["text"] for i in users] == ["你好", "谢谢"]
    between = events[users[0] : users[1]]
    assert any(e.get("event") == "bot" for e in between), between
    assert between[-1].get("name") == "action_listen", between[-1]
    assert not store.exists(lock_key)
