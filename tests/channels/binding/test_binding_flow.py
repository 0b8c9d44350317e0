"""One citizen, several channels, through the real gateway and the sandbox's SMS provider.

The gateway (``create_app``) runs with the SMS channel wired to the sandbox's
simulated provider and handsets (``sandbox/sms``, also real), on fixed free
loopback ports so that each knows the other's URL; Rasa is the stand-in.
"""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.settings import load_settings
from channels import texts
from channels.app import create_app
from sandbox import keys as sandbox_keys
from sandbox.settings import load_settings as load_sandbox_settings
from sandbox.sms import routes as sandbox_sms
from tests.channels.gateway.redis_server import free_port
from tests.channels.routes.conftest import until
from tests.channels.routes.rasa_script import RouteRasa

PHONE = "13800138000"
CODE_IN_SMS = re.compile(r"验证码为(\d{6})")


@dataclass
class World:
    """A gateway, the sandbox's SMS provider and an HTTP client."""

    gateway: str
    sandbox: str
    http: aiohttp.ClientSession
    rasa: RouteRasa

    async def web(self, conversation: str, text: str) -> list[str]:
        """Send one web chat message; the reply texts."""
        body = {
            "conversation_id": conversation,
            "message_id": str(uuid.uuid4()),
            "text": text,
        }
        async with self.http.post(f"{self.gateway}/web/api/messages", json=body) as r:
            assert r.status == 200, await r.text()
            return [reply["text"] for reply in (await r.json())["replies"]]

    async def phone_inbox(self, phone: str = PHONE) -> list[dict[str, Any]]:
        """What the simulated phone received and sent."""
        url = f"{self.sandbox}/sms-handset/messages"
        async with self.http.get(url, params={"phone": phone}) as r:
            return list((await r.json())["messages"])

    async def phone_sends(self, text: str, phone: str = PHONE) -> None:
        """The simulated phone texts the service number."""
        body = {"phone": phone, "text": text}
        async with self.http.post(
            f"{self.sandbox}/sms-handset/messages", json=body
        ) as r:
            assert r.status == 202, await r.text()

    async def code_sent(self, count: int = 1) -> str:
        """The code in the ``count``-th verification SMS the phone received."""
        received: list[str] = []

        async def poll() -> bool:
            inbox = await self.phone_inbox()
            received[:] = [
                m["body"]
                for m in inbox
                if m["direction"] == "to_phone" and CODE_IN_SMS.search(m["body"])
            ]
            return len(received) >= count

        await until_async(poll)
        match = CODE_IN_SMS.search(received[count - 1])
        assert match, received
        return match.group(1)

    def senders(self) -> list[str]:
        """The Rasa sender of every turn, in order."""
        return [turn["sender"] for turn in self.rasa.turns]


