"""Migrations create exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from review.logdb.database import LogDatabase, async_url
from review.tables import Base

ROOT = Path(__file__).resolve().parents[2]


async def _diff(db: LogDatabase) -> list[object]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda c: list(
                compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        )


async def test_migrations_match_the_models_on_sqlite(db: LogDatabase) -> None:
    assert await _diff(db) == []


@pytest.mark.postgres
async def test_migrations_match_the_models_on_postgresql(pg_db: LogDatabase) -> None:
    assert await _diff(pg_db) == []


async def test_migrating_twice_changes_nothing(db: LogDatabase) -> None:
    await db.migrate()
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sorted(inspect(c).get_table_names()))
        versions = (
            await conn.execute(text("SELECT version_num FROM alembic_version"))
        ).scalars()
        heads = sorted(versions)
    assert tables == sorted(["alembic_version", *Base.metadata.tables])
    # One head per feature branch (each branches from 0001).
    assert heads == ["0002_staff", "0003_annotations", "0004_training"]


def test_the_sqlite_log_uses_wal(db_path: Path) -> None:
    # Readers (the console) never block the writer (Rasa's broker).
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_command_line_migrates_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "log.db"
    done = subprocess.run(
        [sys.executable, "-m", "review.logdb", "migrate", "--url", f"sqlite:///{path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"conversation_events", "audit_log", "audit_log_no_update"} <= names


def test_sync_urls_get_the_async_driver() -> None:
    assert async_url("sqlite:///var/x.db").drivername == "sqlite+aiosqlite"
    pg = async_url("postgresql://u:secret@db:5432/log")
    assert pg.drivername == "postgresql+asyncpg"
    assert pg.render_as_string(hide_password=False).endswith("u:secret@db:5432/log")
    assert async_url("postgresql+asyncpg://db/log").drivername == "postgresql+asyncpg"
