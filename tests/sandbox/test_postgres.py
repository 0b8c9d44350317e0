"""The same service on PostgreSQL (asyncpg): schema, races, upserts, reset.

Runs against ``SANDBOX_TEST_PG_URL`` (a server where the user may CREATE
DATABASE), or else a throwaway cluster started with the local ``initdb`` /
``pg_ctl``; skipped when neither is available.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sandbox_testkit import TODAY, Api, first_weekday, person
from sqlalchemy.engine import make_url

from sandbox.db import Database
from sandbox.models import Base
from sandbox.settings import SandboxSettings, load_settings

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; the distribution's postgres user can.
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser") is None:
        pytest.skip("running as root without runuser")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and no postgres user for initdb")
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """URL of a server (database part ignored) the tests may create databases on."""
    configured = os.environ.get("SANDBOX_TEST_PG_URL")
    if configured:
        yield configured
        return
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL: set SANDBOX_TEST_PG_URL or install initdb/pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
    data = root / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    run = subprocess.run(
        _as_postgres_user(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                "sandbox",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        pytest.skip(f"initdb failed: {run.stderr[-300:]}")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(
        _as_postgres_user(
            [
                pg_ctl,
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        pytest.skip(f"pg_ctl start failed: {started.stderr[-300:]}")
    try:
        yield f"postgresql+asyncpg://sandbox@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def pg_url(server_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test; dropped afterwards."""
    import asyncpg

    url = make_url(server_url)
    name = f"sandbox_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield url.set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pg_api(
    pg_url: str, make_api: Callable[[SandboxSettings], Awaitable[Api]]
) -> Api:
    """The real app on PostgreSQL."""
    return await make_api(
        load_settings({"SANDBOX_DB_URL": pg_url, "SANDBOX_TODAY": TODAY.isoformat()})
    )


async def test_migrations_match_the_models(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(pg_url)
    await db.migrate()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    await db.dispose()
    assert list(diff) == []


async def test_last_seat_race(pg_api: Api) -> None:
    day = first_weekday(n=9)
    seat = {
        "site": "坪山考场",
        "subject": "科目三",
        "date": day.isoformat(),
        "period": "afternoon",
        "capacity": 15,
        "remaining": 1,
    }
    assert (await pg_api.post("/sandbox/v1/exam-sessions", seat)).status == 200
    bodies = [
        {
            "id_number": person(700 + n),
            "subject": "科目三",
            "license_class": "C1",
            "site": "坪山考场",
            "date": day.isoformat(),
            "period": "afternoon",
        }
        for n in range(20)
    ]
    replies = await asyncio.gather(
        *(pg_api.post("/traffic/v1/exam-bookings", b) for b in bodies)
    )
    assert sorted(r.status for r in replies) == [201] + [409] * 19


async def test_parallel_duplicate_subject(pg_api: Api) -> None:
    who = person(800)
    bodies = [
        {
            "id_number": who,
            "subject": "科目二",
            "license_class": "C1",
            "site": site,
            "date": first_weekday(n=k).isoformat(),
            "period": "morning",
        }
        for site in ("宝安考场", "龙岗考场")
        for k in range(10, 15)
    ]
    replies = await asyncio.gather(
        *(pg_api.post("/traffic/v1/exam-bookings", b) for b in bodies)
    )
    assert sorted(r.status for r in replies) == [201] + [409] * 9
    assert {r.data["error"]["code"] for r in replies if r.status == 409} == {
        "duplicate_subject"
    }


async def test_services_on_postgres(pg_api: Api) -> None:
    violations = await pg_api.get(
        "/traffic/v1/vehicles/粤B12345/violations?engine_suffix=123456"
    )
    assert violations.data["summary"]["unpaid_fine"] == "400.00"
    order = (await pg_api.post("/traffic/v1/fines/4403052600000011/payments", {})).data
    await pg_api.client.post(f"/pay/{order['order_id']}")
    assert (await pg_api.get(f"/traffic/v1/payments/{order['order_id']}")).data[
        "status"
    ] == "paid"
    ticket = {
        "type": "complaint",
        "content": "路口红绿灯坏了",
        "district": "福田",
        "phone": "13800138000",
    }
    ids = [
        r.data["ticket_id"]
        for r in await asyncio.gather(
            *(pg_api.post("/hotline/v1/tickets", ticket) for _ in range(5))
        )
    ]
    assert sorted(i[-4:] for i in ids) == ["0001", "0002", "0003", "0004", "0005"]
    key = {"Idempotency-Key": "pg-1"}
    first = await pg_api.post(
        "/hotline/v1/ratings",
        {"target_type": "ticket", "target_id": ids[0], "score": 5},
        headers=key,
    )
    again = await pg_api.post(
        "/hotline/v1/ratings",
        {"target_type": "ticket", "target_id": ids[0], "score": 5},
        headers=key,
    )
    assert first.status == again.status == 201 and first.data == again.data
    assert (await pg_api.post("/sandbox/v1/reset")).status == 200
    assert (await pg_api.get("/sandbox/v1/ratings")).data["ratings"] == []
    licence = await pg_api.get("/traffic/v1/licenses/440306199207154021")
    assert licence.data["status"] == "expired"
    assert dt.date.fromisoformat(licence.data["valid_until"]) < TODAY
