"""The conversation-log broker inside Rasa: masked rows, durable writes, no crash.

Engine side (Rasa 3.6, SQLAlchemy 1.4). The table is created by the app side's
real migration (``python -m review.logdb migrate`` in ``.venv-app``), as in
production; rows are read back with the stdlib ``sqlite3`` module.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    EntitiesAdded,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event as sqlalchemy_event

from bot.event_log import ConversationLogBroker, channel_of, mask_event, pseudonym
from bot.event_masking import to_row
from bot.tracker_store import BoundedTrackerStore

ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = ROOT / ".venv-app" / "bin" / "python"
KEY = "test-pseudonym-key"
SENDER = "web:7f3a9c0d2b4e6f8a1c3e5d7b9f0a2c4e"

ID_NUMBER = "44030519900101123X"
PHONE = "13800138000"
PLATE = "粤B12345"
DECISION = "4403052600000011"
ENGINE = "A8K92Z"
RAW_VALUES = (ID_NUMBER, PHONE, PLATE, "B12345", DECISION, ENGINE, SENDER)
# Digits right after "." are the decimals of a confidence, not identifiers.
RAW_PATTERNS = (
    re.compile(rb"(?<![\d.])\d{17}[\dXx](?!\d)"),
    re.compile(rb"(?<![\d.])1[3-9]\d{9}(?!\d)"),
)


def migrate(url: str) -> None:
    """Create the schema with the app side's migrations (a real subprocess)."""
    done = subprocess.run(
        [str(APP_PYTHON), "-m", "review.logdb", "migrate", "--url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logdb") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def log_db(tmp_path: Path, template: Path) -> Path:
    path = tmp_path / "log.db"
    shutil.copy(template, path)
    return path


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


@pytest.fixture
def make_broker() -> Iterator[Callable[..., ConversationLogBroker]]:
    made: list[ConversationLogBroker] = []

    def _make(path: Path | str, **options: Any) -> ConversationLogBroker:
        url = path if isinstance(path, str) else f"sqlite:///{path}"
        broker = ConversationLogBroker(url, KEY, **options)
        made.append(broker)
        return broker

    yield _make
    for broker in made:
        broker._join(5)


def rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute("SELECT * FROM conversation_events ORDER BY id").fetchall()
    return [dict(r) for r in found]


def wait_for_rows(
    path: Path, count: int, timeout_s: float = 15
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = rows(path)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def db_bytes(path: Path) -> bytes:
    """The database file and its WAL / shared-memory companions."""
    return b"".join(
        p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)
    )


def assert_no_raw_values(path: Path) -> None:
    raw = db_bytes(path)
    for value in RAW_VALUES:
        assert value.encode() not in raw, value
    for pattern in RAW_PATTERNS:
        assert not pattern.search(raw), pattern.search(raw)


def parse_data(text: str, intent: str, confidence: float, entities: list[Any]) -> Any:
    """Parse data shaped as our model returns it (entities with ``text``)."""
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "text_tokens": [[0, len(text)]],
        "intent_ranking": [
            {"name": intent, "confidence": confidence},
            {"name": "inform", "confidence": 1 - confidence},
        ],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "responses": [{"text": "驾驶证期满换证……（办事指南全文）"}],
                    "confidence": 0.4,
                    "intent_response_key": "faq/driving_license_renewal",
                    "utter_action": "utter_faq/driving_license_renewal",
                },
                "ranking": [],
            },
        },
    }


def entity(kind: str, text: str, value: str) -> dict[str, Any]:
    start = text.index(value)
    return {
        "entity": kind,
        "start": start,
        "end": start + len(value),
        "value": value,
        "text": value,
        "confidence_entity": 1.0,
        "extractor": "GovEntityExtractor",
    }


def user(text: str, intent: str, confidence: float, *kinds: tuple[str, str]) -> Event:
    entities = [entity(kind, text, value) for kind, value in kinds]
    data = parse_data(text, intent, confidence, entities)
    return UserUttered(
        text,
        data["intent"],
        entities,
        data,
        input_channel="rest",
        message_id="m-1",
        metadata={"display_text": text, "locale": "zh-CN"},
    )


