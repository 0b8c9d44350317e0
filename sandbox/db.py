"""Database engine, transactions, start-up migrations and the DB cleanup_ctx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import structlog
from aiohttp import web
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Result, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from sandbox import keys, seed

log = structlog.get_logger("sandbox")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_WRITE_OPTION = "sandbox_write"


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _tune_sqlite(engine: AsyncEngine) -> None:
    """Make SQLite safe for concurrent async writers.

    WAL lets readers run beside the writer; busy_timeout makes a second
    writer wait instead of failing. Write transactions start with
    BEGIN IMMEDIATE: a transaction that reads first and writes later would
    otherwise fail with SQLITE_BUSY at once when another writer committed in
    between (a stale snapshot is never retried by the busy handler).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver; the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (the atomic-check primitive)."""
    return cast(CursorResult[Any], result).rowcount


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class Database:
    """Engine plus the two kinds of transaction the handlers use."""

    def __init__(self, url: str) -> None:
        self.url = url
        sqlite_path = _sqlite_file(url)
        if sqlite_path is not None:
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {}
        if url.startswith("sqlite"):
            connect_args["timeout"] = 30
        self.engine = create_async_engine(
            url, connect_args=connect_args, pool_pre_ping=True
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}),
            expire_on_commit=False,
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction."""
        async with self._reader() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed on success, rolled back on any error."""
        async with self._writer() as session, session.begin():
            yield session

    async def migrate(self) -> None:
        """Bring the schema to the newest alembic revision."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: open, migrate and seed (or top up) the database; close it at exit."""
    settings = app[keys.SETTINGS]
    db = Database(settings.db_url)
    try:
        await db.migrate()
        seeded = await seed.prepare(db, app[keys.CLOCK].now(), settings.seed)
    except BaseException:
        await db.dispose()
        raise
    log.info("sandbox.db.ready", dialect=db.engine.dialect.name, seeded=seeded)
    app[keys.DB] = db
    yield
    await db.dispose()
