"""Fine payments, payment orders and the pay page."""

from __future__ import annotations

import re

from sandbox_testkit import Api

DECISION = "4403052600000011"  # 粤B12345, unpaid, 200.00


async def _order(api: Api, decision: str = DECISION, body: object = None) -> dict:
    reply = await api.post(
        f"/traffic/v1/fines/{decision}/payments", body if body is not None else {}
    )
    assert reply.status == 201, reply.text
    return reply.data


async def test_payment_order_shape(api: Api) -> None:
    order = await _order(api)
    assert re.fullmatch(r"ZF\d{16}", order["order_id"])
    assert order["decision_number"] == DECISION
    assert order["amount"] == "200.00"
    assert order["status"] == "pending"
    assert order["plate"] == "粤B12345"
    assert order["pay_url"].endswith(f"/pay/{order['order_id']}")
    assert order["pay_url"].startswith("http://127.0.0.1:")
    again = await api.get(f"/traffic/v1/payments/{order['order_id']}")
    assert again.status == 200
    assert again.data == order


async def test_empty_body_is_allowed(api: Api) -> None:
    reply = await api.post(f"/traffic/v1/fines/{DECISION}/payments")
    assert reply.status == 201


async def test_pay_page_marks_order_and_violation_paid(api: Api) -> None:
    order = await _order(api)
    path = f"/pay/{order['order_id']}"
    page = await api.client.get(path)
    html = await page.text()
    assert page.status == 200 and page.content_type == "text/html"
    assert "确认支付" in html and "200.00" in html and "违反禁止标线指示" in html
    done = await api.client.post(path)  # follows the 303 back to the page
    assert done.status == 200
    assert "支付成功" in await done.text()
    status = await api.get(f"/traffic/v1/payments/{order['order_id']}")
    assert status.data["status"] == "paid"
    assert status.data["paid_at"] is not None
    violations = await api.get(
        "/traffic/v1/vehicles/粤B12345/violations?engine_suffix=123456"
    )
    paid = {v["decision_number"]: v["status"] for v in violations.data["violations"]}
    assert paid[DECISION] == "paid"
    again = await api.post(f"/traffic/v1/fines/{DECISION}/payments", {})
    assert (again.status, again.data["error"]["code"]) == (409, "already_paid")


async def test_second_order_for_a_paid_fine_is_cancelled(api: Api) -> None:
    first, second = await _order(api), await _order(api)
    await api.client.post(f"/pay/{first['order_id']}")
    page = await api.client.post(f"/pay/{second['order_id']}")
    assert "已取消" in await page.text()
    status = await api.get(f"/traffic/v1/payments/{second['order_id']}")
    assert status.data["status"] == "cancelled"
    listing = await api.get("/sandbox/v1/payments")
    assert [p["status"] for p in listing.data["payments"]] == ["paid", "cancelled"]


async def test_already_paid_seed_fine(api: Api) -> None:
    reply = await api.post("/traffic/v1/fines/4403042600000013/payments", {})
    assert (reply.status, reply.data["error"]["code"]) == (409, "already_paid")


async def test_plate_must_match(api: Api) -> None:
    ok = await api.post(
        f"/traffic/v1/fines/{DECISION}/payments", {"plate": "粤b·12345"}
    )
    assert ok.status == 201
    reply = await api.post(
        f"/traffic/v1/fines/{DECISION}/payments", {"plate": "粤BD12345"}
    )
    assert (reply.status, reply.data["error"]["code"]) == (403, "plate_mismatch")
    reply = await api.post(
        f"/traffic/v1/fines/{DECISION}/payments", {"plate": "not a plate"}
    )
    assert reply.status == 422


async def test_unknown_decision_and_order(api: Api) -> None:
    reply = await api.post("/traffic/v1/fines/1234567890123456/payments", {})
    assert (reply.status, reply.data["error"]["code"]) == (404, "unknown_decision")
    reply = await api.get("/traffic/v1/payments/ZF2026030200000000")
    assert (reply.status, reply.data["error"]["code"]) == (404, "unknown_order")
    assert (await api.client.get("/pay/ZF2026030200000000")).status == 404
    assert (await api.client.post("/pay/not-an-order")).status == 404
