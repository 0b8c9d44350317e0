"""12345 hotline: tickets, their progress, ratings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sandbox_testkit import TODAY, Api, make_settings

from sandbox.hotline.routing import route_department
from sandbox.settings import SandboxSettings


def ticket(**over: Any) -> dict[str, Any]:
    body = {
        "type": "complaint",
        "content": "小区楼下的路灯坏了一个多月，晚上很黑，希望尽快修好。",
        "district": "南山",
        "phone": "13800138000",
    }
    return {**body, **over}


async def test_create_and_get_ticket(api: Api) -> None:
    reply = await api.post("/hotline/v1/tickets", ticket())
    assert reply.status == 201, reply.text
    data = reply.data
    assert re.fullmatch(rf"GD{TODAY:%Y%m%d}\d{{4}}", data["ticket_id"])
    assert data["ticket_id"].endswith("0001")
    assert (data["status"], data["department"], data["district"]) == (
        "received",
        "市城市管理和综合执法局",
        "南山区",
    )
    got = await api.get(f"/hotline/v1/tickets/{data['ticket_id']}")
    assert got.status == 200
    assert [h["status"] for h in got.data["history"]] == ["received"]
    assert got.data["reply"] is None
    second = await api.post(
        "/hotline/v1/tickets", ticket(type="suggestion", content="建议增加公交线路")
    )
    assert second.data["ticket_id"].endswith("0002")
    assert second.data["department"] == "市交通运输局"


async def test_parallel_tickets_get_distinct_ids(api: Api) -> None:
    replies = await asyncio.gather(
        *(api.post("/hotline/v1/tickets", ticket()) for _ in range(10))
    )
    ids = [r.data["ticket_id"] for r in replies]
    assert all(r.status == 201 for r in replies)
    assert sorted(int(i[-4:]) for i in ids) == list(range(1, 11))


@pytest.mark.parametrize(
    ("content", "district", "department"),
    [
        ("工地晚上噪音太大，严重扰民，还有很多扬尘", "龙岗区", "市生态环境局"),
        ("公司拖欠工资三个月，也不交社保", "宝安区", "市人力资源和社会保障局"),
        ("超市卖过期食品，价格还乱标", "福田区", "市市场监督管理局"),
        ("学校周边交通很乱，学位也不够", "龙华区", "市教育局"),
        ("我们小区附近的问题一直没人管", "坪山区", "坪山区人民政府"),
        ("希望多开展一些社区活动", "大鹏新区", "大鹏新区管理委员会"),
    ],
)
def test_department_routing(content: str, district: str, department: str) -> None:
    assert route_department(content, district) == department


async def test_ticket_validation(api: Api) -> None:
    cases = {
        "invalid_type": ticket(type="praise"),
        "invalid_content": ticket(content="太吵"),
        "invalid_district": ticket(district="火星区"),
        "invalid_phone": ticket(phone="110"),
        "missing_field": {k: v for k, v in ticket().items() if k != "phone"},
    }
    for code, body in cases.items():
        reply = await api.post("/hotline/v1/tickets", body)
        assert (reply.status, reply.data["error"]["code"]) == (422, code)
    assert (
        await api.post("/hotline/v1/tickets", ticket(content="很" * 2000))
    ).status == 201


async def test_unknown_ticket_and_owner_check(api: Api) -> None:
    assert (await api.get("/hotline/v1/tickets/GD202603020999")).status == 404
    seeded = "GD202602280017"
    assert (
        await api.get(f"/hotline/v1/tickets/{seeded}?phone=13800138000")
    ).status == 200
    other = await api.get(f"/hotline/v1/tickets/{seeded}?phone=13900000000")
    assert (other.status, other.data["error"]["code"]) == (403, "not_owner")


async def test_seed_tickets(api: Api) -> None:
    resolved = (await api.get("/hotline/v1/tickets/GD202602240003")).data
    assert resolved["status"] == "resolved"
    assert [h["status"] for h in resolved["history"]] == [
        "received",
        "assigned",
        "in_progress",
        "resolved",
    ]
    assert "市交通运输局" in resolved["reply"]
    assert (await api.get("/hotline/v1/tickets/GD202602280017")).data[
        "status"
    ] == "in_progress"


async def test_admin_advance(api: Api) -> None:
    ticket_id = (await api.post("/hotline/v1/tickets", ticket())).data["ticket_id"]
    path = f"/sandbox/v1/tickets/{ticket_id}/advance"
    assert (await api.post(path)).data["status"] == "assigned"
    done = await api.post(path, {"status": "resolved", "reply": "路灯已于今日修复。"})
    assert done.status == 200
    assert [h["status"] for h in done.data["history"]] == [
        "received",
        "assigned",
        "in_progress",
        "resolved",
    ]
    seen = (await api.get(f"/hotline/v1/tickets/{ticket_id}")).data
    assert (seen["status"], seen["reply"]) == ("resolved", "路灯已于今日修复。")
    again = await api.post(path)
    assert (again.status, again.data["error"]["code"]) == (409, "already_resolved")
    back = (await api.post("/hotline/v1/tickets", ticket())).data["ticket_id"]
    await api.post(f"/sandbox/v1/tickets/{back}/advance", {"status": "in_progress"})
    reply = await api.post(
        f"/sandbox/v1/tickets/{back}/advance", {"status": "assigned"}
    )
    assert (reply.status, reply.data["error"]["code"]) == (409, "invalid_transition")


async def test_status_advances_with_simulated_time(
    make_api: Callable[[SandboxSettings], Awaitable[Api]], db_path: Path
) -> None:
    fast = await make_api(make_settings(db_path, SANDBOX_TICKET_PACE_S="0.3"))
    ticket_id = (await fast.post("/hotline/v1/tickets", ticket())).data["ticket_id"]
    await asyncio.sleep(0.35)
    middle = (await fast.get(f"/hotline/v1/tickets/{ticket_id}")).data
    assert middle["status"] in ("assigned", "in_progress")
    await asyncio.sleep(0.7)
    final = (await fast.get(f"/hotline/v1/tickets/{ticket_id}")).data
    assert final["status"] == "resolved"
    assert [h["status"] for h in final["history"]] == [
        "received",
        "assigned",
        "in_progress",
        "resolved",
    ]
    assert final["reply"]
    times = [h["time"] for h in final["history"]]
    assert times == sorted(times)
    seeded = (await fast.get("/hotline/v1/tickets/GD202603010042")).data
    assert seeded["status"] == "received"  # seed tickets keep their documented state


async def test_ratings(api: Api) -> None:
    cases = [
        {
            "target_type": "conversation",
            "target_id": "web-3f2a",
            "score": 5,
            "comment": "很方便",
        },
        {"target_type": "ticket", "target_id": "GD202602240003", "score": 4},
        {
            "target_type": "service",
            "target_id": "exam_booking",
            "score": 1,
            "service": "exam_booking",
        },
    ]
    for body in cases:
        reply = await api.post("/hotline/v1/ratings", body)
        assert reply.status == 201, reply.text
        assert reply.data["score"] == body["score"]
        assert isinstance(reply.data["rating_id"], int)
    listed = (await api.get("/sandbox/v1/ratings")).data["ratings"]
    assert [r["target_type"] for r in listed] == ["conversation", "ticket", "service"]


async def test_rating_refusals(api: Api) -> None:
    base = {"target_type": "service", "target_id": "x"}
    for score in (0, 6, 4.5, None):
        reply = await api.post("/hotline/v1/ratings", {**base, "score": score})
        assert reply.status == 422, score
    reply = await api.post(
        "/hotline/v1/ratings", {**base, "target_type": "office", "score": 3}
    )
    assert (reply.status, reply.data["error"]["code"]) == (422, "invalid_target_type")
    reply = await api.post(
        "/hotline/v1/ratings",
        {"target_type": "ticket", "target_id": "GD209901010001", "score": 3},
    )
    assert (reply.status, reply.data["error"]["code"]) == (404, "unknown_ticket")
    reply = await api.post(
        "/hotline/v1/ratings",
        {"target_type": "ticket", "target_id": "nope", "score": 3},
    )
    assert (reply.status, reply.data["error"]["code"]) == (422, "invalid_ticket_id")
