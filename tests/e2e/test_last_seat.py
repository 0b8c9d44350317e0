"""Many citizens confirm the last seat at once: exactly one gets it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from urllib.parse import quote

import pytest

from nlu.formats import id_check_digit
from tests.e2e.conftest import Admin, Citizen

pytestmark = pytest.mark.e2e
RACERS = 5


def learner_id(n: int) -> str:
    """A valid ID number of a learner born in 2000 (no seeded bookings)."""
    first17 = f"44030520000101{n:03d}"
    return first17 + id_check_digit(first17)


def test_last_seat_goes_to_exactly_one(citizen: Citizen, admin: Admin) -> None:
    slots = admin.get(
        f"/traffic/v1/exam-slots?subject={quote('科目一')}&site={quote('第一考场')}"
    )["slots"]
    last = next(s for s in slots if s["remaining"] == 1)
    day = date.fromisoformat(last["date"])
    period = "上午" if last["period"] == "morning" else "下午"
    racers = [Citizen(citizen.url.rsplit("/webhooks", 1)[0]) for _ in range(RACERS)]
    for n, racer in enumerate(racers):
        ask = racer.text(
            racer.say(
                f"预约科目一 C1 {day.month}月{day.day}日{period} 第一考场 身份证{learner_id(n)}"
            )
        )
        assert "确认预约" in ask, ask
    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(lambda r: r.text(r.say("确认")), racers))
    winners = [a for a in answers if "预约成功！" in a]
    assert len(winners) == 1, answers
    assert all("约满" in a for a in answers if a not in winners), answers
    booked = admin.get("/sandbox/v1/exam-bookings?status=booked")["bookings"]
    on_session = [
        b
        for b in booked
        if b["date"] == last["date"]
        and b["period"] == last["period"]
        and b["site"] == "第一考场"
        and b["subject"] == "科目一"
    ]
    assert len(on_session) == 1
