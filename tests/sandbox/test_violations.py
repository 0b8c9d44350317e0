"""GET /traffic/v1/vehicles/{plate}/violations."""

from __future__ import annotations

import re

from sandbox_testkit import Api

BASE = "/traffic/v1/vehicles/{plate}/violations?engine_suffix={suffix}"


async def test_lists_violations_newest_first(api: Api) -> None:
    reply = await api.get(BASE.format(plate="粤B12345", suffix="123456"))
    assert reply.status == 200
    data = reply.data
    assert data["plate"] == "粤B12345"
    assert [v["status"] for v in data["violations"]] == ["unpaid", "unpaid", "paid"]
    times = [v["time"] for v in data["violations"]]
    assert times == sorted(times, reverse=True)
    first = data["violations"][0]
    assert re.fullmatch(r"\d{16}", first["decision_number"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", first["time"])
    assert first["description"] == "违反禁止标线指示"
    assert first["fine"] == "200.00"
    assert first["points"] == 1
    assert data["summary"] == {
        "count": 3,
        "unpaid_count": 2,
        "unpaid_fine": "400.00",
        "unpaid_points": 4,
    }


async def test_vin_suffix_and_plate_spellings_work(api: Api) -> None:
    for plate, suffix in (
        ("粤b·12345", "100001"),
        ("粤B 12345", "123456"),
        ("粤ＢＤ１２３４５", "a8k92z"),
    ):
        reply = await api.get(BASE.format(plate=plate, suffix=suffix))
        assert reply.status == 200, (plate, reply.text)


async def test_vehicle_without_violations(api: Api) -> None:
    reply = await api.get(BASE.format(plate="粤B6A7C8", suffix="068204"))
    assert reply.status == 200
    assert reply.data["violations"] == []
    assert reply.data["summary"]["unpaid_fine"] == "0.00"


async def test_status_filter(api: Api) -> None:
    reply = await api.get(
        BASE.format(plate="粤BD55217", suffix="567890") + "&status=unpaid"
    )
    assert [v["status"] for v in reply.data["violations"]] == ["unpaid"] * 3
    bad = await api.get(
        BASE.format(plate="粤BD55217", suffix="567890") + "&status=open"
    )
    assert bad.status == 422


async def test_wrong_suffix_is_403_without_data(api: Api) -> None:
    reply = await api.get(BASE.format(plate="粤B12345", suffix="654321"))
    assert (reply.status, reply.data["error"]["code"]) == (
        403,
        "engine_suffix_mismatch",
    )
    assert "4403052600000011" not in reply.text


async def test_unknown_plate_is_404(api: Api) -> None:
    reply = await api.get(BASE.format(plate="粤B99999", suffix="123456"))
    assert (reply.status, reply.data["error"]["code"]) == (404, "unknown_vehicle")


async def test_suffix_is_required_and_validated(api: Api) -> None:
    reply = await api.get("/traffic/v1/vehicles/粤B12345/violations")
    assert (reply.status, reply.data["error"]["code"]) == (422, "missing_field")
    reply = await api.get(BASE.format(plate="粤B12345", suffix="12345"))
    assert (reply.status, reply.data["error"]["code"]) == (422, "invalid_engine_suffix")
