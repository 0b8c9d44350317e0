"""The 0004_training migration creates exactly the tables of review.training.models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from review.logdb.database import LogDatabase
from review.logdb.models import Base
from review.training import models

TABLES = {"training_jobs", "model_evaluations", "model_changes"}


def _ours(diff: object) -> bool:
    return any(name in repr(diff) for name in TABLES)


async def test_the_migration_matches_the_models(tmp_path: Path) -> None:
    assert models.TrainingJob.__table__.metadata is Base.metadata
    db = LogDatabase(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        await db.migrate()
        async with db.engine.connect() as conn:

            def diff(sync: Connection) -> list[object]:
                found = compare_metadata(
                    MigrationContext.configure(sync), Base.metadata
                )
                return [d for d in found if _ours(d)]

            assert await conn.run_sync(diff) == []
            version = await conn.execute(
                text("SELECT version_num FROM alembic_version")
            )
            assert "0004_training" in {row[0] for row in version}
    finally:
        await db.dispose()


async def test_only_one_job_may_be_running_in_the_database(tmp_path: Path) -> None:
    db = LogDatabase(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        await db.migrate()
        insert = text(
            "INSERT INTO training_jobs (status, stage, requested_by, owner, started_at,"
            " stage_seconds, log_tail) VALUES (:s, 'preparing', 'a', 'h:1',"
            " '2026-11-22', '{}', '')"
        )
        async with db.write() as session:
            await session.execute(insert, {"s": "done"})
            await session.execute(insert, {"s": "done"})
            await session.execute(insert, {"s": "running"})
        import pytest
        import sqlalchemy.exc

        with pytest.raises(sqlalchemy.exc.IntegrityError):
            async with db.write() as session:
                await session.execute(insert, {"s": "running"})
    finally:
        await db.dispose()
