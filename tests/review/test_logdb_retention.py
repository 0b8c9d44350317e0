"""Retention: old conversation events go, recent ones and the audit log stay."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from logrows import T0, action, add_conversation, user

from review.logdb import audit, retention
from review.logdb.__main__ import main
from review.logdb.database import LogDatabase
from review.logdb.queries import recent_conversations
from review.logdb.settings import LogDbSettings, load_log_settings

ROOT = Path(__file__).resolve().parents[2]
NOW = T0 + dt.timedelta(days=200)


async def _fill(db: LogDatabase) -> None:
    for age_days, conversation in (
        (250, "old"),
        (181, "edge"),
        (179, "kept"),
        (1, "new"),
    ):
        await add_conversation(
            db,
            conversation * 8,
            [user("你好", "greet", 0.9), action("utter_greet")],
            start=NOW - dt.timedelta(days=age_days),
        )


async def test_events_older_than_the_limit_are_deleted(any_db: LogDatabase) -> None:
    await _fill(any_db)
    done = await retention.purge(any_db, days=180, now=NOW)
    assert done.deleted == 4 and done.cutoff == NOW - dt.timedelta(days=180)
    async with any_db.read() as session:
        left = {c.conversation for c in await recent_conversations(session)}
        check = await audit.verify(session)
    assert left == {"kept" * 8, "new" * 8}
    assert check.ok and check.entries == 1 and check.head == done.audit_head
    assert await retention.oldest_event(any_db) is not None


async def test_each_run_is_audited_and_the_audit_log_is_kept(db: LogDatabase) -> None:
    await _fill(db)
    await retention.purge(db, days=180, now=NOW)
    second = await retention.purge(db, days=30, now=NOW)
    assert second.deleted == 2
    async with db.read() as session:
        check = await audit.verify(session)
    assert check.ok and check.entries == 2
    assert await retention.oldest_event(db) is not None
    await retention.purge(db, days=1, now=NOW + dt.timedelta(days=5))
    assert await retention.oldest_event(db) is None


async def test_large_purges_go_in_slices(
    db: LogDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 3)
    await add_conversation(
        db, "x" * 64, [action("action_listen")] * 10, start=NOW - dt.timedelta(days=400)
    )
    assert (await retention.purge(db, days=180, now=NOW)).deleted == 10


async def test_zero_days_is_refused(db: LogDatabase) -> None:
    with pytest.raises(ValueError):
        await retention.purge(db, days=0)


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review.logdb", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"CONVERSATION_LOG_RETENTION_DAYS": "90"},
    )


def test_the_command_line_runs_retention_then_verifies(db_path: Path) -> None:
    url = f"sqlite:///{db_path}"
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO conversation_events (conversation, channel, timestamp, "
            "event_type, data) VALUES ('o', 'web', '2000-01-01 00:00:00.000000', "
            "'action', ?)",
            (json.dumps({"event": "action"}),),
        )
    purged = _cli("retention", "--url", url)
    assert purged.returncode == 0, purged.stderr
    assert "deleted 1 events" in purged.stdout
    verified = _cli("verify-audit", "--url", url)
    assert verified.returncode == 0 and "1 entries" in verified.stdout
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET reason = NULL")
    broken = _cli("verify-audit", "--url", url)
    assert broken.returncode == 1 and "BROKEN at entry 1" in broken.stderr


def test_settings_come_from_the_environment() -> None:
    assert load_log_settings({}) == LogDbSettings("sqlite:///var/conversations.db", 180)
    assert load_log_settings(
        {
            "CONVERSATION_LOG_URL": "postgresql://db/log",
            "CONVERSATION_LOG_RETENTION_DAYS": "90",
        }
    ) == LogDbSettings("postgresql://db/log", 90)
    for bad in ("abc", "0"):
        with pytest.raises(ValueError, match="CONVERSATION_LOG_RETENTION_DAYS"):
            load_log_settings({"CONVERSATION_LOG_RETENTION_DAYS": bad})


def test_a_bad_environment_is_reported_not_raised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["migrate"], env={"CONVERSATION_LOG_RETENTION_DAYS": "x"}) == 2
    assert "CONVERSATION_LOG_RETENTION_DAYS" in capsys.readouterr().err
