"""The 人工帮办 pages: a real gateway (Rasa stand-in) behind the real console."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.settings import Settings, load_settings
from channels.app import create_app as create_gateway
from review.console.app import create_app
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from tests.channels.gateway.rasa_standin import HANDOFF, RasaStandIn
from tests.review.console.kit import HTML, PASSWORDS, csrf_in, login

INTERNAL_TOKEN = "console-inbox-test-token"


@dataclass
class World:
    """The citizen's gateway, Rasa's stand-in and a console client."""

    gateway: TestClient
    rasa: RasaStandIn
    console: TestClient

    async def citizen_says(self, conversation: str, text: str) -> list[str]:
        body = {
            "conversation_id": conversation,
            "message_id": str(uuid.uuid4()),
            "text": text,
        }
        answer = await self.gateway.post("/web/api/messages", json=body)
        return [r["text"] for r in (await answer.json())["replies"]]


def _settings(
    db_path: Path, tmp_path: Path, gateway_url: str, rasa_url: str
) -> Settings:
    return load_settings(
        {
            "VAR_DIR": str(tmp_path / "var"),
            "CONVERSATION_LOG_URL": f"sqlite:///{db_path}",
            "CONSOLE_ADMIN_USER": "chief",
            "CONSOLE_ADMIN_PASSWORD": PASSWORDS["chief"],
            "GATEWAY_URL": gateway_url,
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
            "RASA_URL": rasa_url,
            "SMS_SANDBOX": "false",
        }
    )


@pytest.fixture
async def world(
    aiohttp_client: Any, aiohttp_server: Any, db_path: Path, tmp_path: Path, staff: Any
) -> World:
    rasa = RasaStandIn()
    rasa_server = await aiohttp_server(rasa.app())
    rasa.url = str(rasa_server.make_url("")).rstrip("/")
    gateway_settings = _settings(db_path, tmp_path, "", rasa.url)
    gateway = await aiohttp_client(create_gateway(gateway_settings))
    gateway_url = str(gateway.make_url("")).rstrip("/")
    console = await aiohttp_client(
        create_app(_settings(db_path, tmp_path, gateway_url, rasa.url))
    )
    return World(gateway, rasa, console)


async def _audited(db: LogDatabase, action: str) -> list[AuditEntry]:
    async with db.read() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action)
        )
        return list(rows)


async def test_a_reviewer_answers_and_releases_a_handed_off_citizen(
    world: World, db: LogDatabase
) -> None:
    conversation = str(uuid.uuid4())
    assert await world.citizen_says(conversation, "转人工") == [HANDOFF]
    token = await login(world.console, "rita")

    listing = await world.console.get("/inbox", headers=HTML)
    page = await listing.text()
    assert listing.status == 200 and 'data-testid="handoff-row"' in page
    assert "网页" in page and "市民要求转人工" in page
    sender = page.split('data-sender="', 1)[1].split('"', 1)[0]

    detail = await world.console.get(f"/inbox/{sender}", headers=HTML)
    text = await detail.text()
    assert (
        detail.status == 200 and "转人工" in text and 'data-testid="reply-form"' in text
    )
    assert [e.target for e in await _audited(db, "inbox.viewed")] == [sender]

    forged = await world.console.post(f"/inbox/{sender}/reply", data={"text": "您好"})
    assert forged.status == 403
    empty = await world.console.post(
        f"/inbox/{sender}/reply", data={"csrf_token": token, "text": "  "}, headers=HTML
    )
    assert empty.status == 400 and "请输入回复内容" in await empty.text()

    sent = await world.console.post(
        f"/inbox/{sender}/reply",
        data={"csrf_token": token, "text": "您好，我是工作人员小李。"},
        headers=HTML,
    )
    assert sent.status == 200 and 'data-testid="sent-notice"' in await sent.text()
    staff_events = [e for _, events in world.rasa.appended for e in events]
    assert any(
        e.get("text") == "【人工客服】您好，我是工作人员小李。"
        and e.get("metadata", {}).get("staff") == "rita"
        for e in staff_events
    )
    [replied] = await _audited(db, "inbox.replied")
    assert (replied.actor, replied.target) == ("rita", sender)

    released = await world.console.post(
        f"/inbox/{sender}/release", data={"csrf_token": token}, headers=HTML
    )
    assert released.status == 200
    after = await released.text()
    assert (
        'data-testid="released-notice"' in after
        and 'data-testid="inbox-empty"' in after
    )
    assert [e.target for e in await _audited(db, "inbox.released")] == [sender]
    assert sender not in world.rasa.paused

    again = await world.console.post(
        f"/inbox/{sender}/release", data={"csrf_token": csrf_in(after)}, headers=HTML
    )
    assert again.status == 404
    assert "没有待处理的人工服务" in await again.text()
    assert len(await _audited(db, "inbox.released")) == 1


async def test_gateway_failures_are_explained_not_crashed(
    aiohttp_client: Any, db_path: Path, tmp_path: Path, staff: Any
) -> None:
    console = await aiohttp_client(
        create_app(
            _settings(db_path, tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
        )
    )
    token = await login(console, "rita")
    listing = await console.get("/inbox", headers=HTML)
    assert listing.status == 503 and "无法连接渠道网关" in await listing.text()
    sender = "web:" + "0" * 32
    reply = await console.post(
        f"/inbox/{sender}/reply",
        data={"csrf_token": token, "text": "您好"},
        headers=HTML,
    )
    assert reply.status in (502, 503) and "无法连接渠道网关" in await reply.text()
    assert (await console.get("/inbox/not-a-sender", headers=HTML)).status == 404


async def test_the_inbox_needs_a_login(world: World) -> None:
    anonymous = await world.console.get("/inbox", headers=HTML, allow_redirects=False)
    assert anonymous.status in (302, 303)
    assert anonymous.headers["Location"].startswith("/login")