def conversation() -> list[Event]:
    """A session with an ID number, a phone, a plate, slots, actions and bot echoes."""
    licence = f"我驾照还剩几分 {ID_NUMBER}"
    violation = f"帮我查下{PLATE}的违章，手机{PHONE}"
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(licence, "query_license_points", 0.97, ("id_number", ID_NUMBER)),
        SlotSet("id_number", ID_NUMBER),
        ActionExecuted("action_query_license_points", "RulePolicy", 1.0),
        BotUttered(
            "您的驾驶证（4403**********123X）记分0分。",
            {
                "buttons": [
                    {
                        "title": "缴款",
                        "payload": f'/pay_fine{{"decision_number":"{DECISION}"}}',
                    }
                ]
            },
            {"utter_action": "utter_license_points"},
        ),
        ActionExecuted("action_listen"),
        user(
            violation,
            "query_violation",
            0.41,
            ("plate_number", PLATE),
            ("phone_number", PHONE),
        ),
        SlotSet("plate_number", PLATE),
        SlotSet("phone_number", PHONE),
        SlotSet("engine_suffix", ENGINE),
        SlotSet("feedback_text", f"我的身份证是{ID_NUMBER}，电话{PHONE}"),
        # Added by an action: no span (Rasa appends it to the last message).
        EntitiesAdded([{"entity": "engine_suffix", "value": ENGINE}]),
        ActionExecuted("action_query_violations", "RulePolicy", 0.99),
        BotUttered(
            f"{PLATE}有2条违法记录，决定书编号{DECISION}，我们会短信通知{PHONE}。",
            {},
            {"utter_action": "utter_violations"},
        ),
        ActionExecuted("action_human_handoff", "RulePolicy", 1.0),
        ConversationPaused(),
    ]


