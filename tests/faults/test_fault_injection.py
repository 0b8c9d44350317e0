"""The assistant under failures: nothing lost, nothing done twice.

Each test says what the citizen sees, then proves from the sandbox's own
records that every write happened exactly once (or not at all).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from channels import texts
from tests.e2e.conftest import Admin
from tests.e2e.stack import http, start_gateway
from tests.e2e.test_exam_flows import (
    LEARNER,
    bookings,
    free_session,
    session_remaining,
    spoken,
)
from tests.faults.world import LEASE_S, Chat, World

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.redis]

UNREACHABLE = "暂时无法连接"
BACKEND_TIMEOUT_S = 3.0  # BACKEND_TIMEOUT_S's default: the action gives up here


def _booking_request(admin: Admin, skip: int) -> tuple[dict[str, object], str]:
    slot = free_session(admin, "科目二", "南山考场", skip=skip)
    period = "上午" if slot["period"] == "morning" else "下午"
    text = f"预约科目二 C1 {spoken(str(slot['date']))}{period} 南山考场 身份证{LEARNER}"
    return slot, text


def _held(admin: Admin) -> list[dict[str, object]]:
    return [b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]


def test_a_slow_booking_that_lands_late_is_not_booked_twice(
    world: World, admin: Admin
) -> None:
    """The citizen is told the system is unreachable; "重试" gets the one booking.

    The sandbox answers after the action's timeout but still books: the retry
    carries the same Idempotency-Key, so it gets that booking back.
    """
    slot, text = _booking_request(admin, skip=3)
    before = session_remaining(admin, slot)
    chat = world.chat()
    _, confirm = chat.say(text)
    assert "确认预约" in confirm, confirm
    world.faults(latency_ms=int((BACKEND_TIMEOUT_S + 1.5) * 1000))
    _, failed = chat.say("确认")
    assert UNREACHABLE in failed and "预约成功" not in failed, failed
    world.faults(latency_ms=0)
    time.sleep(2.5)  # the slow request completes in the sandbox meanwhile
    assert len(_held(admin)) == 1  # it did land, late
    _, retried = chat.say("重试")
    assert "预约成功" in retried, retried
    held = _held(admin)
    assert len(held) == 1 and str(held[0]["booking_code"]) in retried
    assert session_remaining(admin, slot) == before - 1


def test_a_fine_paid_while_the_back_end_is_down_then_retried(
    world: World, admin: Admin
) -> None:
    """Down mid-payment: told plainly, details kept; "重试" creates one payment order."""
    chat = world.chat()
    chat.say("缴纳罚款 决定书编号4403052600000011")
    world.faults(mode="down")
    _, failed = chat.say("确认")
    assert UNREACHABLE in failed, failed
    assert admin.get("/sandbox/v1/payments")["payments"] == []
    world.faults(mode="normal")
    _, retried = chat.say("重试")
    assert "缴款订单已生成" in retried, retried
    _, again = chat.say("重试")  # an eager second "重试": nothing left to retry
    assert "缴款订单已生成" not in again
    assert len(admin.get("/sandbox/v1/payments")["payments"]) == 1


def test_the_action_server_restarting_mid_form(world: World, admin: Admin) -> None:
    """During the outage the citizen gets a clear "try again" answer, never silence;
    afterwards the booking form goes on and books once."""
    slot, text = _booking_request(admin, skip=4)
    chat = world.chat()
    _, asked = chat.say("我要预约驾考")
    assert asked, "the form should ask something"
    world.stack.actions.stop()
    outcome, during = chat.say(text)
    assert during.strip(), "silence during the outage"
    assert outcome == "failed" and texts.UNAVAILABLE in during, (outcome, during)
    world.restart_actions()
    _, resumed = chat.say(text)
    assert "确认预约" in resumed, resumed
    _, done = chat.say("确认")
    assert "预约成功" in done, done
    assert len(_held(admin)) == 1
    assert session_remaining(admin, slot) >= 0


def test_redis_restarting_mid_conversation(world: World, admin: Admin) -> None:
    """Redis loses everything: the conversation restarts politely, no crash, no
    stuck lock, the gateway still answers, and the next errand works."""
    _slot, text = _booking_request(admin, skip=5)
    chat = world.chat()
    _, confirm = chat.say(text)
    assert "确认预约" in confirm, confirm
    world.redis.restart()
    outcome, after = chat.say("确认")
    assert outcome in ("answered", "failed") and after.strip(), (outcome, after)
    assert "预约成功" not in after  # the pending confirmation was lost with Redis
    assert _held(admin) == []
    _, hours = chat.say("南山车管所几点下班")
    assert "南山" in hours, hours
    _, again = chat.say(text)
    assert "确认预约" in again, again
    _, done = chat.say("确认")
    assert "预约成功" in done, done
    assert len(_held(admin)) == 1
    status, body = http("GET", world.gateway.url + "/health")
    assert status == 200, body


def _user_turns(world: World, conversation: str) -> list[str]:
    status, body = http(
        "GET", f"{world.gateway.url}/web/api/history?conversation_id={conversation}"
    )
    assert status == 200, body
    return [m["text"] for m in body["messages"] if m["role"] == "user"]


def test_duplicated_and_late_redeliveries_make_one_turn_each(
    world: World, admin: Admin
) -> None:
    """A client resending the same message (concurrently, and late after newer
    ones) gets the first answer back; Rasa sees each message once, in order."""
    chat = world.chat()
    first_id = "11111111-1111-4111-8111-111111111111"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: chat.say("南山车管所几点下班", first_id), range(8))
        )
    assert len({text for _, text in answers}) == 1 and "南山" in answers[0][1]
    chat.say("福田车管所在哪")
    _outcome, late = chat.say("南山车管所几点下班", first_id)  # late redelivery
    assert late == answers[0][1]
    assert _user_turns(world, chat.conversation) == [
        "南山车管所几点下班",
        "福田车管所在哪",
    ]


def test_one_rasa_instance_killed_under_load(world: World, admin: Admin) -> None:
    """Two Rasa instances on one Redis, each behind a gateway; citizens alternate
    between them and one instance is SIGKILLed midway. Every message gets an
    answer or a clear failure ("系统繁忙…请稍后再试"); resent, it is answered once
    the dead instance's lease on the conversation has expired (LEASE_S); nothing
    is booked twice."""
    second = world.stack.start_rasa("rasa-killed")
    gateway_b = start_gateway(
        second.url,
        world.work,
        {
            "REDIS_URL": world.redis.url,
            "REDIS_PREFIX": "govbotfaults:",
            "SMS_SANDBOX": "false",
            "GATEWAY_RATE_LIMIT_PER_MINUTE": "1000",
            "GATEWAY_RASA_TIMEOUT_S": "15",
        },
        name="gateway-b",
    )
    world.stack.processes.append(gateway_b)
    _slot, booking = _booking_request(admin, skip=6)
    script = ["南山车管所几点下班", "居住证怎么办", "福田车管所在哪", "护照怎么办"] * 3
    results: list[tuple[str, str, str]] = []
    refused: list[str] = []  # first attempts that met the dead instance
    lock = threading.Lock()

    def citizen(number: int) -> None:
        conversation = str(uuid.uuid4())
        for turn, text in enumerate(script):
            gateway = (world.gateway.url, gateway_b.url)[(number + turn) % 2]
            outcome, reply = Chat(gateway, conversation).say(text)
            if outcome == "failed":
                with lock:
                    refused.append(text)
            deadline = time.monotonic() + 6 * LEASE_S
            # A clear failure: the citizen (or the provider) resends through the
            # surviving gateway; the killed instance's lease on the
            # conversation expires after LEASE_S.
            while outcome == "failed" and time.monotonic() < deadline:
                time.sleep(2)
                outcome, reply = Chat(world.gateway.url, conversation).say(text)
            with lock:
                results.append((text, outcome, reply))

    with ThreadPoolExecutor(max_workers=6) as pool:
        running = [pool.submit(citizen, n) for n in range(6)]
        time.sleep(0.5)
        second.popen.send_signal(signal.SIGKILL)
        for future in running:
            future.result(timeout=120)
    assert len(results) == 6 * len(script)
    bad = [r for r in results if r[1] != "answered" or not r[2].strip()]
    assert bad == [], bad
    assert refused, "the kill happened after the load: nothing was tested"

    # The booking after the kill, through the surviving instance: exactly one.
    chat = world.chat()
    chat.say(booking)
    _, done = chat.say("确认")
    assert "预约成功" in done, done
    _, _again = chat.say("确认")  # a double-tapped confirmation
    assert len(_held(admin)) == 1
    gateway_b.stop()
