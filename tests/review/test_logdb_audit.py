"""The audit log: append-only in the database, hash-chained, safe under concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from review.logdb import audit
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry

WHEN = dt.datetime(2026, 11, 22, 8, 30, 0, 123456, tzinfo=dt.timezone.utc)


async def _append(db: LogDatabase, n: int) -> list[AuditEntry]:
    entries = []
    for k in range(n):
        async with db.write() as session:
            entries.append(
                await audit.append(
                    session,
                    actor=f"staff{k % 2}",
                    action="conversation.viewed",
                    target="a" * 64,
                    reason="复核转人工会话",
                    details={"n": k},
                    at=WHEN + dt.timedelta(minutes=k),
                )
            )
    return entries


async def test_entries_form_a_chain(any_db: LogDatabase) -> None:
    entries = await _append(any_db, 4)
    assert entries[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    async with any_db.read() as session:
        check = await audit.verify(session)
        head = await audit.head(session)
    assert check.ok and check.entries == 4
    assert check.head == head == entries[-1].hash


async def test_an_empty_log_verifies(any_db: LogDatabase) -> None:
    async with any_db.read() as session:
        check = await audit.verify(session)
    assert check.ok and check.entries == 0 and check.head == audit.GENESIS


async def test_the_database_refuses_updates_and_deletes(any_db: LogDatabase) -> None:
    await _append(any_db, 2)
    for statement in (
        update(AuditEntry).values(reason="改过"),
        delete(AuditEntry).where(AuditEntry.id == 1),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with any_db.write() as session:
                await session.execute(statement)
    async with any_db.read() as session:
        assert (await audit.verify(session)).entries == 2


@pytest.mark.postgres
async def test_postgresql_refuses_truncate(pg_db: LogDatabase) -> None:
    await _append(pg_db, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        async with pg_db.write() as session:
            await session.execute(text("TRUNCATE audit_log"))


def _tamper(path: Path, sql: str) -> None:
    """What someone with file access could do: drop the triggers, edit rows."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute(sql)


async def test_an_edited_entry_breaks_the_chain(db: LogDatabase, db_path: Path) -> None:
    entries = await _append(db, 4)
    _tamper(db_path, f"UPDATE audit_log SET reason = '无' WHERE id = {entries[1].id}")
    async with db.read() as session:
        check = await audit.verify(session)
    assert not check.ok and check.broken_at == entries[1].id and check.entries == 1


async def test_a_deleted_entry_breaks_the_chain(db: LogDatabase, db_path: Path) -> None:
    entries = await _append(db, 4)
    _tamper(db_path, f"DELETE FROM audit_log WHERE id = {entries[1].id}")
    async with db.read() as session:
        check = await audit.verify(session)
    assert not check.ok and check.broken_at == entries[2].id


async def test_a_recomputed_edit_still_breaks_the_next_link(
    db: LogDatabase, db_path: Path
) -> None:
    entries = await _append(db, 3)
    forged = audit.entry_hash(
        entries[0].hash,
        entries[1].at,
        "someone-else",
        entries[1].action,
        entries[1].target,
        entries[1].reason,
        entries[1].details,
    )
    _tamper(
        db_path,
        f"UPDATE audit_log SET actor = 'someone-else', hash = '{forged}' "
        f"WHERE id = {entries[1].id}",
    )
    async with db.read() as session:
        check = await audit.verify(session)
    assert not check.ok and check.broken_at == entries[2].id


async def test_concurrent_appends_keep_one_chain(any_db: LogDatabase) -> None:
    async def one(k: int) -> None:
        async with any_db.write() as session:
            await audit.append(session, actor=f"staff{k}", action="label.saved")

    await asyncio.gather(*(one(k) for k in range(12)))
    async with any_db.read() as session:
        check = await audit.verify(session)
    assert check.ok and check.entries == 12


async def test_an_entry_rolls_back_with_its_transaction(any_db: LogDatabase) -> None:
    with pytest.raises(RuntimeError):
        async with any_db.write() as session:
            await audit.append(session, actor="staff", action="model.promoted")
            raise RuntimeError("promotion failed")
    async with any_db.read() as session:
        assert (await audit.verify(session)).entries == 0
