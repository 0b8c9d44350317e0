"""Exam bookings: book, look up, cancel, reschedule; exact under concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sandbox_testkit import TODAY, Api, first_weekday, make_settings, person

from sandbox.settings import SandboxSettings

DAY = first_weekday(n=5)


def booking(who: str, **over: Any) -> dict[str, Any]:
    body = {
        "id_number": who,
        "subject": "科目二",
        "license_class": "C1",
        "site": "龙岗考场",
        "date": DAY.isoformat(),
        "period": "morning",
    }
    return {**body, **over}


async def seats(api: Api, site: str, subject: str, day: dt.date, period: str) -> int:
    path = f"/traffic/v1/exam-slots?site={site}&subject={subject}&date={day}&period={period}&include_full=1"
    slots = (await api.get(path)).data["slots"]
    assert len(slots) == 1
    return int(slots[0]["remaining"])


async def set_seats(
    api: Api,
    site: str,
    subject: str,
    day: dt.date,
    period: str,
    capacity: int,
    remaining: int,
) -> None:
    body = {
        "site": site,
        "subject": subject,
        "date": day.isoformat(),
        "period": period,
        "capacity": capacity,
        "remaining": remaining,
    }
    reply = await api.post("/sandbox/v1/exam-sessions", body)
    assert reply.status in (200, 201), reply.text


async def test_book_and_look_up(api: Api) -> None:
    who = person(1)
    before = await seats(api, "龙岗考场", "科目二", DAY, "morning")
    reply = await api.post("/traffic/v1/exam-bookings", booking(who))
    assert reply.status == 201, reply.text
    data = reply.data
    assert re.fullmatch(r"KS\d{8}", data["booking_code"])
    assert {
        k: data[k]
        for k in ("subject", "license_class", "site", "date", "period", "status")
    } == {
        "subject": "科目二",
        "license_class": "C1",
        "site": "龙岗考场",
        "date": DAY.isoformat(),
        "period": "morning",
        "status": "booked",
    }
    assert await seats(api, "龙岗考场", "科目二", DAY, "morning") == before - 1
    code = data["booking_code"]
    one = await api.get(f"/traffic/v1/exam-bookings/{code}")
    assert one.status == 200 and one.data["booking_code"] == code
    mine = await api.get(f"/traffic/v1/exam-bookings/{code}?id_number={who}")
    assert mine.status == 200
    other = await api.get(f"/traffic/v1/exam-bookings/{code}?id_number={person(2)}")
    assert (other.status, other.data["error"]["code"]) == (403, "not_owner")
    listing = await api.get(f"/traffic/v1/exam-bookings?id_number={who}")
    assert [b["booking_code"] for b in listing.data["bookings"]] == [code]


async def test_aliases_are_canonicalised(api: Api) -> None:
    reply = await api.post(
        "/traffic/v1/exam-bookings",
        booking(
            person(3).lower(),
            subject="科二",
            license_class="c2",
            site="龙岗坂田考场",
            period="上午",
        ),
    )
    assert reply.status == 201, reply.text
    assert (
        reply.data["subject"],
        reply.data["license_class"],
        reply.data["site"],
        reply.data["period"],
    ) == ("科目二", "C2", "龙岗考场", "morning")


async def test_seed_bookings(api: Api) -> None:
    listing = (
        await api.get("/traffic/v1/exam-bookings?id_number=440305199812240036")
    ).data["bookings"]
    assert {b["booking_code"]: b["status"] for b in listing} == {
        "KS20000001": "booked",
        "KS20000002": "cancelled",
    }


async def test_duplicate_subject(api: Api) -> None:
    who = person(4)
    assert (await api.post("/traffic/v1/exam-bookings", booking(who))).status == 201
    again = await api.post(
        "/traffic/v1/exam-bookings", booking(who, site="宝安考场", period="afternoon")
    )
    assert (again.status, again.data["error"]["code"]) == (409, "duplicate_subject")
    other_subject = await api.post(
        "/traffic/v1/exam-bookings", booking(who, subject="科目三")
    )
    assert other_subject.status == 201


async def test_full_session(api: Api) -> None:
    first = first_weekday()
    reply = await api.post(
        "/traffic/v1/exam-bookings",
        booking(person(5), site="南山考场", date=first.isoformat()),
    )
    assert (reply.status, reply.data["error"]["code"]) == (409, "session_full")


async def test_no_such_session(api: Api) -> None:
    sunday = next(
        TODAY + dt.timedelta(days=n)
        for n in range(1, 8)
        if (TODAY + dt.timedelta(days=n)).weekday() == 6
    )
    for day in (sunday, TODAY + dt.timedelta(days=40)):
        reply = await api.post(
            "/traffic/v1/exam-bookings", booking(person(6), date=day.isoformat())
        )
        assert (reply.status, reply.data["error"]["code"]) == (404, "no_such_session")


async def test_validation(api: Api) -> None:
    cases = {
        "date_in_past": booking(
            person(7), date=(TODAY - dt.timedelta(days=1)).isoformat()
        ),
        "invalid_date": booking(person(7), date="2026-02-30"),
        "invalid_id_number": booking("440305199001011234"),
        "invalid_period": booking(person(7), period="night"),
        "invalid_license_class": booking(person(7), license_class="Z9"),
        "subject_not_offered": booking(person(7), subject="科目一"),
        "missing_field": {k: v for k, v in booking(person(7)).items() if k != "site"},
    }
    for code, body in cases.items():
        reply = await api.post("/traffic/v1/exam-bookings", body)
        assert (reply.status, reply.data["error"]["code"]) == (422, code), code
    assert (await api.get("/traffic/v1/exam-bookings")).status == 422


async def test_unknown_booking(api: Api) -> None:
    for call in (api.get, api.delete):
        reply = await call("/traffic/v1/exam-bookings/KS99999999")
        assert (reply.status, reply.data["error"]["code"]) == (404, "unknown_booking")


async def test_cancel_returns_the_seat(api: Api) -> None:
    who = person(8)
    before = await seats(api, "龙岗考场", "科目二", DAY, "morning")
    code = (await api.post("/traffic/v1/exam-bookings", booking(who))).data[
        "booking_code"
    ]
    wrong = await api.delete(f"/traffic/v1/exam-bookings/{code}?id_number={person(9)}")
    assert (wrong.status, wrong.data["error"]["code"]) == (403, "not_owner")
    reply = await api.delete(f"/traffic/v1/exam-bookings/{code}?id_number={who}")
    assert reply.status == 200 and reply.data["status"] == "cancelled"
    assert await seats(api, "龙岗考场", "科目二", DAY, "morning") == before
    again = await api.delete(f"/traffic/v1/exam-bookings/{code}")
    assert (again.status, again.data["error"]["code"]) == (409, "already_cancelled")
    # Cancelled bookings no longer block the subject.
    assert (await api.post("/traffic/v1/exam-bookings", booking(who))).status == 201


async def test_cancelling_a_past_session_is_refused(
    api: Api, make_api: Callable[[SandboxSettings], Awaitable[Api]], db_path: Path
) -> None:
    code = (await api.post("/traffic/v1/exam-bookings", booking(person(10)))).data[
        "booking_code"
    ]
    later = await make_api(
        make_settings(db_path, SANDBOX_TODAY=(DAY + dt.timedelta(days=1)).isoformat())
    )
    reply = await later.delete(f"/traffic/v1/exam-bookings/{code}")
    assert (reply.status, reply.data["error"]["code"]) == (409, "session_passed")
    move = await later.patch(
        f"/traffic/v1/exam-bookings/{code}",
        {"date": (DAY + dt.timedelta(days=3)).isoformat(), "period": "morning"},
    )
    assert (move.status, move.data["error"]["code"]) == (409, "session_passed")


async def test_reschedule_moves_the_seat(api: Api) -> None:
    who = person(11)
    new_day = first_weekday(n=7)
    code = (await api.post("/traffic/v1/exam-bookings", booking(who))).data[
        "booking_code"
    ]
    old_before = await seats(api, "龙岗考场", "科目二", DAY, "morning")
    new_before = await seats(api, "宝安考场", "科目二", new_day, "afternoon")
    reply = await api.patch(
        f"/traffic/v1/exam-bookings/{code}?id_number={who}",
        {"date": new_day.isoformat(), "period": "afternoon", "site": "宝安考场"},
    )
    assert reply.status == 200, reply.text
    assert (
        reply.data["site"],
        reply.data["date"],
        reply.data["period"],
        reply.data["booking_code"],
    ) == ("宝安考场", new_day.isoformat(), "afternoon", code)
    assert await seats(api, "龙岗考场", "科目二", DAY, "morning") == old_before + 1
    assert (
        await seats(api, "宝安考场", "科目二", new_day, "afternoon") == new_before - 1
    )


async def test_reschedule_to_a_full_session_changes_nothing(api: Api) -> None:
    who = person(12)
    new_day = first_weekday(n=8)
    code = (await api.post("/traffic/v1/exam-bookings", booking(who))).data[
        "booking_code"
    ]
    await set_seats(api, "龙岗考场", "科目二", new_day, "morning", 20, 0)
    old_before = await seats(api, "龙岗考场", "科目二", DAY, "morning")
    reply = await api.patch(
        f"/traffic/v1/exam-bookings/{code}",
        {"date": new_day.isoformat(), "period": "morning"},
    )
    assert (reply.status, reply.data["error"]["code"]) == (409, "session_full")
    after = (await api.get(f"/traffic/v1/exam-bookings/{code}")).data
    assert (after["date"], after["period"], after["status"]) == (
        DAY.isoformat(),
        "morning",
        "booked",
    )
    assert await seats(api, "龙岗考场", "科目二", DAY, "morning") == old_before
    assert await seats(api, "龙岗考场", "科目二", new_day, "morning") == 0


async def test_reschedule_refusals(api: Api) -> None:
    who = person(13)
    code = (await api.post("/traffic/v1/exam-bookings", booking(who))).data[
        "booking_code"
    ]
    same = await api.patch(
        f"/traffic/v1/exam-bookings/{code}",
        {"date": DAY.isoformat(), "period": "morning"},
    )
    assert (same.status, same.data["error"]["code"]) == (422, "same_session")
    past = await api.patch(
        f"/traffic/v1/exam-bookings/{code}", {"date": "2026-03-01", "period": "morning"}
    )
    assert (past.status, past.data["error"]["code"]) == (422, "date_in_past")
    nowhere = await api.patch(
        f"/traffic/v1/exam-bookings/{code}",
        {"date": DAY.isoformat(), "period": "morning", "site": "第一考场"},
    )
    assert (nowhere.status, nowhere.data["error"]["code"]) == (
        422,
        "subject_not_offered",
    )
    far = await api.patch(
        f"/traffic/v1/exam-bookings/{code}", {"date": "2026-06-01", "period": "morning"}
    )
    assert (far.status, far.data["error"]["code"]) == (404, "no_such_session")
    other = await api.patch(
        f"/traffic/v1/exam-bookings/{code}?id_number={person(14)}",
        {"date": DAY.isoformat(), "period": "afternoon"},
    )
    assert (other.status, other.data["error"]["code"]) == (403, "not_owner")
    await api.delete(f"/traffic/v1/exam-bookings/{code}")
    gone = await api.patch(
        f"/traffic/v1/exam-bookings/{code}",
        {"date": DAY.isoformat(), "period": "afternoon"},
    )
    assert (gone.status, gone.data["error"]["code"]) == (409, "already_cancelled")


async def test_last_seat_race_gives_exactly_one_booking(api: Api) -> None:
    day = first_weekday(n=9)
    await set_seats(api, "坪山考场", "科目三", day, "afternoon", 15, 1)
    bodies = [
        booking(
            person(100 + n),
            subject="科目三",
            site="坪山考场",
            date=day.isoformat(),
            period="afternoon",
        )
        for n in range(20)
    ]
    replies = await asyncio.gather(
        *(api.post("/traffic/v1/exam-bookings", body) for body in bodies)
    )
    statuses = sorted(r.status for r in replies)
    assert statuses == [201] + [409] * 19, [
        r.text for r in replies if r.status not in (201, 409)
    ]
    assert {r.data["error"]["code"] for r in replies if r.status == 409} == {
        "session_full"
    }
    assert await seats(api, "坪山考场", "科目三", day, "afternoon") == 0
    everything = (await api.get("/sandbox/v1/exam-bookings?status=booked")).data[
        "bookings"
    ]
    assert (
        len(
            [
                b
                for b in everything
                if b["site"] == "坪山考场" and b["date"] == day.isoformat()
            ]
        )
        == 1
    )


async def test_parallel_duplicate_subject_gives_one_booking(api: Api) -> None:
    who = person(200)
    sites = ["南山考场", "宝安考场", "龙岗考场"]
    days = [first_weekday(n=k) for k in range(10, 14)]
    bodies = [
        booking(who, site=s, date=d.isoformat(), period=p)
        for s in sites
        for d in days
        for p in ("morning", "afternoon")
    ][:20]
    replies = await asyncio.gather(
        *(api.post("/traffic/v1/exam-bookings", body) for body in bodies)
    )
    assert sorted(r.status for r in replies) == [201] + [409] * 19
    assert {r.data["error"]["code"] for r in replies if r.status == 409} == {
        "duplicate_subject"
    }
    assert (
        len(
            (await api.get(f"/traffic/v1/exam-bookings?id_number={who}")).data[
                "bookings"
            ]
        )
        == 1
    )
