"""Bad input always gets a 4xx JSON error, never a 500 or a traceback."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sandbox_testkit import Api

from sandbox.errors import error_middleware

TICKET = {
    "type": "complaint",
    "content": "小区门口垃圾没人清理",
    "district": "南山区",
    "phone": "13800138000",
}


def _is_error(reply: Any, status: int, code: str | None = None) -> None:
    assert reply.status == status, reply.text
    assert set(reply.data) == {"error"}
    assert set(reply.data["error"]) == {"code", "message"}
    assert reply.data["error"]["message"]
    if code is not None:
        assert reply.data["error"]["code"] == code


async def test_malformed_json(api: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for body in (b"{", b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b"{" * 5000, deep):
        reply = await api.post("/hotline/v1/tickets", body=body)
        _is_error(reply, 422, "malformed_json")
    _is_error(await api.post("/traffic/v1/exam-bookings"), 422, "malformed_json")


async def test_wrong_types(api: Api) -> None:
    for field, value in (
        ("content", 12345),
        ("phone", ["13800138000"]),
        ("district", None),
        ("type", {"a": 1}),
    ):
        reply = await api.post("/hotline/v1/tickets", {**TICKET, field: value})
        assert reply.status == 422, (field, reply.text)
    reply = await api.post(
        "/hotline/v1/ratings",
        {"target_type": "service", "target_id": "x", "score": "5"},
    )
    _is_error(reply, 422, "invalid_field")
    reply = await api.post(
        "/hotline/v1/ratings",
        {"target_type": "service", "target_id": "x", "score": True},
    )
    _is_error(reply, 422, "invalid_field")


async def test_huge_body(api: Api) -> None:
    huge = {**TICKET, "content": "很" * 400_000}
    _is_error(await api.post("/hotline/v1/tickets", huge), 413, "body_too_large")
    long_but_small = {**TICKET, "content": "很" * 2001}
    _is_error(
        await api.post("/hotline/v1/tickets", long_but_small), 422, "invalid_content"
    )


async def test_bad_path_values(api: Api) -> None:
    cases = {
        "/traffic/v1/vehicles/abc/violations?engine_suffix=123456": "invalid_plate",
        "/traffic/v1/licenses/440305199001011234": "invalid_id_number",
        "/traffic/v1/exam-bookings/KS123": "invalid_booking_code",
        "/hotline/v1/tickets/GD1": "invalid_ticket_id",
        "/traffic/v1/exam-slots?date=2026-02-30": "invalid_date",
        "/traffic/v1/exam-slots?period=evening": "invalid_period",
        "/traffic/v1/payments/123": "invalid_order_id",
    }
    for path, code in cases.items():
        _is_error(await api.get(path), 422, code)


async def test_unknown_route_and_method(api: Api) -> None:
    _is_error(await api.get("/traffic/v1/nothing-here"), 404, "not_found")
    reply = await api.call("PUT", "/traffic/v1/exam-bookings", {})
    _is_error(reply, 405, "method_not_allowed")


async def test_unexpected_exception_is_a_json_500_without_traceback(
    aiohttp_client: Any,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals /etc/passwd")

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/boom", broken)
    client = await aiohttp_client(app)
    resp = await client.get("/boom")
    text = await resp.text()
    assert resp.status == 500
    assert resp.content_type == "application/json"
    assert "internal_error" in text
    assert "Traceback" not in text and "secret internals" not in text
