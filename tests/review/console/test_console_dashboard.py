"""Dashboard figures on a known log written through the real masking (bot.event_masking)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.event_masking import to_row
from review.console.dashboard import (
    LOCAL_TZ,
    SERVICE_LABELS,
    DateRange,
    dashboard,
)
from review.console.dashboard_view import parse_range
from review.logdb.database import LogDatabase
from review.logdb.models import ConversationEvent
from tests.review.console.kit import HTML, login

KEY = b"test-pseudonym-key"
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"
DAY1 = dt.date(2026, 11, 20)
DAY2 = dt.date(2026, 11, 21)
PERIOD = DateRange(DAY1, DAY2)


def at(day: dt.date, hour: int, minute: int = 0) -> float:
    return dt.datetime.combine(day, dt.time(hour, minute), LOCAL_TZ).timestamp()


def user(
    text: str, intent: str, confidence: float = 0.95, **extra: Any
) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": extra.pop("entities", []),
            "intent_ranking": [{"name": intent, "confidence": confidence}],
        },
        "input_channel": "rest",
    }


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0}


def bot(text: str, utter: str) -> dict[str, Any]:
    return {
        "event": "bot",
        "text": text,
        "data": {},
        "metadata": {"utter_action": utter},
    }


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def licence_rated_5() -> list[dict[str, Any]]:
    text = f"查驾照记分 {ID_NUMBER}"
    entity = {"entity": "id_number", "start": 6, "end": 24, "value": ID_NUMBER}
    return [
        action("action_session_start"),
        action("action_listen"),
        user(text, "query_license_points", entities=[entity]),
        slot("id_number", ID_NUMBER),
        action("action_query_license"),
        bot(f"您的驾驶证（{ID_NUMBER}）记分0分。", "utter_license_points"),
        bot("请为本次服务打分（1-5分）", "utter_ask_rating"),
        slot("rating_service", "license"),
        slot("rating_target", ID_NUMBER),
        action("action_listen"),
        user("5", "rate_service"),
        slot("rating", "5"),
        action("action_rate_service"),
        bot("感谢您的评价（5分）！", "utter_rate_thanks"),
        slot("rating", None),
    ]


def fallback_then_handoff() -> list[dict[str, Any]]:
    return [
        user("嗯那个啥", "nlu_fallback", 0.4),
        action("action_default_ask_affirmation"),
        action("action_listen"),
        user("/human_handoff", "human_handoff", 1.0),
        action("action_human_handoff"),
        bot("正在为您转接人工服务……", "utter_human_handoff"),
    ]


def complaint_rated_1() -> list[dict[str, Any]]:
    return [
        user("我要投诉", "file_complaint"),
        action("ticket_form"),
        action("action_listen"),
        user(f"楼下工地夜间施工太吵，电话{PHONE}", "inform", 0.8),
        action("ticket_form"),
        action("action_file_ticket"),
        bot(
            "已提交！工单号：GD202611200001\n已转市城市管理和综合执法局办理，"
            "一般3个工作日内联系您。",
            "utter_ticket_filed",
        ),
        bot("请为本次服务打分（1-5分）", "utter_ask_rating"),
        slot("rating_service", "hotline"),
        slot("rating_target", "GD202611200001"),
        action("action_listen"),
        user("1", "rate_service"),
        slot("rating", "1"),
        action("action_rate_service"),
    ]


def exam_abandoned() -> list[dict[str, Any]]:
    return [
        user("我想预约科目一考试", "book_exam"),
        action("exam_booking_form"),
        action("action_listen"),
        user("算了不约了", "deny"),
        action("utter_form_not_understood"),
    ]


async def store(
    db: LogDatabase, sender: str, start: float, events: list[Mapping[str, Any]]
) -> None:
    async with db.write() as session:
        for n, event in enumerate(events):
            raw = {**event, "sender_id": sender, "timestamp": start + n}
            session.add(ConversationEvent(**to_row(raw, KEY)))


@pytest.fixture
async def known_log(db: LogDatabase) -> LogDatabase:
    await store(db, "web:citizen-0001", at(DAY1, 9), licence_rated_5())
    await store(db, "telegram:555000111", at(DAY2, 23, 30), fallback_then_handoff())
    await store(db, "web:citizen-0002", at(DAY1, 14), complaint_rated_1())
    await store(db, "sms:citizen-0003", at(DAY1, 0, 10), exam_abandoned())
    # Outside the range: a day earlier (local), and an hour into the day after.
    await store(db, "web:citizen-0004", at(DAY1, 0) - 60, exam_abandoned())
    await store(
        db, "web:citizen-0005", at(DAY2 + dt.timedelta(days=1), 1), exam_abandoned()
    )
    return db


async def test_volumes_by_channel_intent_and_local_day(known_log: LogDatabase) -> None:
    async with known_log.read() as session:
        board = await dashboard(session, PERIOD)
    assert board.conversations == 4
    assert board.messages == 9
    assert board.conversations_by_channel == [("web", 2), ("sms", 1), ("telegram", 1)]
    assert dict(board.messages_by_channel) == {"web": 5, "telegram": 2, "sms": 2}
    intents = dict(board.messages_by_intent)
    assert intents["rate_service"] == 2
    assert intents["nlu_fallback"] == 1
    assert intents["book_exam"] == 1
    assert board.messages_by_day == [(DAY1, 7), (DAY2, 2)]


async def test_fallback_handoff_and_completion_rates(known_log: LogDatabase) -> None:
    async with known_log.read() as session:
        board = await dashboard(session, PERIOD)
    assert board.fallback_messages == 1
    assert board.fallback_rate == pytest.approx(1 / 9)
    assert board.handoff_conversations == 1
    assert board.handoff_rate == pytest.approx(1 / 4)
    tasks = {t.intent: (t.started, t.completed) for t in board.tasks}
    assert tasks == {
        "query_license_points": (1, 1),
        "file_complaint": (1, 1),
        "book_exam": (1, 0),
    }
    assert board.completion_rate == pytest.approx(2 / 3)


async def test_satisfaction_by_service_and_department(known_log: LogDatabase) -> None:
    async with known_log.read() as session:
        board = await dashboard(session, PERIOD)
    services = {f.label: (f.count, f.average) for f in board.ratings_by_service}
    assert services == {"驾驶证查询": (1, 5.0), "12345热线诉求": (1, 1.0)}
    departments = {f.label: (f.count, f.bad) for f in board.ratings_by_department}
    assert departments == {"市车管所": (1, 0), "市城市管理和综合执法局": (1, 1)}
    assert board.ratings.count == 2
    assert board.ratings.average == pytest.approx(3.0)


async def test_an_empty_range_has_no_rates(known_log: LogDatabase) -> None:
    async with known_log.read() as session:
        board = await dashboard(
            session, DateRange(dt.date(2020, 1, 1), dt.date(2020, 1, 2))
        )
    assert board.messages == 0
    assert board.fallback_rate is None and board.completion_rate is None
    assert board.messages_by_day == [(dt.date(2020, 1, 1), 0), (dt.date(2020, 1, 2), 0)]


def test_rating_service_names_match_the_actions() -> None:
    from actions.ratings import SERVICES

    assert SERVICE_LABELS == SERVICES


def test_date_ranges_are_validated() -> None:
    today = dt.date(2026, 11, 22)
    assert parse_range("2026-11-01", "2026-11-05", today) == (
        DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 5)),
        None,
    )
    default = DateRange.last_days(30, today)
    for start, end in (
        ("2026-13-01", None),
        ("2026-11-05", "2026-11-01"),
        ("2020-01-01", "2026-01-01"),
    ):
        period, warning = parse_range(start, end, today)
        assert period == default and warning


async def test_the_page_shows_figures_charts_and_no_personal_data(
    known_log: LogDatabase, client: TestClient
) -> None:
    await login(client, "rita")
    page = await client.get("/?from=2026-11-20&to=2026-11-21", headers=HTML)
    assert page.status == 200
    html = await page.text()

    def figure(testid: str) -> str:
        found = re.search(rf'data-testid="{testid}">([^<]*)<', html)
        assert found, testid
        return found.group(1).strip()

    assert figure("figure-conversations") == "4"
    assert figure("figure-messages") == "9"
    assert figure("figure-handoff-rate") == "25.0%"
    assert figure("figure-completion-rate") == "66.7%"
    for chart in ("channel", "intent", "day", "service", "department"):
        assert f'data-testid="chart-{chart}"' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    assert 'data-label="市城市管理和综合执法局"' in html
    assert "<script" not in html
    for raw in (ID_NUMBER, PHONE, "citizen-0001", "555000111"):
        assert raw not in html
    bad = await client.get("/?from=2026-11-21&to=2026-11-01", headers=HTML)
    assert "开始日期不能晚于结束日期" in await bad.text()
