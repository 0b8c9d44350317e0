"""Fixtures: a seeded SQLite template, the real app per test, a signing client."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

# pytest puts only this folder on sys.path; the package under test lives at
# the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sandbox_testkit import TODAY, Api, make_settings, sqlite_url

from sandbox.app import create_app
from sandbox.clock import Clock
from sandbox.db import Database
from sandbox.seed import prepare
from sandbox.settings import SandboxSettings

AiohttpClient = Callable[..., Awaitable[TestClient[Any, Any]]]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of tests that need a PostgreSQL server."""
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed one database per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("sandbox-template") / "template.db"

    async def build() -> None:
        db = Database(sqlite_url(path))
        await db.migrate()
        await prepare(db, Clock(TODAY).now(), SandboxSettings().seed)
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A private, already seeded database file."""
    path = tmp_path / "sandbox.db"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def settings(db_path: Path) -> SandboxSettings:
    """Default test settings on the private database."""
    return make_settings(db_path)


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, settings: SandboxSettings) -> Api:
    """The real app on its private database, behind a signing client."""
    client = await aiohttp_client(create_app(settings))
    return Api(client)


@pytest.fixture
def make_api(
    aiohttp_client: AiohttpClient,
) -> Callable[[SandboxSettings], Awaitable[Api]]:
    """Start another app (other settings, or the same database again)."""

    async def start(custom: SandboxSettings) -> Api:
        return Api(await aiohttp_client(create_app(custom)))

    return start
