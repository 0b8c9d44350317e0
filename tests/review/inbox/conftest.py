"""The 人工帮办 page fixtures: Rasa's stand-in, the real gateway on a real Redis,
the real console, one account per role.

The gateway keeps its handoff records in a throw-away ``redis-server`` so a
test can make a citizen "have waited" (it rewrites the record's times through
the gateway's own store) without waiting a minute.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings, load_settings
from channels.app import create_app as create_gateway
from channels.inbox.routes import HANDOFF_TTL_S
from channels.inbox.store import RedisHandoffStore
from review.console.app import create_app
from review.console.models import Role
from review.console.users import add_user
from review.logdb.database import LogDatabase
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import redis_binary, redis_server
from tests.review.console.kit import PASSWORDS

INTERNAL_TOKEN = "console-inbox-pages-token"
STAFF = {"rita": Role.REVIEWER, "tom": Role.TRAINER, "ada": Role.ADMIN}


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A memory-only redis-server for the session (each world has its prefix)."""
    binary = redis_binary()
    if binary is None:
        pytest.skip("redis-server binary not installed (apt-get install redis-server)")
    with redis_server(binary) as url:
        yield url


@pytest.fixture
async def staff(db: LogDatabase) -> dict[str, Role]:
    """One account per role (passwords in ``tests.review.console.kit``)."""
    async with db.write() as session:
        for name, role in STAFF.items():
            await add_user(
                session,
                actor="test",
                username=name,
                password=PASSWORDS[name],
                role=role,
            )
    return STAFF


def console_settings(
    db_path: Path, var_dir: Path, gateway_url: str, token: str = INTERNAL_TOKEN
) -> Settings:
    """The console aimed at ``gateway_url`` with the internal token ``token``."""
    return load_settings(
        {
            "VAR_DIR": str(var_dir),
            "CONVERSATION_LOG_URL": f"sqlite:///{db_path}",
            "CONSOLE_ADMIN_USER": "chief",
            "CONSOLE_ADMIN_PASSWORD": PASSWORDS["chief"],
            "GATEWAY_URL": gateway_url,
            "INTERNAL_API_TOKEN": token,
        }
    )


@dataclass
class InboxWorld:
    """A citizen's gateway (on Redis), Rasa's stand-in and the console server."""

    rasa: RasaStandIn
    gateway_url: str
    console: TestServer
    redis_url: str
    prefix: str
    clients: Any  # the aiohttp_client fixture

    @property
    def console_url(self) -> str:
        """The console's base URL (no trailing slash)."""
        return str(self.console.make_url("")).rstrip("/")

    async def client(self) -> TestClient:
        """A new browser-like client (own cookie jar) on the console."""
        client: TestClient = await self.clients(self.console)
        return client

    async def citizen_says(self, conversation: str, text: str) -> list[str]:
        """Send a web-chat message as a citizen; the bot's answers."""
        body = {
            "conversation_id": conversation,
            "message_id": str(uuid.uuid4()),
            "text": text,
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.gateway_url}/web/api/messages", json=body) as answer,
        ):
            assert answer.status == 200, await answer.text()
            return [r["text"] for r in (await answer.json())["replies"]]

    async def backdate(self, sender: str, seconds: float) -> None:
        """Make the citizen's latest message ``seconds`` older in the gateway store."""
        store = RedisHandoffStore.from_url(self.redis_url, self.prefix)
        try:
            record = await store.get(sender)
            assert record is not None, f"no open handoff for {sender}"
            older = dataclasses.replace(
                record,
                opened_at=record.opened_at - seconds,
                last_message_at=record.last_message_at - seconds,
            )
            await store.put(older, HANDOFF_TTL_S)
        finally:
            await store.close()


@pytest.fixture
async def world(
    aiohttp_server: Any,
    aiohttp_client: Any,
    db_path: Path,
    tmp_path: Path,
    staff: dict[str, Role],
    redis_url: str,
) -> AsyncIterator[InboxWorld]:
    rasa = RasaStandIn()
    rasa_server = await aiohttp_server(rasa.app())
    rasa.url = str(rasa_server.make_url("")).rstrip("/")
    prefix = f"inbox-pages-{uuid.uuid4().hex[:8]}:"
    gateway_settings = load_settings(
        {
            "RASA_URL": rasa.url,
            "GATEWAY_RASA_TIMEOUT_S": "2",
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": prefix,
            "VAR_DIR": str(tmp_path / "gateway-var"),
        }
    )
    gateway = await aiohttp_server(create_gateway(gateway_settings))
    gateway_url = str(gateway.make_url("")).rstrip("/")
    console = await aiohttp_server(
        create_app(console_settings(db_path, tmp_path / "var", gateway_url))
    )
    yield InboxWorld(rasa, gateway_url, console, redis_url, prefix, aiohttp_client)
