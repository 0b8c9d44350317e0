"""GET /traffic/v1/licenses/{id_number}."""

from __future__ import annotations

import datetime as dt

from sandbox_testkit import TODAY, Api

from sandbox.traffic.licenses import scoring_cycle


async def test_normal_licence(api: Api) -> None:
    reply = await api.get("/traffic/v1/licenses/440304198503122318")
    assert reply.status == 200
    data = reply.data
    assert data["license_class"] == "C1"
    assert data["status"] == "normal"
    assert data["points_used"] == 3
    assert data["points_remaining"] == 9
    start, end = (
        dt.date.fromisoformat(data["cycle_start"]),
        dt.date.fromisoformat(data["cycle_end"]),
    )
    assert start <= TODAY <= end
    assert dt.date.fromisoformat(data["valid_until"]) > TODAY
    assert {"issue_date", "first_issue_date", "name"} <= set(data)


async def test_twelve_points_is_suspended(api: Api) -> None:
    data = (await api.get("/traffic/v1/licenses/44030519900101123x")).data
    assert (data["status"], data["points_used"], data["points_remaining"]) == (
        "suspended",
        12,
        0,
    )


async def test_expired_licence(api: Api) -> None:
    data = (await api.get("/traffic/v1/licenses/440306199207154021")).data
    assert data["status"] == "expired"
    assert dt.date.fromisoformat(data["valid_until"]) < TODAY


async def test_unknown_and_invalid(api: Api) -> None:
    reply = await api.get(
        "/traffic/v1/licenses/440305199812240036"
    )  # a learner, no licence
    assert (reply.status, reply.data["error"]["code"]) == (404, "unknown_license")
    reply = await api.get("/traffic/v1/licenses/440305199001011234")
    assert (reply.status, reply.data["error"]["code"]) == (422, "invalid_id_number")


def test_scoring_cycle() -> None:
    assert scoring_cycle(dt.date(2010, 5, 20), dt.date(2026, 3, 2)) == (
        dt.date(2025, 5, 20),
        dt.date(2026, 5, 19),
    )
    assert scoring_cycle(dt.date(2010, 5, 20), dt.date(2026, 5, 20))[0] == dt.date(
        2026, 5, 20
    )
    # A first issue on 29 February has its anniversary on the 28th in common years.
    assert scoring_cycle(dt.date(2020, 2, 29), dt.date(2026, 3, 2)) == (
        dt.date(2026, 2, 28),
        dt.date(2027, 2, 27),
    )
