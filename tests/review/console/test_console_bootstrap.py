"""Start-up: migrations, the first admin, and ``python -m review`` serving /health."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.settings import load_settings
from review.console import models  # noqa: F401  (registers the staff tables)
from review.console.bootstrap import PASSWORD_FILE, prepare
from review.console.models import Role
from review.console.passwords import verify_password
from review.console.users import find_user, list_users
from review.logdb.database import LogDatabase
from review.logdb.models import Base

ROOT = Path(__file__).resolve().parents[3]
STAFF_TABLES = {"staff_users", "staff_sessions"}


def _about_staff(diff: object) -> bool:
    return any(table in repr(diff) for table in STAFF_TABLES)


async def test_the_migration_creates_exactly_the_staff_models(db: LogDatabase) -> None:
    async with db.engine.connect() as conn:
        diffs = await conn.run_sync(
            lambda c: list(
                compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        )
    assert [d for d in diffs if _about_staff(d)] == []
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert tables >= STAFF_TABLES


async def test_first_admin_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VAR_DIR": str(tmp_path),
            "CONSOLE_ADMIN_USER": "Chief",
            "CONSOLE_ADMIN_PASSWORD": "configured-secret-42",
        }
    )
    created = await prepare(settings)
    assert created is not None and created.password_file is None
    assert await prepare(settings) is None  # a user exists: nothing happens
    db = LogDatabase(settings.conversation_log_url)
    async with db.read() as session:
        user = await find_user(session, "chief")
        assert user is not None and user.role_enum is Role.ADMIN
        assert verify_password(user.password_hash, "configured-secret-42")
        assert len(await list_users(session)) == 1
    await db.dispose()
    assert not (tmp_path / PASSWORD_FILE).exists()


async def test_without_a_password_one_is_generated_into_a_private_file(
    tmp_path: Path,
) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    created = await prepare(settings)
    assert created is not None and created.password_file == tmp_path / PASSWORD_FILE
    mode = stat.S_IMODE(os.stat(created.password_file).st_mode)
    assert mode == 0o600
    password = created.password_file.read_text().strip()
    assert len(password) >= 20
    db = LogDatabase(settings.conversation_log_url)
    async with db.read() as session:
        user = await find_user(session, "admin")
        assert user is not None and verify_password(user.password_hash, password)
    await db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_python_m_review_migrates_creates_the_admin_and_serves_health(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "CONSOLE_PORT": str(port)}
    env.pop("CONSOLE_ADMIN_PASSWORD", None)
    env.pop("CONVERSATION_LOG_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "review"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, "console exited"
                assert time.monotonic() < deadline, "no /health within 60 s"
                time.sleep(0.3)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    password = (tmp_path / PASSWORD_FILE).read_text().strip()
    assert str(tmp_path / PASSWORD_FILE) in output
    assert password not in output
