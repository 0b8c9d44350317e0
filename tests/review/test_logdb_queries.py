"""What the console reads: turns of a conversation, fallbacks, unsure messages."""

from __future__ import annotations

import datetime as dt

import pytest
from logrows import T0, action, add_conversation, bot, slot, user

from review.logdb.database import LogDatabase
from review.logdb.queries import (
    conversation_turns,
    fallback_messages,
    low_confidence_messages,
    recent_conversations,
)
from review.logdb.turns import Entity

A, B, OLD = "a" * 64, "b" * 64, "c" * 64
ID_MASKED = "4403**********123X"


def licence_then_fallback_then_handoff() -> list[dict[str, object]]:
    entity = {
        "entity": "id_number",
        "start": 8,
        "end": 26,
        "value": ID_MASKED,
        "extractor": "GovEntityExtractor",
        "confidence_entity": 1.0,
    }
    return [
        action("action_session_start"),
        {"event": "session_started"},
        action("action_listen"),
        user(
            f"我驾照还剩几分 {ID_MASKED}",
            "query_license_points",
            0.97,
            entities=[entity],
        ),
        slot("id_number", ID_MASKED),
        action("action_query_license_points", 0.99),
        bot(f"您的驾驶证（{ID_MASKED}）记分0分。", "utter_license_points"),
        action("action_listen"),
        user(
            "嗯那个啥",
            "nlu_fallback",
            0.5,
            ranking=[
                {"name": "inform", "confidence": 0.31},
                {"name": "greet", "confidence": 0.2},
            ],
        ),
        action("action_default_ask_affirmation"),
        bot("您是想……吗？", "utter_ask_affirmation"),
        action("action_listen"),
        user("/human_handoff", "human_handoff", 1.0),
        action("action_human_handoff"),
        bot("正在为您转接人工服务……", "utter_human_handoff"),
        {"event": "pause"},
    ]


def unsure_then_rating() -> list[dict[str, object]]:
    return [
        user("这个怎么弄", "help", 0.42),
        action("action_default_fallback", 0.3),
        bot("抱歉，我没有理解。", "utter_default"),
        action("action_listen"),
        user('/rate_service{"rating":"2"}', "rate_service", 1.0),
        slot("rating", "2"),
        action("action_rate_service"),
        slot("low_rating", True),
        bot("很抱歉没能让您满意。", "utter_rate_sorry"),
        action("action_listen"),
        user("谢谢", "thank", 0.95),
        action("utter_thank"),
        bot("不客气！", "utter_thank"),
    ]


@pytest.fixture
async def log(any_db: LogDatabase) -> LogDatabase:
    await add_conversation(any_db, A, licence_then_fallback_then_handoff())
    await add_conversation(
        any_db,
        B,
        unsure_then_rating(),
        channel="telegram",
        start=T0 + dt.timedelta(hours=1),
    )
    await add_conversation(
        any_db,
        OLD,
        [user("你好", "greet", 0.3)],
        channel="sms",
        start=T0 - dt.timedelta(days=3),
    )
    return any_db


async def test_turns_show_prediction_actions_and_outcome(log: LogDatabase) -> None:
    async with log.read() as session:
        turns = await conversation_turns(session, A)
    opening, licence, unclear, handoff = turns
    assert opening.text is None and opening.actions == ["action_session_start"]
    assert licence.text == f"我驾照还剩几分 {ID_MASKED}"
    assert licence.timestamp == T0 + dt.timedelta(seconds=3)
    assert licence.prediction is not None
    assert licence.prediction.intent == "query_license_points"
    assert licence.prediction.confidence == pytest.approx(0.97)
    assert licence.prediction.entities == (
        Entity("id_number", ID_MASKED, 8, 26, "GovEntityExtractor", 1.0),
    )
    assert licence.actions == ["action_query_license_points"]
    assert licence.bot_texts == [f"您的驾驶证（{ID_MASKED}）记分0分。"]
    assert licence.slots == {"id_number": ID_MASKED}
    assert not (licence.fallback or licence.handoff)
    assert unclear.fallback and not unclear.handoff
    assert unclear.prediction is not None
    assert (unclear.prediction.top_intent, unclear.prediction.top_confidence) == (
        "inform",
        pytest.approx(0.31),
    )
    assert handoff.handoff and not handoff.fallback
    assert [t.rating for t in turns] == [None] * 4


async def test_a_rating_and_a_dialogue_fallback_are_found(log: LogDatabase) -> None:
    async with log.read() as session:
        unsure, rating, thanks = await conversation_turns(session, B)
    assert unsure.fallback and unsure.actions == ["action_default_fallback"]
    assert rating.rating == 2 and not rating.fallback
    assert thanks.rating is None and not thanks.fallback


async def test_fallback_messages_newest_first(log: LogDatabase) -> None:
    async with log.read() as session:
        found = await fallback_messages(session)
        since = await fallback_messages(session, since=T0 + dt.timedelta(minutes=30))
    assert [(m.conversation, m.text) for m in found] == [
        (B, "这个怎么弄"),
        (A, "嗯那个啥"),
    ]
    assert found[0].channel == "telegram"
    assert found[1].prediction.top_intent == "inform"
    assert [m.text for m in since] == ["这个怎么弄"]


async def test_low_confidence_messages_least_sure_first(log: LogDatabase) -> None:
    async with log.read() as session:
        found = await low_confidence_messages(session, below=0.6)
        recent = await low_confidence_messages(session, below=0.6, since=T0)
    assert [(m.text, m.prediction.intent) for m in found] == [
        ("你好", "greet"),
        ("这个怎么弄", "help"),
        ("嗯那个啥", "nlu_fallback"),
    ]
    assert [m.text for m in recent] == ["这个怎么弄", "嗯那个啥"]
    assert found[0].timestamp.tzinfo is not None


async def test_recent_conversations_summarise_outcomes(log: LogDatabase) -> None:
    async with log.read() as session:
        listed = await recent_conversations(session)
        telegram = await recent_conversations(session, channel="telegram")
    assert [c.conversation for c in listed] == [B, A, OLD]
    b, a, old = listed
    assert (a.channel, a.messages, a.fallbacks, a.handed_off) == ("web", 3, 1, True)
    assert (b.channel, b.messages, b.fallbacks, b.handed_off) == (
        "telegram",
        3,
        1,
        False,
    )
    assert a.started == T0 and a.last == T0 + dt.timedelta(seconds=15)
    assert (old.messages, old.fallbacks) == (1, 0)
    assert [c.conversation for c in telegram] == [B]


async def test_an_unknown_conversation_has_no_turns(log: LogDatabase) -> None:
    async with log.read() as session:
        assert await conversation_turns(session, "f" * 64) == []