async def test_every_event_is_written_masked(
    log_db: Path, domain: Domain, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    broker = make_broker(log_db)
    store = BoundedTrackerStore(domain, event_broker=broker)
    events = conversation()
    await store.save(DialogueStateTracker.from_events(SENDER, events, domain.slots))
    await broker.close()

    found = rows(log_db)
    assert [r["event_type"] for r in found] == [e.type_name for e in events]
    expected_id = hmac.new(KEY.encode(), SENDER.encode(), hashlib.sha256).hexdigest()
    assert {r["conversation"] for r in found} == {expected_id}
    assert {r["channel"] for r in found} == {"web"}

    licence, violation = (r for r in found if r["event_type"] == "user")
    assert licence["text"] == "我驾照还剩几分 4403**********123X"
    assert licence["intent"] == "query_license_points"
    assert licence["confidence"] == pytest.approx(0.97)
    assert violation["text"] == "帮我查下粤B***45的违章，手机138****8000"
    data = json.loads(violation["data"])
    assert [
        (e["entity"], e["value"], e.get("text")) for e in data["parse_data"]["entities"]
    ] == [
        ("plate_number", "粤B***45", "粤B***45"),
        ("phone_number", "138****8000", "138****8000"),
        ("engine_suffix", "******", None),
    ]
    assert data["parse_data"]["text"] == violation["text"]
    assert data["metadata"] == {"display_text": violation["text"], "locale": "zh-CN"}
    # Which answer the retrieval model chose stays; the answer text does not.
    faq = data["parse_data"]["response_selector"]["faq"]["response"]
    assert faq["intent_response_key"] == "faq/driving_license_renewal"
    assert "responses" not in faq

    slots = {
        json.loads(r["data"])["name"]: json.loads(r["data"])["value"]
        for r in found
        if r["event_type"] == "slot"
    }
    assert slots == {
        "id_number": "4403**********123X",
        "plate_number": "粤B***45",
        "phone_number": "138****8000",
        "engine_suffix": "******",
        "feedback_text": "我的身份证是4403**********123X，电话138****8000",
    }
    bots = [r for r in found if r["event_type"] == "bot"]
    assert [b["action_name"] for b in bots] == [
        "utter_license_points",
        "utter_violations",
    ]
    assert bots[0]["text"] == "您的驾驶证（4403**********123X）记分0分。"
    assert bots[1]["text"] == (
        "粤B***45有2条违法记录，决定书编号440305******0011，我们会短信通知138****8000。"
    )
    payload = json.loads(bots[0]["data"])["data"]["buttons"][0]["payload"]
    assert payload == '/pay_fine{"decision_number":"440305******0011"}'
    actions = [
        (r["action_name"], r["confidence"])
        for r in found
        if r["event_type"] == "action"
    ]
    assert ("action_query_violations", pytest.approx(0.99)) in actions
    assert ("action_human_handoff", 1.0) in actions
    assert_no_raw_values(log_db)


async def test_only_new_events_are_published_on_later_saves(
    log_db: Path, domain: Domain, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    broker = make_broker(log_db)
    store = BoundedTrackerStore(domain, event_broker=broker)
    tracker = DialogueStateTracker.from_events(SENDER, conversation()[:4], domain.slots)
    await store.save(tracker)
    tracker = await store.retrieve(SENDER)
    assert tracker is not None
    tracker.update(ActionExecuted("action_query_license_points"))
    await store.save(tracker)
    await broker.close()
    assert [r["event_type"] for r in rows(log_db)] == [
        "action",
        "session_started",
        "action",
        "user",
        "action",
    ]


async def test_close_flushes_what_is_still_queued(
    log_db: Path, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    # A long linger: nothing would be written before close without the flush.
    broker = make_broker(log_db, batch_size=37, flush_interval_s=30)
    for n in range(500):
        broker.publish({"sender_id": SENDER, **BotUttered(f"第{n}条").as_dict()})
    await broker.close()
    assert len(rows(log_db)) == 500
    assert broker.written == 500 and broker.dropped == 0


async def test_publish_returns_at_once_while_the_database_is_locked(
    log_db: Path, domain: Domain, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    broker = make_broker(log_db, busy_timeout_s=0.2, retry_max_s=0.3)
    store = BoundedTrackerStore(domain, event_broker=broker)
    blocker = sqlite3.connect(log_db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    await store.save(
        DialogueStateTracker.from_events(SENDER, conversation(), domain.slots)
    )
    assert time.monotonic() - started < 0.5
    await asyncio.sleep(1.0)  # several failed attempts
    assert blocker.execute("SELECT COUNT(*) FROM conversation_events").fetchone() == (
        0,
    )
    blocker.execute("ROLLBACK")
    blocker.close()
    assert len(wait_for_rows(log_db, len(conversation()))) == len(conversation())
    await broker.close()
    assert broker.dropped == 0
    assert_no_raw_values(log_db)


async def test_a_missing_database_does_not_stop_rasa(
    tmp_path: Path, template: Path, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    path = tmp_path / "later" / "log.db"
    config = EndpointConfig(
        url=f"sqlite:///{path}",
        type="bot.event_log.ConversationLogBroker",
        pseudonym_key=KEY,
        retry_max_s=0.2,
    )
    broker = await EventBroker.create(config)
    assert isinstance(broker, ConversationLogBroker)
    try:
        for event in conversation():
            broker.publish({"sender_id": SENDER, **event.as_dict()})
        await asyncio.sleep(0.5)
        assert not path.exists()  # the broker never creates an unmigrated file
        path.parent.mkdir()
        shutil.copy(template, path)  # the operator runs the migration
        assert len(wait_for_rows(path, len(conversation()))) == len(conversation())
    finally:
        await broker.close()
    assert_no_raw_values(path)


async def test_a_database_without_the_table_is_waited_for(
    tmp_path: Path, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    broker = make_broker(path, retry_max_s=0.2, max_buffer=50)
    for n in range(80):
        broker.publish(
            {"sender_id": SENDER, **BotUttered(f"第{n}条 {PHONE}").as_dict()}
        )
        if n % 10 == 9:
            await asyncio.sleep(0.1)  # the writer drains the queue meanwhile
    await asyncio.sleep(0.5)
    # Bounded: the oldest are dropped (and counted), memory does not grow.
    assert broker.dropped == 30
    assert len(broker._pending) == 50
    migrate(f"sqlite:///{path}")
    found = wait_for_rows(path, 50)
    await broker.close()
    assert [r["text"] for r in found][:1] == ["第30条 138****8000"]
    assert len(found) == 50


async def test_an_empty_url_turns_the_log_off() -> None:
    config = EndpointConfig(url="", type="bot.event_log.ConversationLogBroker")
    assert await EventBroker.create(config) is None


def test_configuration_errors_are_clear_and_show_no_password(log_db: Path) -> None:
    with pytest.raises(ValueError, match="pseudonym_key"):
        ConversationLogBroker(f"sqlite:///{log_db}", "")
    with pytest.raises(ValueError, match="not a database URL") as bad:
        ConversationLogBroker("secret-password", KEY)
    assert "secret-password" not in str(bad.value)
    with pytest.raises(ValueError, match="no driver") as driver:
        ConversationLogBroker("mysql://user:secret-password@db/log", KEY)
    assert "secret-password" not in str(driver.value)


async def test_endpoints_yml_configures_the_broker(
    log_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:1/webhook")
    monkeypatch.setenv("CONVERSATION_LOG_URL", f"sqlite:///{log_db}")
    monkeypatch.setenv("CONVERSATION_LOG_PSEUDONYM_KEY", KEY)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.yml"))
    broker = await EventBroker.create(endpoints.event_broker)
    assert isinstance(broker, ConversationLogBroker)
    broker.publish({"sender_id": SENDER, **SessionStarted().as_dict()})
    await broker.close()
    assert [r["event_type"] for r in rows(log_db)] == ["session_started"]


async def test_the_sqlite_connection_is_kept_and_closed_cleanly(
    log_db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:1/webhook")
    monkeypatch.setenv("CONVERSATION_LOG_URL", f"sqlite:///{log_db}")
    monkeypatch.setenv("CONVERSATION_LOG_PSEUDONYM_KEY", KEY)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.yml"))
    connects = []
    # As Rasa starts it: the table is checked from an executor thread, rows are
    # written from the writer thread, close disposes from yet another thread.
    broker = await EventBroker.create(endpoints.event_broker)
    assert isinstance(broker, ConversationLogBroker)
    sqlalchemy_event.listen(
        broker._sink._engine, "connect", lambda *_: connects.append(1)
    )
    for n in range(3):
        broker.publish({"sender_id": SENDER, **BotUttered(f"第{n}条").as_dict()})
        wait_for_rows(log_db, n + 1)
    with caplog.at_level(logging.ERROR):
        await broker.close()
    assert len(rows(log_db)) == 3
    assert len(connects) <= 1  # one connection for every batch, not one each
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_sender_ids_become_keyed_pseudonyms() -> None:
    first = pseudonym(KEY.encode(), SENDER)
    assert first == pseudonym(KEY.encode(), SENDER)
    assert first != pseudonym(b"another-key", SENDER)
    assert len(first) == 64 and SENDER.split(":")[1] not in first
    assert channel_of("telegram:abc") == "telegram"
    assert channel_of("e2e-1234") is None
    assert channel_of(f"{PHONE}:x") is None  # never a raw id as a channel
    assert channel_of("Web Chat:x") is None


def test_a_bound_conversation_logs_each_message_under_its_channel() -> None:
    # A conversation bound to a mobile number (citizen:…) spans channels.
    base = {"sender_id": "citizen:0123456789abcdef", "timestamp": 1.0}
    sms = to_row({**base, "event": "user", "metadata": {"channel": "sms"}}, b"k")
    assert sms["channel"] == "sms"
    odd = to_row({**base, "event": "user", "metadata": {"channel": PHONE}}, b"k")
    assert odd["channel"] == "citizen"  # never a raw id as a channel
    assert to_row({**base, "event": "bot"}, b"k")["channel"] == "citizen"


def test_masking_reaches_nested_and_numeric_values() -> None:
    masked = mask_event(
        {
            "sender_id": SENDER,
            "event": "reminder",
            "entities": [{"entity": "id_number", "value": ID_NUMBER}],
            "metadata": {"from": SENDER, "raw": int(PHONE), PHONE: [f"车牌{PLATE}"]},
        }
    )
    assert masked["entities"][0]["value"] == "4403**********123X"
    assert "sender_id" not in masked
    assert masked["metadata"] == {
        "from": "*" * len(SENDER),
        "raw": "138****8000",
        "138****8000": ["车牌粤B***45"],
    }


def test_an_entity_span_is_masked_even_where_scrub_finds_nothing() -> None:
    text = "我的车是京AD-1234-5这辆"  # a learned extractor's odd span
    span = "京AD-1234-5"
    masked = mask_event(
        {
            "event": "user",
            "text": text,
            "parse_data": {
                "text": text,
                "intent": {"name": "inform", "confidence": 0.8},
                "entities": [entity("plate_number", text, span)],
            },
        }
    )
    assert masked["text"] == "我的车是京A*-***4-5这辆"
    assert len(masked["text"]) == len(text)
    assert masked["parse_data"]["entities"][0]["value"] == "京A****45"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database (throwaway cluster)."""
    import psycopg2

    from tests.review.postgres import postgres_server

    with postgres_server() as server:
        conn = psycopg2.connect(server)
        conn.autocommit = True
        name = f"log_engine_{int(time.time() * 1000)}"
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        url = server.rsplit("/", 1)[0] + f"/{name}"
        migrate(url)
        yield url


@pytest.mark.postgres
async def test_postgresql_by_url(
    pg_url: str, domain: Domain, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    import psycopg2

    broker = make_broker(pg_url)
    store = BoundedTrackerStore(domain, event_broker=broker)
    await store.save(
        DialogueStateTracker.from_events(SENDER, conversation(), domain.slots)
    )
    await broker.close()
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT event_type, text, data, timestamp FROM conversation_events "
            "ORDER BY id"
        )
        found = cursor.fetchall()
    assert [r[0] for r in found] == [e.type_name for e in conversation()]
    dumped = json.dumps([r[:3] for r in found], ensure_ascii=False)
    for value in RAW_VALUES:
        assert value not in dumped, value
    assert "帮我查下粤B***45的违章，手机138****8000" in [r[1] for r in found]
    assert all(r[3].tzinfo is not None for r in found)


async def test_text_no_database_can_store_is_made_storable(
    log_db: Path, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    broker = make_broker(log_db)
    text = f"坏\x00字\ud800符 {PHONE}"
    broker.publish({"sender_id": SENDER, **UserUttered(text).as_dict()})
    await broker.close()
    (row,) = rows(log_db)
    assert row["text"] == "坏\ufffd字?符 138****8000"
    assert broker.dropped == 0


async def test_a_rejected_row_does_not_block_the_others(
    log_db: Path, make_broker: Callable[..., ConversationLogBroker]
) -> None:
    with sqlite3.connect(log_db) as conn:
        conn.execute(
            "CREATE TRIGGER reject_one BEFORE INSERT ON conversation_events "
            "WHEN NEW.text = '坏' BEGIN SELECT RAISE(ABORT, 'rejected'); END"
        )
    broker = make_broker(log_db, flush_interval_s=5)
    for text in ("一", "坏", "三"):
        broker.publish({"sender_id": SENDER, **BotUttered(text).as_dict()})
    await broker.close()
    assert [r["text"] for r in rows(log_db)] == ["一", "三"]
    assert (broker.written, broker.dropped) == (2, 1)
