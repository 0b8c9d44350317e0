"""Vehicle inspection: status, stations, slots, bookings."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from sandbox_testkit import TODAY, Api, first_weekday

from sandbox.traffic.inspections import inspection_status

DAY = first_weekday(n=4)


def booking(plate: str, **over: Any) -> dict[str, Any]:
    body = {
        "plate": plate,
        "station": "龙华机动车检测站（沙盒）",
        "date": DAY.isoformat(),
        "period": "afternoon",
    }
    return {**body, **over}


async def test_inspection_status_of_seed_vehicles(api: Api) -> None:
    expected = {"粤B6A7C8": "overdue", "粤BF36912": "due_soon", "粤B12345": "valid"}
    for plate, status in expected.items():
        reply = await api.get(f"/traffic/v1/vehicles/{plate}/inspection")
        assert reply.status == 200
        assert reply.data["status"] == status, plate
    overdue = (await api.get("/traffic/v1/vehicles/粤B6A7C8/inspection")).data
    assert overdue["inspection_due"] == (TODAY - dt.timedelta(days=20)).isoformat()
    assert overdue["days_until_due"] == -20
    assert overdue["booking"] is None
    booked = (await api.get("/traffic/v1/vehicles/粤BF36912/inspection")).data
    assert booked["booking"]["booking_code"] == "JC20000001"


async def test_inspection_lookup_errors(api: Api) -> None:
    assert (await api.get("/traffic/v1/vehicles/粤B99999/inspection")).status == 404
    reply = await api.get(
        "/traffic/v1/vehicles/粤B12345/inspection?engine_suffix=000000"
    )
    assert reply.status == 403
    assert (
        await api.get("/traffic/v1/vehicles/粤B12345/inspection?engine_suffix=123456")
    ).status == 200


def test_inspection_status_boundaries() -> None:
    today = dt.date(2026, 3, 2)
    assert inspection_status(today - dt.timedelta(days=1), today).value == "overdue"
    assert inspection_status(today, today).value == "due_soon"
    assert inspection_status(today + dt.timedelta(days=90), today).value == "due_soon"
    assert inspection_status(today + dt.timedelta(days=91), today).value == "valid"


async def test_stations(api: Api) -> None:
    stations = (await api.get("/traffic/v1/inspection-stations")).data["stations"]
    assert len(stations) == 5
    assert stations[0]["address"] == "福田区泰然九路 8001 号"
    nanshan = (await api.get("/traffic/v1/inspection-stations?district=南山")).data[
        "stations"
    ]
    assert [s["name"] for s in nanshan] == ["南山机动车检测站（沙盒）"]


async def test_slots(api: Api) -> None:
    first = TODAY + dt.timedelta(days=1)
    slots = (
        await api.get(f"/traffic/v1/inspection-slots?station=insp-futian&date={first}")
    ).data["slots"]
    assert [s["period"] for s in slots] == ["afternoon"]  # the morning is full
    assert (await api.get("/traffic/v1/inspection-slots?date=2026-03-01")).status == 422


async def test_book_and_get(api: Api) -> None:
    reply = await api.post(
        "/traffic/v1/inspection-bookings", booking("粤B6A7C8", phone="13800138000")
    )
    assert reply.status == 201, reply.text
    data = reply.data
    assert re.fullmatch(r"JC\d{8}", data["booking_code"])
    assert (data["plate"], data["station"], data["period"], data["phone"]) == (
        "粤B6A7C8",
        "龙华机动车检测站（沙盒）",
        "afternoon",
        "13800138000",
    )
    got = await api.get(f"/traffic/v1/inspection-bookings/{data['booking_code']}")
    assert got.status == 200 and got.data == data
    status = (await api.get("/traffic/v1/vehicles/粤B6A7C8/inspection")).data
    assert status["booking"]["booking_code"] == data["booking_code"]


async def test_duplicate_and_full(api: Api) -> None:
    dup = await api.post("/traffic/v1/inspection-bookings", booking("粤BF36912"))
    assert (dup.status, dup.data["error"]["code"]) == (409, "duplicate_booking")
    first = TODAY + dt.timedelta(days=1)
    full = await api.post(
        "/traffic/v1/inspection-bookings",
        booking(
            "粤B12345",
            station="福田机动车检测站",
            date=first.isoformat(),
            period="morning",
        ),
    )
    assert (full.status, full.data["error"]["code"]) == (409, "session_full")


async def test_last_place_race(api: Api) -> None:
    slot = {
        "station": "insp-baoan",
        "date": DAY.isoformat(),
        "period": "morning",
        "capacity": 20,
        "remaining": 1,
    }
    assert (await api.post("/sandbox/v1/inspection-slots", slot)).status == 200
    plates = [
        "粤B12345",
        "粤BD12345",
        "川A8H2K9",
        "粤B6A7C8",
        "京AD12345",
        "沪AF12345",
        "粤S9X8Y7",
        "湘A3B4C5",
    ]
    replies = await asyncio.gather(
        *(
            api.post(
                "/traffic/v1/inspection-bookings",
                booking(p, station="insp-baoan", period="morning"),
            )
            for p in plates
        )
    )
    assert sorted(r.status for r in replies) == [201] + [409] * 7


async def test_cancel(api: Api) -> None:
    code = (
        await api.post("/traffic/v1/inspection-bookings", booking("粤B12345"))
    ).data["booking_code"]
    reply = await api.delete(f"/traffic/v1/inspection-bookings/{code}")
    assert reply.status == 200 and reply.data["status"] == "cancelled"
    again = await api.delete(f"/traffic/v1/inspection-bookings/{code}")
    assert (again.status, again.data["error"]["code"]) == (409, "already_cancelled")
    assert (
        await api.post("/traffic/v1/inspection-bookings", booking("粤B12345"))
    ).status == 201


async def test_booking_refusals(api: Api) -> None:
    cases = [
        (booking("粤B99999"), 404, "unknown_vehicle"),
        (booking("粤B12345", date="2026-03-01"), 422, "date_in_past"),
        (booking("粤B12345", date="2026-02-30"), 422, "invalid_date"),
        (booking("粤B12345", station="火星检测站"), 422, "invalid_station"),
        (booking("粤B12345", phone="12345"), 422, "invalid_phone"),
        (booking("粤B12345", date="2026-06-01"), 404, "no_such_session"),
        (booking("粤B12"), 422, "invalid_plate"),
    ]
    for body, status, code in cases:
        reply = await api.post("/traffic/v1/inspection-bookings", body)
        assert (reply.status, reply.data["error"]["code"]) == (status, code), body
    assert (await api.get("/traffic/v1/inspection-bookings/JC99999999")).status == 404
    assert (await api.get("/traffic/v1/inspection-bookings/KS20000001")).status == 422
