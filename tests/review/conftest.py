"""Fixtures for the conversation-log tests: a migrated database per test."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from review.logdb.database import LogDatabase


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("logdb-template") / "template.db"

    async def build() -> None:
        db = LogDatabase(f"sqlite:///{path}")
        await db.migrate()
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "conversations.db"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[LogDatabase]:
    database = LogDatabase(f"sqlite:///{db_path}")
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    from tests.review.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
async def pg_db(pg_server: str) -> AsyncIterator[LogDatabase]:
    """A fresh, migrated PostgreSQL database for one test."""
    import uuid

    import asyncpg

    name = f"logdb_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(pg_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database = LogDatabase(pg_server.rsplit("/", 1)[0] + f"/{name}")
    await database.migrate()
    yield database
    await database.dispose()
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def any_db(request: pytest.FixtureRequest) -> LogDatabase:
    """The migrated log on SQLite, then on PostgreSQL."""
    name = "db" if request.param == "sqlite" else "pg_db"
    database: LogDatabase = request.getfixturevalue(name)
    return database
