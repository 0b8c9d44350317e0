"""``python -m review user …``: the same account changes as the UI, from a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from review.console.passwords import verify_password
from review.console.users import find_user
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry

ROOT = Path(__file__).resolve().parents[3]


def review(
    db_path: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVERSATION_LOG_URL": f"sqlite:///{db_path}"}
    return subprocess.run(
        [sys.executable, "-m", "review", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    return tmp_path / "log.db"


async def test_add_list_passwd_role_disable(cli_db: Path) -> None:
    added = review(
        cli_db,
        "user",
        "add",
        "Lin",
        "--role",
        "trainer",
        "--password-stdin",
        "--reason",
        "新同事",
        stdin="first-secret-value-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert "已添加用户 lin" in added.stdout
    assert "first-secret" not in added.stdout
    listed = review(cli_db, "user", "list")
    assert "lin\ttrainer\tactive" in listed.stdout
    generated = review(cli_db, "user", "passwd", "lin", "--generate")
    assert generated.returncode == 0
    new_password = generated.stdout.strip().rsplit("新密码：", 1)[1]
    assert review(cli_db, "user", "role", "lin", "reviewer").returncode == 0
    assert review(cli_db, "user", "disable", "lin", "--reason", "离职").returncode == 0
    assert "lin\treviewer\tdisabled" in review(cli_db, "user", "list").stdout
    db = LogDatabase(f"sqlite:///{cli_db}")
    async with db.read() as session:
        user = await find_user(session, "lin")
        assert user is not None and verify_password(user.password_hash, new_password)
        actions = list(
            await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
        )
        reasons = list(
            await session.scalars(select(AuditEntry.reason).order_by(AuditEntry.id))
        )
    await db.dispose()
    assert actions == [
        "user.added",
        "user.password_changed",
        "user.role_changed",
        "user.disabled",
    ]
    assert reasons[0] == "新同事" and reasons[-1] == "离职"


def test_refusals_exit_1_with_a_reason(cli_db: Path) -> None:
    only_admin = review(
        cli_db,
        "user",
        "add",
        "boss",
        "--role",
        "admin",
        "--password-stdin",
        stdin="chief-secret-value-1\n",
    )
    assert only_admin.returncode == 0
    last = review(cli_db, "user", "disable", "boss")
    assert last.returncode == 1
    assert "至少需要保留一名启用状态的管理员" in last.stderr
    weak = review(cli_db, "user", "add", "kim", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1
    assert "密码至少需要12个字符" in weak.stderr
    missing = review(cli_db, "user", "disable", "nobody")
    assert missing.returncode == 1
    assert "不存在" in missing.stderr
    bad_role = review(cli_db, "user", "role", "kim", "boss")
    assert bad_role.returncode == 2  # argparse refuses the choice


def test_the_parser_registers_feature_commands() -> None:
    from review.__main__ import build_parser

    parser = build_parser()
    args = parser.parse_args(["user", "list"])
    assert callable(args.run)
    assert parser.parse_args([]).command is None  # no command: serve
