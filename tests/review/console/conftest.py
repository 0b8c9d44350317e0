"""Fixtures for the console tests: settings on a migrated log, an app, staff accounts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings, load_settings
from review.console.app import create_app
from review.console.models import Role
from review.console.users import add_user
from review.logdb.database import LogDatabase
from tests.review.console.kit import PASSWORDS

ATTEMPTS = 3


@pytest.fixture
def settings(db_path: Path, tmp_path: Path) -> Settings:
    """Console settings on a copy of the migrated log (see tests/review/conftest.py)."""
    return load_settings(
        {
            "VAR_DIR": str(tmp_path / "var"),
            "CONVERSATION_LOG_URL": f"sqlite:///{db_path}",
            "CONSOLE_LOGIN_ATTEMPTS": str(ATTEMPTS),
            "CONSOLE_ADMIN_USER": "chief",
            "CONSOLE_ADMIN_PASSWORD": PASSWORDS["chief"],
        }
    )


@pytest.fixture
async def staff(db: LogDatabase) -> dict[str, Role]:
    """One account per role (passwords in ``kit.PASSWORDS``)."""
    accounts = {"rita": Role.REVIEWER, "tom": Role.TRAINER, "ada": Role.ADMIN}
    async with db.write() as session:
        for name, role in accounts.items():
            await add_user(
                session,
                actor="test",
                username=name,
                password=PASSWORDS[name],
                role=role,
            )
    return accounts


ClientFactory = Callable[[], Awaitable[TestClient]]


@pytest.fixture
def make_client(aiohttp_client, settings: Settings) -> ClientFactory:  # type: ignore[no-untyped-def]
    """A new browser-like client (own cookie jar) on one console app."""
    app = create_app(settings)
    started: list[TestClient] = []

    async def make() -> TestClient:
        if not started:
            client = await aiohttp_client(app)
        else:
            client = await aiohttp_client(started[0].server)
        started.append(client)
        return client

    return make


@pytest.fixture
async def client(make_client: ClientFactory, staff: dict[str, Role]) -> TestClient:
    return await make_client()
