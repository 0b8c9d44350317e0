"""The trained model end to end: Chinese as citizens write it, and hostile input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Parse = Callable[[str], dict[str, Any]]


def entity(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The first entity of a type, failing the test if there is none."""
    found = [e for e in result["entities"] if e["entity"] == name]
    assert found, f"no {name} in {result['entities']}"
    return found[0]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("帮我查一下粤B12345有没有违章", "query_violation"),
        ("我的驾照还剩几分", "query_license_points"),
        ("我想约科目二考试", "book_exam"),
        ("取消我的考试预约 KS26120503", "cancel_exam_booking"),
        ("车管所几点下班", "query_office"),
        ("你好", "greet"),
        ("转人工", "human_handoff"),
        ("我要投诉小区晚上施工太吵", "file_complaint"),
    ],
)
def test_typical_messages_get_their_intent(
    parse: Parse, text: str, intent: str
) -> None:
    assert parse(text)["intent"]["name"] == intent


def test_traditional_and_full_width_input_is_understood(parse: Parse) -> None:
    simplified = parse("查询粤B12345的违章记录")
    traditional = parse("查詢粵Ｂ１２３４５的違章記錄")
    assert (
        traditional["intent"]["name"]
        == simplified["intent"]["name"]
        == "query_violation"
    )
    plate = entity(traditional, "plate_number")
    text = "查詢粵Ｂ１２３４５的違章記錄"
    # The span is the citizen's original text; the value is canonical.
    assert text[plate["start"] : plate["end"]] == "粵Ｂ１２３４５"
    assert plate["value"] == "粤B12345"


def test_faq_topic_is_selected(parse: Parse) -> None:
    result = parse("居住证怎么办理，需要带什么材料")
    assert result["intent"]["name"] == "faq"
    selected = result["response_selector"]["faq"]["response"]
    assert selected["intent_response_key"] == "faq/residence_permit"
    assert selected["utter_action"] == "utter_faq/residence_permit"


def test_invalid_id_number_is_extracted_and_flagged(parse: Parse) -> None:
    result = parse("身份证号440305199001011234 查一下驾照扣分")
    found = entity(result, "id_number")
    assert found["additional_info"]["valid"] is False
    assert found["additional_info"]["problem"] == "checksum"
    ok = entity(parse("身份证号44030519900101123X 查一下驾照扣分"), "id_number")
    assert ok["additional_info"]["valid"] is True


def test_dates_are_normalised_to_iso_relative_to_the_message_time(agent: Any) -> None:
    import asyncio

    from rasa.core.channels.channel import UserMessage

    message = UserMessage(
        "帮我约下周三上午的科目一", metadata={"sent_at": "2026-11-22T10:00:00+08:00"}
    )
    result = asyncio.new_event_loop().run_until_complete(
        agent.processor.parse_message(message)
    )
    date = entity(result, "date")
    period = entity(result, "time_period")
    assert date["value"] == "2026-11-25"
    assert period["value"] == "morning"
    assert entity(result, "exam_subject")["value"] == "科目一"


def test_synonyms_map_to_canonical_values(parse: Parse) -> None:
    result = parse("预约科三，小车，南山考场")
    assert entity(result, "exam_subject")["value"] == "科目三"
    assert entity(result, "license_class")["value"] == "C1"
    assert entity(result, "exam_site")["value"] == "南山考场"


BAD_INPUTS = [
    "",
    " ",
    "好" * 20000,
    "🙂😀🚗🚓👍" * 5,
    "？？？！！！。。。,,,",
    "<script>alert('x')</script>",
    "'; DROP TABLE users; --",
    "\x00\x01\x02\ud800\udfff",
    bytes(range(256)).decode("utf-8", errors="replace"),
    "/restart",
    '/book_exam{"id_number": "x"}',
    "\u202e\u200b\u200d\ufeff",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_gets_a_prediction_and_never_raises(parse: Parse, text: str) -> None:
    result = parse(text)
    assert "intent" in result
    assert isinstance(result["entities"], list)
    for found in result["entities"]:
        assert 0 <= found["start"] <= found["end"] <= len(text)


@pytest.mark.parametrize(
    "text", ["🚗🚓🛵", "？？？。。。", "asdkjhqwe zxcmnb", "今天天气怎么样"]
)
def test_noise_and_unrelated_text_does_not_look_like_a_task(
    parse: Parse, text: str
) -> None:
    assert parse(text)["intent"]["name"] in ("out_of_scope", "nlu_fallback")
