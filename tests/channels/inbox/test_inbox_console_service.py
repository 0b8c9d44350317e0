"""The console side (``review.inbox``) against the real gateway on loopback.

``InboxService`` over HTTP, and ``python -m review inbox …`` as a real
process, with its audit entries checked in the conversation log's database.
"""

import asyncio
import os
import sqlite3
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.settings import load_settings
from channels.app import create_app
from review.inbox.service import InboxError, InboxService
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.inbox.conftest import INTERNAL_TOKEN

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def rasa(aiohttp_server) -> RasaStandIn:
    standin = RasaStandIn()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


@pytest.fixture
async def gateway_url(aiohttp_server, rasa: RasaStandIn) -> str:
    settings = load_settings(
        {
            "RASA_URL": rasa.url,
            "GATEWAY_RASA_TIMEOUT_S": "2",
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
        }
    )
    server: TestServer = await aiohttp_server(create_app(settings))
    return str(server.make_url("")).rstrip("/")


async def hand_off(gateway_url: str) -> str:
    conversation = str(uuid.uuid4())
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            gateway_url + "/web/api/messages",
            json={
                "conversation_id": conversation,
                "message_id": str(uuid.uuid4()),
                "text": "转人工",
            },
        ) as response,
    ):
        assert (await response.json())["status"] == "handed_off"
    return conversation


async def test_service_lists_shows_replies_and_releases(
    gateway_url: str, rasa: RasaStandIn
) -> None:
    await hand_off(gateway_url)
    async with aiohttp.ClientSession() as session:
        service = InboxService(session, gateway_url, INTERNAL_TOKEN)
        (item,) = await service.list_open()
        assert item.channel_label == "网页" and item.reason_label == "市民要求转人工"
        assert not item.overdue and item.can_reply
        rasa.slots[item.sender] = {"phone_number": "13800138000"}
        detail = await service.show(item.sender)
        assert detail.paused and detail.slots == {"phone_number": "138****8000"}
        assert [line.role for line in detail.transcript] == ["user", "bot"]
        sent = await service.reply(item.sender, "您好，请稍等。", "李四")
        assert sent.recorded and sent.text == "【人工客服】您好，请稍等。"
        released = await service.release(item.sender, "李四")
        assert released.citizen_notified and released.notice_error is None
        assert await service.list_open() == []
        with pytest.raises(InboxError) as missing:
            await service.release(item.sender, "李四")
        assert missing.value.status == 404
        assert "没有待处理的人工服务" in missing.value.message


async def test_service_errors_are_typed(gateway_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InboxError) as refused:
            await InboxService(session, gateway_url, "wrong").list_open()
        assert refused.value.status == 401 and "令牌" in refused.value.message
        with pytest.raises(InboxError) as down:
            await InboxService(session, "http://127.0.0.1:9", "x").list_open()
        assert down.value.status == 0 and down.value.error == "gateway_unavailable"


async def review_cli(
    gateway_url: str, log_url: str, *args: str
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "review",
        "inbox",
        *args,
        cwd=ROOT,
        env={
            **os.environ,
            "GATEWAY_URL": gateway_url,
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
            "CONVERSATION_LOG_URL": log_url,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_cli_does_the_same_and_audits(gateway_url: str, tmp_path: Path) -> None:
    database = tmp_path / "log.db"
    log_url = f"sqlite:///{database}"
    code, out, _ = await review_cli(gateway_url, log_url, "list")
    assert (code, out.strip()) == (0, "没有等待人工处理的会话。")
    await hand_off(gateway_url)
    code, out, _ = await review_cli(gateway_url, log_url, "list")
    assert code == 0 and "共1个会话等待人工处理" in out
    sender = out.splitlines()[1].split()[0]
    code, out, _ = await review_cli(
        gateway_url, log_url, "show", sender, "--staff", "李四"
    )
    assert code == 0 and "市民：转人工" in out
    code, out, _ = await review_cli(
        gateway_url,
        log_url,
        "reply",
        sender,
        "身份证440305199001011234已核实",
        "--staff",
        "李四",
    )
    assert code == 0 and "4403**********1234" in out and "脱敏" in out
    code, out, _ = await review_cli(
        gateway_url, log_url, "release", sender, "--staff", "李四"
    )
    assert code == 0 and "已交还智能助手" in out
    code, _, err = await review_cli(
        gateway_url, log_url, "release", sender, "--staff", "李四"
    )
    assert code == 1 and "没有待处理的人工服务" in err
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT actor, action, target, details FROM audit_log ORDER BY id"
        ).fetchall()
    assert [(a, b, c) for a, b, c, _ in rows] == [
        ("cli:李四", "inbox.viewed", sender),
        ("cli:李四", "inbox.replied", sender),
        ("cli:李四", "inbox.released", sender),
    ]
    assert "440305199001011234" not in repr(rows)
