"""The real stack writes the conversation log: every turn there, no raw personal data.

Sandbox, action server and Rasa run as processes with the broker from
``bot/endpoints.yml`` writing to a freshly migrated SQLite file. Citizens give
an ID number, plates, an engine-number suffix and a mobile number; afterwards
the file (and its WAL) is scanned byte by byte, and the console's queries read
the turns back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review.logdb.database import LogDatabase
from review.logdb.queries import conversation_turns, recent_conversations
from tests.e2e.stack import Stack, http, start_stack

pytestmark = pytest.mark.e2e

KEY = "e2e-conversation-log-key"
ID_NUMBER = "44030519900101123X"
MOBILE = "13912340000"
PLATES = ("粤B12345", "粤B6A7C8")
DECISIONS = ("4403052600000011",)
RAW_TEXT = (ID_NUMBER, MOBILE, *PLATES, "B12345", "B6A7C8", *DECISIONS, "李婉清")
# Digits right after "." are decimals (confidences, microseconds), not identifiers.
RAW_PATTERNS = (
    re.compile(rb"(?<![\d.])\d{17}[\dXx](?!\d)"),
    re.compile(rb"(?<![\d.])1[3-9]\d{9}(?!\d)"),
    re.compile(rb"(?<![\d.])123456(?!\d)"),  # the engine-number suffix given below
)


LIVE: dict[str, int] = {}


def _wait_for_user_rows(url: str, expected: int, timeout_s: float = 10) -> int:
    path = url.removeprefix("sqlite:///")
    deadline = time.monotonic() + timeout_s
    while True:
        with sqlite3.connect(path) as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM conversation_events WHERE event_type = 'user'"
            ).fetchone()
        if count >= expected or time.monotonic() > deadline:
            return int(count)
        time.sleep(0.2)


class Talk:
    """One citizen on one channel, through Rasa's REST webhook."""

    def __init__(self, stack: Stack, channel: str) -> None:
        self.url = f"{stack.rasa.url}/webhooks/rest/webhook"
        self.sender = f"{channel}:{uuid.uuid4().hex}"
        self.said = 0

    def say(self, text: str) -> str:
        status, body = http("POST", self.url, {"sender": self.sender, "message": text})
        assert status == 200 and isinstance(body, list), body
        self.said += 1
        return "\n".join(str(r.get("text", "")) for r in body)

    @property
    def conversation(self) -> str:
        return hmac.new(KEY.encode(), self.sender.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conversation-log")


@pytest.fixture(scope="module")
def log_url(work: Path) -> str:
    import asyncio

    url = f"sqlite:///{work / 'conversations.db'}"

    async def migrate() -> None:
        db = LogDatabase(url)
        await db.migrate()
        await db.dispose()

    asyncio.run(migrate())
    return url


@pytest.fixture(scope="module")
def stack(work: Path, log_url: str) -> Iterator[Stack]:
    running = start_stack(
        work,
        env={"CONVERSATION_LOG_URL": log_url, "CONVERSATION_LOG_PSEUDONYM_KEY": KEY},
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def talks(stack: Stack, log_url: str) -> dict[str, Talk]:
    """Four conversations with personal data, then the stack is stopped (flush)."""
    licence = Talk(stack, "web")
    reply = licence.say(f"我驾照还剩几分 {ID_NUMBER}")
    assert "4403**********123X" in reply, reply
    violations = Talk(stack, "wechat")
    assert "后6位" in violations.say(f"帮我查下{PLATES[0]}的违章")
    listing = violations.say("发动机号后六位123456")
    assert DECISIONS[0] in listing, listing  # the bot shows it; the log must not
    complaint = Talk(stack, "sms")
    complaint.say("我要投诉南山区西丽街道有个工地半夜还在施工太吵了")
    assert "139****0000" in complaint.say(MOBILE)
    complaint.say("确认")
    handoff = Talk(stack, "web")
    handoff.say(f"{PLATES[1]}年审到期没有")
    handoff.say("转人工")
    said = sum(t.said for t in (licence, violations, complaint, handoff))
    LIVE["user_rows"] = _wait_for_user_rows(log_url, said)
    stack.stop()  # SIGTERM: Rasa closes the broker, which flushes
    return {
        "licence": licence,
        "violations": violations,
        "complaint": complaint,
        "handoff": handoff,
    }


def _log_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(
        p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)
    )


async def _read(url: str, talks: dict[str, Talk]) -> dict[str, Any]:
    db = LogDatabase(url)
    try:
        async with db.read() as session:
            listed = await recent_conversations(session, limit=100)
            turns = {
                name: await conversation_turns(session, talk.conversation)
                for name, talk in talks.items()
            }
    finally:
        await db.dispose()
    return {"listed": listed, "turns": turns}


def test_no_raw_personal_data_in_the_log_file(
    log_url: str, talks: dict[str, Talk]
) -> None:
    raw = _log_bytes(log_url)
    assert len(raw) > 10_000
    for value in RAW_TEXT + tuple(t.sender for t in talks.values()):
        assert value.encode() not in raw, value
    for pattern in RAW_PATTERNS:
        assert not pattern.search(raw), pattern.search(raw)


async def test_every_message_is_logged_as_a_turn(
    log_url: str, talks: dict[str, Talk]
) -> None:
    read = await _read(log_url, talks)
    listed = {c.conversation: c for c in read["listed"]}
    for name, talk in talks.items():
        assert listed[talk.conversation].messages == talk.said, name
        texts = [t.text for t in read["turns"][name] if t.text is not None]
        assert len(texts) == talk.said, (name, texts)
    assert {listed[t.conversation].channel for t in talks.values()} == {
        "web",
        "wechat",
        "sms",
    }


async def test_turns_carry_masked_values_and_predictions(
    log_url: str, talks: dict[str, Talk]
) -> None:
    turns = (await _read(log_url, talks))["turns"]
    licence = next(t for t in turns["licence"] if t.text)
    assert licence.text == "我驾照还剩几分 4403**********123X"
    assert licence.prediction is not None
    assert licence.prediction.intent == "query_license_points"
    assert licence.prediction.confidence is not None
    assert [(e.entity, e.value) for e in licence.prediction.entities] == [
        ("id_number", "4403**********123X")
    ]
    assert any("4403**********123X" in text for text in licence.bot_texts)
    assert "action_query_license" in licence.actions

    plate = next(t for t in turns["violations"] if t.text)
    assert plate.text == "帮我查下粤B***45的违章"
    suffix = [t for t in turns["violations"] if t.text][1]
    assert suffix.slots.get("engine_suffix") in ("******", None)
    assert any("440305******0011" in text for text in suffix.bot_texts)

    phone = [t for t in turns["complaint"] if t.text][1]
    assert phone.text == "139****0000"
    assert phone.slots.get("phone_number") == "139****0000"

    assert any(t.handoff for t in turns["handoff"])


def test_turns_reach_the_log_while_rasa_runs(talks: dict[str, Talk]) -> None:
    # Written within seconds, not only when Rasa shuts down.
    assert LIVE["user_rows"] == sum(t.said for t in talks.values())


def test_rasa_answers_when_the_log_database_is_missing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("conversation-log-missing")
    missing = work / "not-migrated" / "conversations.db"
    running = start_stack(
        work,
        env={
            "CONVERSATION_LOG_URL": f"sqlite:///{missing}",
            "CONVERSATION_LOG_PSEUDONYM_KEY": KEY,
        },
        migrate=False,
    )
    try:
        talk = Talk(running, "web")
        assert "4403**********123X" in talk.say(f"我驾照还剩几分 {ID_NUMBER}")
    finally:
        running.stop()
    log = running.rasa.log.read_text("utf-8", errors="replace")
    assert "conversation_log.not_ready" in log and "review.logdb migrate" in log
    assert ID_NUMBER not in log
    assert not missing.exists()
