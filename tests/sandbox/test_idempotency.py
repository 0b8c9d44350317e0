"""Idempotency-Key: repeats answer the first result and do nothing again."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox_testkit import Api, first_weekday, person

DAY = first_weekday(n=6)


def exam(who: str) -> dict[str, Any]:
    return {
        "id_number": who,
        "subject": "科目三",
        "license_class": "C1",
        "site": "南山考场",
        "date": DAY.isoformat(),
        "period": "afternoon",
    }


async def _remaining(api: Api) -> int:
    path = f"/traffic/v1/exam-slots?site=南山考场&subject=科目三&date={DAY}&period=afternoon&include_full=1"
    return int((await api.get(path)).data["slots"][0]["remaining"])


async def test_repeat_returns_the_first_answer_and_books_once(api: Api) -> None:
    before = await _remaining(api)
    key = {"Idempotency-Key": "book-1"}
    first = await api.post("/traffic/v1/exam-bookings", exam(person(500)), headers=key)
    second = await api.post("/traffic/v1/exam-bookings", exam(person(500)), headers=key)
    assert first.status == second.status == 201
    assert first.data == second.data
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await _remaining(api) == before - 1
    listing = await api.get(f"/traffic/v1/exam-bookings?id_number={person(500)}")
    assert len(listing.data["bookings"]) == 1


async def test_same_key_other_body_is_refused(api: Api) -> None:
    key = {"Idempotency-Key": "book-2"}
    assert (
        await api.post("/traffic/v1/exam-bookings", exam(person(501)), headers=key)
    ).status == 201
    other = await api.post("/traffic/v1/exam-bookings", exam(person(502)), headers=key)
    assert (other.status, other.data["error"]["code"]) == (
        422,
        "idempotency_key_reused",
    )
    assert (await api.get(f"/traffic/v1/exam-bookings?id_number={person(502)}")).data[
        "bookings"
    ] == []


async def test_errors_are_replayed_too(api: Api) -> None:
    key = {"Idempotency-Key": "pay-twice"}
    first = await api.post(
        "/traffic/v1/fines/4403042600000013/payments", {}, headers=key
    )
    assert first.status == 409
    again = await api.post(
        "/traffic/v1/fines/4403042600000013/payments", {}, headers=key
    )
    assert (again.status, again.data) == (409, first.data)


async def test_delete_and_patch_are_idempotent(api: Api) -> None:
    code = (await api.post("/traffic/v1/exam-bookings", exam(person(503)))).data[
        "booking_code"
    ]
    key = {"Idempotency-Key": "cancel-1"}
    first = await api.delete(f"/traffic/v1/exam-bookings/{code}", headers=key)
    second = await api.delete(f"/traffic/v1/exam-bookings/{code}", headers=key)
    assert first.status == second.status == 200
    plain = await api.delete(f"/traffic/v1/exam-bookings/{code}")
    assert plain.status == 409  # without the key it really runs again
    code = (await api.post("/traffic/v1/exam-bookings", exam(person(504)))).data[
        "booking_code"
    ]
    move = {"date": first_weekday(n=7).isoformat(), "period": "afternoon"}
    one = await api.patch(
        f"/traffic/v1/exam-bookings/{code}", move, headers={"Idempotency-Key": "move-1"}
    )
    two = await api.patch(
        f"/traffic/v1/exam-bookings/{code}", move, headers={"Idempotency-Key": "move-1"}
    )
    assert one.status == two.status == 200 and one.data == two.data


async def test_keys_are_per_app_key(api: Api) -> None:
    ticket = {
        "type": "suggestion",
        "content": "建议多种树木绿化",
        "district": "福田",
        "phone": "13800138000",
    }
    first = await api.post(
        "/hotline/v1/tickets", ticket, headers={"Idempotency-Key": "t-1"}
    )
    again = await api.post(
        "/hotline/v1/tickets", ticket, headers={"Idempotency-Key": "t-1"}
    )
    assert first.data["ticket_id"] == again.data["ticket_id"]
    fresh = await api.post(
        "/hotline/v1/tickets", ticket, headers={"Idempotency-Key": "t-2"}
    )
    assert fresh.data["ticket_id"] != first.data["ticket_id"]


async def test_parallel_repeats_book_once(api: Api) -> None:
    before = await _remaining(api)
    key = {"Idempotency-Key": "parallel-1"}
    replies = await asyncio.gather(
        *(
            api.post("/traffic/v1/exam-bookings", exam(person(505)), headers=key)
            for _ in range(8)
        )
    )
    assert {r.status for r in replies} <= {201, 409}
    assert 201 in {r.status for r in replies}
    conflicts = {r.data["error"]["code"] for r in replies if r.status == 409}
    assert conflicts <= {"idempotency_in_progress"}
    assert await _remaining(api) == before - 1


async def test_invalid_key(api: Api) -> None:
    reply = await api.post(
        "/hotline/v1/ratings",
        {"target_type": "service", "target_id": "x", "score": 5},
        headers={"Idempotency-Key": "x" * 129},
    )
    assert (reply.status, reply.data["error"]["code"]) == (
        422,
        "invalid_idempotency_key",
    )


async def test_stored_in_the_database(api: Api, make_api: Any, settings: Any) -> None:
    body = exam(person(506))
    first = await api.post(
        "/traffic/v1/exam-bookings", body, headers={"Idempotency-Key": "durable-1"}
    )
    restarted = await make_api(settings)
    again = await restarted.post(
        "/traffic/v1/exam-bookings", body, headers={"Idempotency-Key": "durable-1"}
    )
    assert again.status == 201 and again.data == first.data
