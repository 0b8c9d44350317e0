"""Administration: arrange the world and reset it."""

from __future__ import annotations

from typing import Any

from sandbox_testkit import TODAY, Api, first_weekday, person


def _without_ids(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if k != "session_id"} for s in data["slots"]]


async def test_create_vehicle_with_violations(api: Api) -> None:
    body = {
        "plate": "粤B·7K8M9",
        "engine_number": "ENG0777888",
        "inspection_due": "2026-01-31",
        "violations": [
            {"kind": "speed", "decision_number": "4403069900000001"},
            {
                "description": "违反禁止标线指示",
                "fine": "150.50",
                "points": 2,
                "status": "paid",
                "time": "2026-02-01T08:30:00+08:00",
                "location": "福田区莲花街道路段",
            },
        ],
    }
    reply = await api.post("/sandbox/v1/vehicles", body)
    assert reply.status == 201, reply.text
    assert reply.data["plate"] == "粤B7K8M9"
    violations = (
        await api.get("/traffic/v1/vehicles/粤B7K8M9/violations?engine_suffix=777888")
    ).data
    by_number = {v["decision_number"]: v for v in violations["violations"]}
    assert by_number["4403069900000001"]["description"] == "超速20%以下"
    paid = next(v for v in violations["violations"] if v["status"] == "paid")
    assert (paid["fine"], paid["points"], paid["time"]) == (
        "150.50",
        2,
        "2026-02-01T08:30:00+08:00",
    )
    inspection = (await api.get("/traffic/v1/vehicles/粤B7K8M9/inspection")).data
    assert inspection["status"] == "overdue"
    dup = await api.post(
        "/sandbox/v1/vehicles", {"plate": "粤B12345", "engine_number": "X12345"}
    )
    assert (dup.status, dup.data["error"]["code"]) == (409, "already_exists")
    bad = await api.post(
        "/sandbox/v1/vehicles",
        {
            "plate": "粤B7K8M8",
            "engine_number": "ENG000111",
            "violations": [{"fine": "abc"}],
        },
    )
    assert bad.status == 422
    # A failed create leaves nothing behind.
    assert (await api.get("/traffic/v1/vehicles/粤B7K8M8/inspection")).status == 404


async def test_create_license(api: Api) -> None:
    who = person(300)
    reply = await api.post(
        "/sandbox/v1/licenses",
        {"id_number": who, "name": "测试", "license_class": "B2", "points_used": 10},
    )
    assert reply.status == 201, reply.text
    got = (await api.get(f"/traffic/v1/licenses/{who}")).data
    assert (got["license_class"], got["points_used"], got["status"]) == (
        "B2",
        10,
        "normal",
    )
    expired = await api.post(
        "/sandbox/v1/licenses", {"id_number": person(301), "status": "expired"}
    )
    assert expired.data["status"] == "expired"
    again = await api.post("/sandbox/v1/licenses", {"id_number": who})
    assert again.status == 409


async def test_exam_session_upsert(api: Api) -> None:
    day = first_weekday(n=2)
    body = {
        "site": "坪山考场",
        "subject": "科目三",
        "date": day.isoformat(),
        "period": "morning",
        "capacity": 9,
        "remaining": 2,
    }
    reply = await api.post("/sandbox/v1/exam-sessions", body)
    assert reply.status == 200 and reply.data["remaining"] == 2
    sunday = {**body, "date": "2026-03-08"}
    created = await api.post("/sandbox/v1/exam-sessions", sunday)
    assert created.status == 201 and created.data["capacity"] == 9
    assert (
        await api.post("/sandbox/v1/exam-sessions", {**body, "remaining": 10})
    ).status == 422
    assert (
        await api.post("/sandbox/v1/exam-sessions", {**body, "subject": "科目一"})
    ).status == 422


async def test_lists(api: Api) -> None:
    bookings = (await api.get("/sandbox/v1/exam-bookings")).data["bookings"]
    assert [b["booking_code"] for b in bookings] == [
        "KS20000001",
        "KS20000002",
        "KS20000003",
    ]
    booked = (await api.get("/sandbox/v1/exam-bookings?status=booked")).data["bookings"]
    assert len(booked) == 2
    inspections = (await api.get("/sandbox/v1/inspection-bookings")).data["bookings"]
    assert [b["plate"] for b in inspections] == ["粤BF36912"]
    tickets = (await api.get("/sandbox/v1/tickets")).data["tickets"]
    assert len(tickets) == 3 and all("phone" in t for t in tickets)
    assert (await api.get("/sandbox/v1/payments")).data["payments"] == []
    assert (await api.get("/sandbox/v1/ratings")).data["ratings"] == []


async def test_reset_restores_the_seed(api: Api) -> None:
    before = (await api.get("/traffic/v1/exam-slots?include_full=1")).data
    code = (
        await api.post(
            "/traffic/v1/exam-bookings",
            {
                "id_number": person(400),
                "subject": "科目一",
                "license_class": "C1",
                "site": "第一考场",
                "date": first_weekday().isoformat(),
                "period": "afternoon",
            },
        )
    ).data["booking_code"]
    await api.post("/traffic/v1/fines/4403052600000011/payments", {})
    await api.post(
        "/sandbox/v1/vehicles", {"plate": "粤B7K8M9", "engine_number": "ENG0777888"}
    )
    reply = await api.post("/sandbox/v1/reset")
    assert reply.status == 200 and reply.data["today"] == TODAY.isoformat()
    assert (await api.get(f"/traffic/v1/exam-bookings/{code}")).status == 404
    assert (await api.get("/traffic/v1/vehicles/粤B7K8M9/inspection")).status == 404
    assert (await api.get("/sandbox/v1/payments")).data["payments"] == []
    after = (await api.get("/traffic/v1/exam-slots?include_full=1")).data
    assert _without_ids(after) == _without_ids(before)
