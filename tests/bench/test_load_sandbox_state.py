"""The final-state check: what citizens were told against what the sandbox holds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.load.measure import build_world
from bench.load.sandbox_state import Snapshot, check_final_state, take_snapshot
from tests.bench.helpers import ASK, BOOKED, BOOKING, LEARNER, RATE, transcript
from tests.support.sandbox_process import SandboxProcess, running_sandbox

SESSION = ("龙岗考场", "科目二", "2026-12-03", "afternoon")


def booking_row(code: str, id_number: str = LEARNER, **extra: str) -> dict[str, Any]:
    site, subject, day, period = SESSION
    row = {
        "booking_code": code,
        "id_number": id_number,
        "site": site,
        "subject": subject,
        "date": day,
        "period": period,
        "status": "booked",
    }
    return row | extra


def snapshot(seats: int, bookings: list[dict[str, Any]]) -> Snapshot:
    return Snapshot(
        seats={SESSION: seats}, bookings=bookings, tickets=[], payments=[], ratings=[]
    )


BEFORE = snapshot(5, [])
TOLD = {"booking_code": "KS12345678"}


def test_a_confirmed_booking_that_exists_once_is_exact() -> None:
    talk = transcript(BOOKING, [[ASK], [BOOKED, RATE]], context=TOLD)
    report = check_final_state(BEFORE, snapshot(4, [booking_row("KS12345678")]), [talk])
    assert report.problems == []
    assert report.figures["booking_confirmed"] == 1
    assert report.figures["booking_found"] == 1
    assert report.figures["double_bookings"] == 0


def test_a_confirmed_booking_missing_from_the_sandbox_is_found() -> None:
    talk = transcript(BOOKING, [[ASK], [BOOKED]], context=TOLD)
    report = check_final_state(BEFORE, snapshot(5, []), [talk])
    assert report.problems == ["booking of load-test-0: confirmed, found 0"]


def test_a_double_booking_is_found() -> None:
    talk = transcript(BOOKING, [[ASK], [BOOKED]], context=TOLD)
    after = snapshot(3, [booking_row("KS12345678"), booking_row("KS87654321")])
    report = check_final_state(BEFORE, after, [talk])
    assert report.figures["double_bookings"] == 1
    assert any("booked twice" in p for p in report.problems)
    assert any("found 2" in p for p in report.problems)


def test_a_booking_under_another_code_than_the_one_told_is_found() -> None:
    talk = transcript(
        BOOKING, [[ASK], [BOOKED]], context={"booking_code": "KS00000001"}
    )
    report = check_final_state(BEFORE, snapshot(4, [booking_row("KS12345678")]), [talk])
    assert report.problems == [
        "booking of load-test-0: told KS00000001, made KS12345678"
    ]


def test_a_booking_never_confirmed_must_not_exist() -> None:
    talk = transcript(BOOKING, [[]])  # the confirmation question never came
    report = check_final_state(BEFORE, snapshot(4, [booking_row("KS12345678")]), [talk])
    assert report.problems == ["booking of load-test-0: never asked, found 1"]


def test_an_unanswered_confirmation_may_have_booked_once() -> None:
    talk = transcript(BOOKING, [[ASK], []])
    after = snapshot(4, [booking_row("KS12345678")])
    assert check_final_state(BEFORE, after, [talk]).problems == []
    assert check_final_state(BEFORE, snapshot(5, []), [talk]).problems == []


def test_seats_that_do_not_add_up_are_found() -> None:
    talk = transcript(BOOKING, [[ASK], [BOOKED]], context=TOLD)
    report = check_final_state(BEFORE, snapshot(3, [booking_row("KS12345678")]), [talk])
    assert len(report.problems) == 1 and report.problems[0].startswith("seats of")


def test_a_booking_no_conversation_explains_is_found() -> None:
    stranger = booking_row("KS99999999", id_number="440305200301010015")
    report = check_final_state(BEFORE, snapshot(4, [stranger]), [])
    assert report.problems == ["1 booking(s) of 4403… no script made"]


class SignedAdmin:
    """The admin shape the benchmark uses, over the test sandbox's signed client."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.sandbox.request(method, path, body)

    def get(self, path: str) -> Any:
        return self.sandbox.admin("GET", path)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    with running_sandbox(Path(tmp_path_factory.mktemp("load-sandbox"))) as process:
        yield process


def test_against_a_real_sandbox_changes_nobody_asked_for_are_found(
    sandbox: SandboxProcess,
) -> None:
    admin = SignedAdmin(sandbox)
    world = build_world(admin, vehicles=3)
    assert world.sessions.seats_left() > 100 and len(world.tickets) == 3
    before = take_snapshot(admin)
    assert check_final_state(before, take_snapshot(admin), []).problems == []
    session = world.sessions.claim(random.Random(1))
    assert session is not None
    booking = {
        "id_number": "440305200301010007",
        "subject": session.subject,
        "license_class": "C1",
        "site": session.site,
        "date": session.date,
        "period": session.period,
    }
    status, _ = sandbox.request("POST", "/traffic/v1/exam-bookings", booking)
    assert status == 201
    ticket = {
        "type": "complaint",
        "content": "路灯坏了一个多月",
        "district": "南山",
        "phone": "13570000001",
    }
    status, _ = sandbox.request("POST", "/hotline/v1/tickets", ticket)
    assert status == 201
    status, _ = sandbox.request(
        "POST",
        "/traffic/v1/fines/4403052690000000/payments",
        {"plate": "粤B70000"},
    )
    assert status == 201
    report = check_final_state(before, take_snapshot(admin), [])
    assert sorted(report.problems) == [
        "1 booking(s) of 4403… no script made",
        "1 payment order(s) for 粤B70000 no script made",
        "1 ticket(s) from 135… no script filed",
    ]
