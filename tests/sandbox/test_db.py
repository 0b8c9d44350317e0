"""Schema migrations, deterministic seed data, persistence across restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sandbox_testkit import TODAY, Api, make_settings, person, sqlite_url
from sqlalchemy import Connection, inspect, select

from sandbox import seed, seed_data
from sandbox.clock import Clock
from sandbox.db import Database
from sandbox.models import Base, ExamSession, InspectionSlot, Violation
from sandbox.settings import SandboxSettings


def _diff(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "fresh.db"))
    await db.migrate()
    await db.migrate()  # a second start is a no-op
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("exam_bookings"))
    live = next(i for i in indexes if i["name"] == "uq_exam_booking_live")
    assert live["unique"] and live["column_names"] == ["id_number", "subject"]
    await db.dispose()


async def test_var_directory_is_created(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "var" / "nested" / "sandbox.db"))
    await db.migrate()
    await db.dispose()
    assert (tmp_path / "var" / "nested" / "sandbox.db").exists()


async def _snapshot(
    path: Path, today: dt.date, seed_value: int
) -> list[tuple[Any, ...]]:
    db = Database(sqlite_url(path))
    await db.migrate()
    await seed.prepare(db, Clock(today).now(), seed_value)
    async with db.read() as session:
        sessions = (
            await session.execute(
                select(
                    ExamSession.site,
                    ExamSession.subject,
                    ExamSession.date,
                    ExamSession.period,
                    ExamSession.remaining,
                )
            )
        ).all()
        slots = (
            await session.execute(
                select(
                    InspectionSlot.station_id,
                    InspectionSlot.date,
                    InspectionSlot.remaining,
                )
            )
        ).all()
        violations = (
            await session.execute(
                select(
                    Violation.decision_number, Violation.occurred_at, Violation.location
                )
            )
        ).all()
    await db.dispose()
    return [tuple(row) for row in (*sessions, *slots, *violations)]


async def test_seed_is_deterministic(tmp_path: Path) -> None:
    one = await _snapshot(tmp_path / "a.db", TODAY, 12345)
    two = await _snapshot(tmp_path / "b.db", TODAY, 12345)
    other = await _snapshot(tmp_path / "c.db", TODAY, 54321)
    assert one == two
    assert one != other


async def test_seed_follows_the_city_rules(tmp_path: Path) -> None:
    rows = await _snapshot(tmp_path / "a.db", TODAY, 12345)
    sessions = [r for r in rows if len(r) == 5]
    days = {r[2] for r in sessions}
    assert min(days) == TODAY + dt.timedelta(days=1) and max(
        days
    ) <= TODAY + dt.timedelta(days=30)
    assert all(d.weekday() < 6 for d in days)
    assert {(r[0], r[1]) for r in sessions} == {
        ("第一考场", "科目一"),
        ("第一考场", "科目四"),
        ("南山考场", "科目二"),
        ("南山考场", "科目三"),
        ("宝安考场", "科目二"),
        ("宝安考场", "科目三"),
        ("龙岗考场", "科目二"),
        ("龙岗考场", "科目三"),
        ("坪山考场", "科目三"),
        ("光明考场", "科目一"),
        ("光明考场", "科目二"),
    }
    assert len(seed_data.VEHICLES) == 15 and len(seed_data.LICENSES) == 10
    assert sum(1 for v in seed_data.VEHICLES if v.inspection_due_in < 0) == 1
    assert any(len(v.plate) == 8 for v in seed_data.VEHICLES)


async def test_world_survives_a_restart(
    api: Api,
    make_api: Callable[[SandboxSettings], Awaitable[Api]],
    settings: SandboxSettings,
) -> None:
    body = {
        "id_number": person(600),
        "subject": "科目四",
        "license_class": "C1",
        "site": "第一考场",
        "date": (TODAY + dt.timedelta(days=2)).isoformat(),
        "period": "morning",
    }
    code = (await api.post("/traffic/v1/exam-bookings", body)).data["booking_code"]
    restarted = await make_api(settings)
    assert (await restarted.get(f"/traffic/v1/exam-bookings/{code}")).status == 200


async def test_health_reports_the_database(api: Api) -> None:
    resp = await api.client.get("/health")
    assert resp.status == 200
    assert (await resp.json()) == {"status": "ok"}


def test_concurrent_writers_do_not_fail_with_locked(tmp_path: Path) -> None:
    async def run() -> None:
        db = Database(sqlite_url(tmp_path / "busy.db"))
        await db.migrate()
        await seed.prepare(db, Clock(TODAY).now(), 1)

        async def read_then_write(n: int) -> None:
            async with db.write() as session:
                row = await session.scalar(
                    select(ExamSession).order_by(ExamSession.id).limit(1)
                )
                assert row is not None
                await asyncio.sleep(0.001)
                row.capacity += 1

        await asyncio.gather(*(read_then_write(n) for n in range(30)))
        async with db.read() as session:
            first = await session.scalar(
                select(ExamSession).order_by(ExamSession.id).limit(1)
            )
        await db.dispose()
        assert first is not None and first.capacity == 60 + 30

    asyncio.run(run())


def test_settings_for_tests_are_complete(db_path: Path) -> None:
    settings = make_settings(db_path)
    assert settings.today == TODAY


async def test_timetable_is_topped_up_on_start(
    api: Api, make_api: Callable[[SandboxSettings], Awaitable[Api]], db_path: Path
) -> None:
    later = TODAY + dt.timedelta(days=25)
    restarted = await make_api(make_settings(db_path, SANDBOX_TODAY=later.isoformat()))
    slots = (await restarted.get("/traffic/v1/exam-slots?include_full=1")).data["slots"]
    days = {dt.date.fromisoformat(s["date"]) for s in slots}
    assert max(days) == max(
        d
        for d in (later + dt.timedelta(days=n) for n in range(25, 31))
        if d.weekday() < 6
    )
    stations = (
        await restarted.get(
            f"/traffic/v1/inspection-slots?date={later + dt.timedelta(days=29)}"
        )
    ).data
    assert stations["slots"] or (later + dt.timedelta(days=29)).weekday() == 6
    # Days that already had sessions keep them as they were.
    before = (
        await api.get(
            f"/traffic/v1/exam-slots?date={later + dt.timedelta(days=1)}&include_full=1"
        )
    ).data
    after = (
        await restarted.get(
            f"/traffic/v1/exam-slots?date={later + dt.timedelta(days=1)}&include_full=1"
        )
    ).data
    assert before == after
