"""Driving-test errands end to end: REST → Rasa → action server → sandbox."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.conftest import Admin, Citizen

pytestmark = pytest.mark.e2e

LEARNER = "440305199812240036"  # holds KS20000001 (科目一), may book 科目二
OTHER_LEARNER = "440304199303035564"  # holds KS20000003 (科目三)


def spoken(day_iso: str) -> str:
    """``2026-12-02`` → ``12月2日``, as a citizen writes it."""
    day = date.fromisoformat(day_iso)
    return f"{day.month}月{day.day}日"


def free_session(
    admin: Admin, subject: str, site: str, skip: int = 2
) -> dict[str, Any]:
    """A session with a few seats, a few days out (not the seeded full ones)."""
    slots = admin.get(
        f"/traffic/v1/exam-slots?subject={quote(subject)}&site={quote(site)}"
    )["slots"]
    candidates = [s for s in slots if s["remaining"] >= 3]
    assert len(candidates) > skip
    return candidates[skip]


def session_remaining(admin: Admin, slot: dict[str, Any]) -> int:
    found = admin.get(
        f"/traffic/v1/exam-slots?subject={quote(slot['subject'])}&site={quote(slot['site'])}"
        f"&date={slot['date']}&period={slot['period']}&include_full=true"
    )["slots"]
    return int(found[0]["remaining"])


def bookings(
    admin: Admin, id_number: str, status: str = "booked"
) -> list[dict[str, Any]]:
    return admin.get(
        f"/sandbox/v1/exam-bookings?status={status}&id_number={id_number}"
    )["bookings"]


def test_booking_given_in_one_message_completes_in_two_turns(
    citizen: Citizen, admin: Admin
) -> None:
    slot = free_session(admin, "科目二", "南山考场")
    before = session_remaining(admin, slot)
    period = "上午" if slot["period"] == "morning" else "下午"
    replies = citizen.say(
        f"我要预约科目二 C1 {spoken(slot['date'])}{period} 南山考场 身份证{LEARNER}"
    )
    text = citizen.text(replies)
    assert "确认预约" in text and "4403**********0036" in text, text
    assert LEARNER not in text
    done = citizen.text(citizen.say("确认"))
    assert "预约成功！" in done, done
    assert citizen.turns <= 3
    held = [b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]
    assert len(held) == 1 and held[0]["date"] == slot["date"]
    assert held[0]["booking_code"] in done
    assert session_remaining(admin, slot) == before - 1


def test_form_asks_one_thing_at_a_time_and_accepts_several_values(
    citizen: Citizen, admin: Admin
) -> None:
    slot = free_session(admin, "科目三", "宝安考场")
    period = "上午" if slot["period"] == "morning" else "下午"
    first = citizen.text(citizen.say("我想约个考试"))
    assert "哪个科目" in first, first
    second = citizen.text(citizen.say(f"科三 小车 {spoken(slot['date'])}{period}"))
    assert "考场" in second, second  # subject, class, date and period all taken
    third = citizen.text(citizen.say("宝安考场"))
    assert "身份证" in third, third
    confirm = citizen.text(citizen.say(LEARNER))
    assert "确认预约" in confirm and "科目三" in confirm and "C1" in confirm, confirm
    assert "预约成功！" in citizen.text(citizen.say("对的"))
    assert any(b["subject"] == "科目三" for b in bookings(admin, LEARNER))


def test_invalid_id_and_past_date_are_explained_and_asked_again(
    citizen: Citizen, admin: Admin
) -> None:
    citizen.say("预约科目二 C1")
    past = citizen.text(citizen.say("2020年1月6日"))
    assert "过去" in past, past
    impossible = citizen.text(citizen.say("2月30日"))
    assert "不存在" in impossible, impossible
    citizen.say("下周二上午")
    citizen.say("南山考场")
    wrong = citizen.text(citizen.say("440305199001011234"))
    assert "校验位" in wrong and "身份证" in wrong, wrong
    every = admin.get("/sandbox/v1/exam-bookings")["bookings"]
    assert not [b for b in every if b["id_number"] == "440305199001011234"]


def test_correction_at_confirmation_asks_again_with_new_values(
    citizen: Citizen, admin: Admin
) -> None:
    slot = free_session(admin, "科目二", "龙岗考场")
    other = "afternoon" if slot["period"] == "morning" else "morning"
    period = "上午" if slot["period"] == "morning" else "下午"
    new_period = "下午" if other == "afternoon" else "上午"
    citizen.say(f"约科目二 C2 {spoken(slot['date'])}{period} 龙岗考场 {LEARNER}")
    again = citizen.text(citizen.say(f"不对，改成{new_period}"))
    assert "确认预约" in again and new_period in again, again
    assert "预约成功！" in citizen.text(citizen.say("确认"))
    held = [b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]
    assert [b["period"] for b in held] == [other]


def test_faq_in_the_middle_of_a_booking_then_back(
    citizen: Citizen, admin: Admin
) -> None:
    citizen.say("预约科目二")
    digression = citizen.text(citizen.say("对了 居住证怎么办理"))
    assert "居住证" in digression and "准驾车型" in digression, digression
    back = citizen.text(citizen.say("C1"))
    assert "哪一天" in back, back


def test_stop_in_the_middle_books_nothing(citizen: Citizen, admin: Admin) -> None:
    citizen.say(f"预约科目二 C1 身份证{LEARNER}")
    stopped = citizen.text(citizen.say("算了不办了"))
    assert "取消" in stopped, stopped
    assert not [b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]
    after = citizen.text(citizen.say("你好"))
    assert "准驾车型" not in after


def test_full_session_offers_nearest_sessions_with_seats(
    citizen: Citizen, admin: Admin
) -> None:
    slots = admin.get(
        f"/traffic/v1/exam-slots?subject={quote('科目二')}&site={quote('南山考场')}"
        "&include_full=true"
    )["slots"]
    full = next(s for s in slots if s["remaining"] == 0)
    period = "上午" if full["period"] == "morning" else "下午"
    replies = citizen.say(
        f"预约科目二 C1 {spoken(full['date'])}{period} 南山考场 身份证{LEARNER}"
    )
    text = citizen.text(replies)
    assert "约满" in text, text
    offers = citizen.buttons(replies)
    assert offers and all("余" in b["title"] for b in offers), offers
    picked = citizen.say(offers[0]["payload"])
    assert "确认预约" in citizen.text(picked)
    assert "预约成功！" in citizen.text(citizen.say("确认"))


def test_query_cancel_and_cancel_again(citizen: Citizen, admin: Admin) -> None:
    listed = citizen.text(citizen.say(f"查一下我的考试预约 {LEARNER}"))
    assert "KS20000001" in listed and "4403**********0036" in listed, listed
    ask = citizen.text(citizen.say(f"取消预约KS20000001 身份证{LEARNER}"))
    assert "确认取消" in ask, ask
    assert "已为您取消" in citizen.text(citizen.say("确认"))
    assert bookings(admin, LEARNER, "cancelled")
    again = citizen.text(citizen.say(f"取消预约KS20000001 身份证{LEARNER}"))
    assert "无需重复取消" in again, again


def test_someone_elses_booking_code_is_refused(citizen: Citizen, admin: Admin) -> None:
    text = citizen.text(citizen.say(f"取消KS20000003 我身份证{LEARNER}"))
    assert "不在身份证" in text, text
    assert bookings(admin, OTHER_LEARNER)[0]["status"] == "booked"


def test_reschedule_moves_the_booking(citizen: Citizen, admin: Admin) -> None:
    slot = free_session(admin, "科目三", "宝安考场", skip=4)
    period = "上午" if slot["period"] == "morning" else "下午"
    citizen.say(f"改约考试 KS20000003 身份证{OTHER_LEARNER}")
    ask = citizen.text(citizen.say(f"{spoken(slot['date'])}{period}"))
    assert "确认改约" in ask, ask
    assert "改约成功" in citizen.text(citizen.say("确认"))
    moved = bookings(admin, OTHER_LEARNER)[0]
    assert moved["date"] == slot["date"] and moved["booking_code"] == "KS20000003"


def test_backend_down_keeps_slots_and_retry_books_once(
    citizen: Citizen, admin: Admin
) -> None:
    slot = free_session(admin, "科目二", "南山考场", skip=3)
    period = "上午" if slot["period"] == "morning" else "下午"
    citizen.say(
        f"预约科目二 C1 {spoken(slot['date'])}{period} 南山考场 身份证{LEARNER}"
    )
    admin.call("PUT", "/sandbox/v1/faults", {"mode": "down"})
    failed = citizen.text(citizen.say("确认"))
    assert "暂时无法连接" in failed and "预约成功！" not in failed, failed
    assert not [b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]
    admin.call("PUT", "/sandbox/v1/faults", {"mode": "normal"})
    retried = citizen.text(citizen.say("重试"))
    assert "预约成功！" in retried, retried
    assert len([b for b in bookings(admin, LEARNER) if b["subject"] == "科目二"]) == 1


def test_switching_task_mid_form_starts_the_new_one(
    citizen: Citizen, admin: Admin
) -> None:
    citizen.say("预约科目三")
    switched = citizen.text(citizen.say("等下 先帮我查下粤B12345的违章"))
    assert "后6位" in switched, switched
    listing = citizen.text(citizen.say("123456"))
    assert "2条" in listing, listing
    assert not [b for b in bookings(admin, LEARNER) if b["subject"] == "科目三"]


def test_site_named_by_its_district(citizen: Citizen, admin: Admin) -> None:
    slot = free_session(admin, "科目二", "宝安考场")
    period = "上午" if slot["period"] == "morning" else "下午"
    ask = citizen.text(citizen.say(f"约科目二 C1 {spoken(slot['date'])}{period}"))
    assert "考场" in ask, ask
    then = citizen.text(citizen.say("宝安那边的考场吧"))
    assert "身份证" in then, then
