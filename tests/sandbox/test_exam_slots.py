"""GET /traffic/v1/exam-slots."""

from __future__ import annotations

import datetime as dt

from sandbox_testkit import TODAY, Api, first_weekday

FIRST = first_weekday()


async def test_all_open_slots_from_tomorrow(api: Api) -> None:
    slots = (await api.get("/traffic/v1/exam-slots")).data["slots"]
    assert slots
    assert all(s["remaining"] > 0 for s in slots)
    dates = sorted({dt.date.fromisoformat(s["date"]) for s in slots})
    assert dates[0] == TODAY + dt.timedelta(days=1)
    assert dates[-1] <= TODAY + dt.timedelta(days=30)
    assert all(d.weekday() != 6 for d in dates)
    saturday = [s for s in slots if dt.date.fromisoformat(s["date"]).weekday() == 5]
    assert saturday and {s["subject"] for s in saturday} <= {"科目一", "科目四"}
    assert {s["period"] for s in saturday} == {"morning"}
    sample = slots[0]
    assert set(sample) >= {
        "site",
        "subject",
        "date",
        "period",
        "capacity",
        "remaining",
        "start_time",
    }


async def test_filters(api: Api) -> None:
    path = (
        f"/traffic/v1/exam-slots?subject=科一&date={FIRST}&site=一考场&period=afternoon"
    )
    slots = (await api.get(path)).data["slots"]
    assert len(slots) == 1
    slot = slots[0]
    assert (slot["site"], slot["subject"], slot["period"], slot["remaining"]) == (
        "第一考场",
        "科目一",
        "afternoon",
        1,
    )
    assert slot["start_time"] == f"{FIRST}T14:00:00+08:00"
    assert slot["site_district"] == "福田区"


async def test_full_sessions_hidden_unless_asked(api: Api) -> None:
    path = f"/traffic/v1/exam-slots?subject=科目二&site=南山考场&date={FIRST}"
    assert (await api.get(path)).data["slots"] == []
    full = (await api.get(path + "&include_full=true")).data["slots"]
    assert [s["remaining"] for s in full] == [0, 0]


async def test_refusals(api: Api) -> None:
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    reply = await api.get(f"/traffic/v1/exam-slots?date={past}")
    assert (reply.status, reply.data["error"]["code"]) == (422, "date_in_past")
    for query, code in (
        ("date=2026-02-30", "invalid_date"),
        ("subject=科目五", "invalid_subject"),
        ("site=火星考场", "invalid_site"),
        ("include_full=maybe", "invalid_field"),
    ):
        reply = await api.get(f"/traffic/v1/exam-slots?{query}")
        assert (reply.status, reply.data["error"]["code"]) == (422, code), query