async def until_async(check: Any, timeout: float = 5.0) -> None:
    """Wait for an async condition (the phone receiving a message)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _serve(app: web.Application, port: int) -> TestServer:
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    return server


@pytest.fixture
async def world(rasa: RouteRasa, store_env: dict[str, str]) -> AsyncIterator[World]:
    gateway_port, sandbox_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    settings = load_settings(
        {
            **store_env,
            "RASA_URL": rasa.url,
            "GATEWAY_RASA_TIMEOUT_S": "2",
            "GATEWAY_RATE_LIMIT_PER_MINUTE": "100",
            "GATEWAY_PORT": str(gateway_port),
            "SANDBOX_PORT": str(sandbox_port),
        }
    )
    assert settings.channels.sms.twilio_api_base == f"{sandbox_url}/sms-provider"
    provider = web.Application()
    provider[sandbox_keys.SETTINGS] = load_sandbox_settings(
        {"SANDBOX_SMS_WEBHOOK_URL": f"{gateway_url}/sms/twilio"}
    )
    sandbox_sms.setup(provider)
    servers = [
        await _serve(provider, sandbox_port),
        await _serve(create_app(settings), gateway_port),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            yield World(gateway_url, sandbox_url, http, rasa)
    finally:
        for server in reversed(servers):
            await server.close()


async def test_a_web_chat_and_the_phone_continue_one_conversation(world: World) -> None:
    """The citizen binds web chat with a code, then texts from the phone: one conversation."""
    chat = str(uuid.uuid4())
    assert await world.web(chat, "你好") == ["您说的是：你好"]
    own_sender = world.senders()[-1]
    [sent] = await world.web(chat, f"绑定手机 {PHONE}")
    assert sent == texts.BIND_CODE_SENT.format(phone="138****8000")
    code = await world.code_sent()
    wrong = "000000" if code != "000000" else "111111"
    assert await world.web(chat, wrong) == [texts.BIND_WRONG_CODE.format(left=4)]
    [done] = await world.web(chat, code)
    assert done == texts.BIND_DONE.format(phone="138****8000")
    turns_before = len(world.rasa.turns)
    assert turns_before == 1  # commands and codes never reached Rasa

    await world.web(chat, "查违章")
    citizen = world.senders()[-1]
    assert citizen.startswith("citizen:") and citizen != own_sender
    await world.phone_sends("我的驾照还有几分")
    await until(lambda: len(world.rasa.turns) == 3)
    assert world.senders()[-1] == citizen
    assert world.rasa.turns[-1]["metadata"]["channel"] == "sms"
    await until_async(
        lambda: _has_reply(world, "您说的是：我的驾照还有几分"),
    )

    # A second device proves the same number: the same conversation again.
    other = str(uuid.uuid4())
    await world.web(other, f"绑定手机 {PHONE}")
    assert await world.web(other, await world.code_sent(2)) == [
        texts.BIND_DONE.format(phone="138****8000")
    ]
    await world.web(other, "还有呢")
    assert world.senders()[-1] == citizen

    assert await world.web(other, "解除绑定") == [texts.UNBIND_DONE]
    await world.web(other, "你好")
    assert world.senders()[-1] not in (citizen, own_sender)
    assert await world.web(other, "解绑") == [texts.UNBIND_NONE]


async def _has_reply(world: World, text: str) -> bool:
    return any(m["body"] == text for m in await world.phone_inbox())


async def test_codes_are_limited_and_other_six_digits_reach_rasa(world: World) -> None:
    chat = str(uuid.uuid4())
    await world.web(chat, "123456")
    assert world.rasa.texts_received() == [
        "123456"
    ]  # nothing pending: a normal message
    assert await world.web(chat, "绑定") == [texts.BIND_HOW]
    assert await world.web(chat, "绑定手机 1380013800") == [texts.BIND_BAD_NUMBER]
    await world.web(chat, f"绑定手机 {PHONE}")
    code = await world.code_sent()
    assert await world.web(chat, f"绑定手机 {PHONE}") == [texts.BIND_TOO_OFTEN]
    wrong = "999999" if code != "999999" else "888888"
    answers = [await world.web(chat, wrong) for _ in range(5)]
    assert answers[-1] == [texts.BIND_CODE_INVALID]
    # The right code no longer works: it was guessed at too often.
    assert await world.web(chat, code) == [f"您说的是：{code}"]
    assert len(world.rasa.turns) == 2


async def test_the_phone_itself_needs_no_binding_and_opt_out_is_honoured(
    world: World,
) -> None:
    await world.phone_sends("绑定手机")
    await until_async(lambda: _has_reply(world, texts.BIND_ON_SMS))
    await world.phone_sends("TD")
    await until_async(
        lambda: _has_reply(
            world,
            "您已退订本服务短信，我们不会再向您发送消息。如需恢复，请回复“订阅”。",
        )
    )
    chat = str(uuid.uuid4())
    assert await world.web(chat, f"绑定手机 {PHONE}") == [texts.BIND_OPTED_OUT]
    assert not [m for m in await world.phone_inbox() if "验证码" in m["body"]]


async def test_without_an_sms_provider_binding_is_declined(
    aiohttp_client: Any, rasa: RouteRasa
) -> None:
    settings = load_settings({"RASA_URL": rasa.url, "SMS_SANDBOX": "false"})
    client = await aiohttp_client(create_app(settings))
    body = {
        "conversation_id": str(uuid.uuid4()),
        "message_id": str(uuid.uuid4()),
        "text": f"绑定手机 {PHONE}",
    }
    answer = await (await client.post("/web/api/messages", json=body)).json()
    assert [r["text"] for r in answer["replies"]] == [texts.BIND_UNSUPPORTED]
    assert rasa.turns == []
