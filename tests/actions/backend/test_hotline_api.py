"""HotlineAPI against the real sandbox: tickets, their progress, ratings."""

from __future__ import annotations

import uuid

import pytest

from actions.backend import Backend
from actions.backend.errors import Forbidden, InvalidInput, NotFound
from actions.backend.payloads import RatingTarget, TicketStatus, TicketType
from tests.support.sandbox_process import SandboxProcess


def key() -> str:
    return uuid.uuid4().hex


async def test_file_a_complaint(backend: Backend, sandbox: SandboxProcess) -> None:
    ticket = await backend.hotline.create_ticket(
        type="complaint",
        content="小区门口的路灯坏了一个多月，晚上很黑。",
        district="南山",
        phone="138 0013 8000",
        idempotency_key=key(),
    )
    assert ticket.ticket_id == "GD202603020001"
    assert ticket.type is TicketType.COMPLAINT
    assert ticket.status is TicketStatus.RECEIVED
    assert ticket.department == "市城市管理和综合执法局"
    assert ticket.district == "南山区"
    assert ticket.reply is None
    assert [step.status for step in ticket.history] == [TicketStatus.RECEIVED]
    assert ticket.history[0].note

    sandbox.admin_post(f"tickets/{ticket.ticket_id}/advance")
    progressed = await backend.hotline.get_ticket(ticket.ticket_id, phone="13800138000")
    assert progressed.status is TicketStatus.ASSIGNED
    assert len(progressed.history) == 2


async def test_suggestion_by_enum(backend: Backend) -> None:
    ticket = await backend.hotline.create_ticket(
        type=TicketType.SUGGESTION,
        content="建议在地铁站附近多设共享单车停放点。",
        district="福田区",
        phone="13912345678",
        idempotency_key=key(),
    )
    assert ticket.type is TicketType.SUGGESTION


async def test_seed_tickets(backend: Backend) -> None:
    resolved = await backend.hotline.get_ticket("GD202602240003")
    assert resolved.status is TicketStatus.RESOLVED
    assert resolved.department == "市交通运输局"
    assert resolved.reply
    assert resolved.history[-1].status is TicketStatus.RESOLVED
    in_progress = await backend.hotline.get_ticket("GD202602280017")
    assert in_progress.status is TicketStatus.IN_PROGRESS


async def test_ticket_refusals(backend: Backend) -> None:
    with pytest.raises(Forbidden) as other:
        await backend.hotline.get_ticket("GD202602280017", phone="13912345678")
    assert other.value.code == "not_owner"
    with pytest.raises(NotFound) as unknown:
        await backend.hotline.get_ticket("GD202603029999")
    assert unknown.value.code == "unknown_ticket"
    with pytest.raises(InvalidInput) as short:
        await backend.hotline.create_ticket(
            type="complaint",
            content="坏了",
            district="南山",
            phone="13800138000",
            idempotency_key=key(),
        )
    assert short.value.code == "invalid_content"


async def test_rate_a_ticket(backend: Backend, sandbox: SandboxProcess) -> None:
    rating = await backend.hotline.rate(
        target_type=RatingTarget.TICKET,
        target_id="GD202602240003",
        score=5,
        comment="处理很及时",
        idempotency_key=key(),
    )
    assert rating.target_type is RatingTarget.TICKET
    assert (rating.target_id, rating.score, rating.comment) == (
        "GD202602240003",
        5,
        "处理很及时",
    )
    assert rating.service is None
    stored = sandbox.admin_get("ratings")
    assert [r["rating_id"] for r in stored["ratings"]] == [rating.rating_id]


async def test_rate_a_service_and_refusals(backend: Backend) -> None:
    rating = await backend.hotline.rate(
        target_type="service",
        target_id="exam_booking",
        score=4,
        service="驾驶人考试预约",
        idempotency_key=key(),
    )
    assert rating.service == "驾驶人考试预约"
    with pytest.raises(NotFound) as unknown:
        await backend.hotline.rate(
            target_type="ticket",
            target_id="GD202603029999",
            score=3,
            idempotency_key=key(),
        )
    assert unknown.value.code == "unknown_ticket"
    with pytest.raises(InvalidInput):
        await backend.hotline.rate(
            target_type="conversation",
            target_id="web-123",
            score=6,
            idempotency_key=key(),
        )
