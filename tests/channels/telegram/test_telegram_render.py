"""Tests for channels.telegram.render: sendMessage calls and callback payloads."""

import json

import pytest
from aiogram.types import InlineKeyboardMarkup
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.replies import BotReply, Choice, Link
from channels.telegram.render import (
    CALLBACK_DATA_MAX_BYTES,
    CHOOSE_PROMPT,
    CallbackPayloads,
    TelegramSend,
    render_telegram,
)
from channels.text_split import Unit, measure

LONG_PAYLOAD = '/book_exam{"exam_subject": "科目二", "exam_site": "南山考场", "date": "2026-12-05"}'
SHORT_PAYLOAD = '/inform{"exam_subject": "科目一"}'


def _buttons(
    markup: InlineKeyboardMarkup | None,
) -> list[list[tuple[str, str | None, str | None]]]:
    assert markup is not None
    return [
        [(b.text, b.callback_data, b.url) for b in row]
        for row in markup.inline_keyboard
    ]


def test_plain_text() -> None:
    assert render_telegram([BotReply(text="您好")], CallbackPayloads()) == [
        TelegramSend("您好", None)
    ]


def test_short_choices_two_per_row_then_links() -> None:
    reply = BotReply(
        text="请问要预约哪个科目？",
        choices=tuple(Choice(f"科目{n}", f"/s{n}") for n in "一二三"),
        links=(Link("办事指南", "https://www.sz-sandbox.gov.cn/guide"),),
    )
    (send,) = render_telegram([reply], CallbackPayloads())
    assert send.text == "请问要预约哪个科目？"
    assert _buttons(send.reply_markup) == [
        [("科目一", "/s一", None), ("科目二", "/s二", None)],
        [("科目三", "/s三", None)],
        [("办事指南", None, "https://www.sz-sandbox.gov.cn/guide")],
    ]


def test_long_titles_one_per_row() -> None:
    reply = BotReply(
        text="请选择",
        choices=(
            Choice("深圳市车管所（沙盒）本部", "/a"),
            Choice("南山车管分所", "/b"),
        ),
    )
    (send,) = render_telegram([reply], CallbackPayloads())
    assert [len(row) for row in _buttons(send.reply_markup)] == [1, 1]


def test_callback_data_limit_and_token_round_trip() -> None:
    payloads = CallbackPayloads()
    assert len(LONG_PAYLOAD.encode()) > CALLBACK_DATA_MAX_BYTES
    reply = BotReply(
        text="确认吗？",
        choices=(Choice("确认", LONG_PAYLOAD), Choice("短", SHORT_PAYLOAD)),
    )
    (send,) = render_telegram([reply], payloads)
    (row,) = _buttons(send.reply_markup)
    long_data, short_data = row[0][1], row[1][1]
    assert short_data == SHORT_PAYLOAD
    assert long_data is not None and long_data != LONG_PAYLOAD
    assert len(long_data.encode()) <= CALLBACK_DATA_MAX_BYTES
    assert payloads.resolve(long_data) == LONG_PAYLOAD
    assert payloads.resolve(short_data) == SHORT_PAYLOAD
    # The markup serialises as Telegram expects.
    dumped = json.loads(send.reply_markup.model_dump_json(exclude_none=True))  # type: ignore[union-attr]
    assert dumped["inline_keyboard"][0][0]["callback_data"] == long_data


def test_same_payload_same_token() -> None:
    payloads = CallbackPayloads()
    assert payloads.callback_data(LONG_PAYLOAD) == payloads.callback_data(LONG_PAYLOAD)
    assert len(payloads) == 1


def test_exactly_64_bytes_fit_65_do_not() -> None:
    payloads = CallbackPayloads()
    assert payloads.callback_data("a" * 64) == "a" * 64
    assert payloads.callback_data("a" * 65) != "a" * 65
    # 21 CJK characters = 63 bytes fit; 22 = 66 bytes do not.
    assert payloads.callback_data("办" * 21) == "办" * 21
    assert payloads.callback_data("办" * 22) != "办" * 22


def test_payload_that_looks_like_a_token_is_tokenised() -> None:
    payloads = CallbackPayloads()
    tricky = "~p:abc"
    data = payloads.callback_data(tricky)
    assert data != tricky
    assert payloads.resolve(data) == tricky


def test_lru_eviction_and_unknown_tokens() -> None:
    payloads = CallbackPayloads(max_size=2)
    first = payloads.callback_data("/first" + "x" * 80)
    second = payloads.callback_data("/second" + "x" * 80)
    assert payloads.resolve(first) is not None  # touch: first is now newest
    third = payloads.callback_data("/third" + "x" * 80)
    assert len(payloads) == 2
    assert payloads.resolve(second) is None
    assert payloads.resolve(first) == "/first" + "x" * 80
    assert payloads.resolve(third) == "/third" + "x" * 80
    assert payloads.resolve("~p:unknown") is None
    assert payloads.resolve(None) is None
    assert payloads.resolve("") is None
    with pytest.raises(ValueError):
        CallbackPayloads(max_size=0)


def test_long_text_split_at_4096_utf16_units_markup_on_last() -> None:
    paragraph = "这是一段关于机动车检测的说明。" * 50 + "\n\n"
    text = paragraph * 8
    reply = BotReply(text=text, choices=(Choice("好的", "/affirm"),))
    sends = render_telegram([reply], CallbackPayloads())
    assert len(sends) > 1
    assert "".join(s.text for s in sends) == text
    assert all(measure(s.text, Unit.UTF16) <= 4096 for s in sends)
    assert all(s.reply_markup is None for s in sends[:-1])
    assert sends[-1].reply_markup is not None
    assert all(s.text.endswith("\n\n") for s in sends[:-1])


def test_emoji_text_counts_utf16_units() -> None:
    sends = render_telegram([BotReply(text="😀" * 3000)], CallbackPayloads())
    assert [len(s.text) for s in sends] == [2048, 952]


def test_buttons_without_text_join_the_previous_message() -> None:
    replies = [
        BotReply(
            text="深圳市民中心政务服务大厅（沙盒）", choices=(Choice("导航", "/nav"),)
        ),
        BotReply(links=(Link("办事指南", "https://www.sz-sandbox.gov.cn/guide"),)),
    ]
    (send,) = render_telegram(replies, CallbackPayloads())
    assert _buttons(send.reply_markup) == [
        [("导航", "/nav", None)],
        [("办事指南", None, "https://www.sz-sandbox.gov.cn/guide")],
    ]


def test_buttons_alone_get_a_prompt() -> None:
    (send,) = render_telegram(
        [BotReply(choices=(Choice("是", "/affirm"),))], CallbackPayloads()
    )
    assert send.text == CHOOSE_PROMPT


def test_image_url_sent_as_text_line() -> None:
    sends = render_telegram(
        [BotReply(text="位置如下", image_url="https://www.sz-sandbox.gov.cn/map.png")],
        CallbackPayloads(),
    )
    assert sends == [
        TelegramSend("位置如下\nhttps://www.sz-sandbox.gov.cn/map.png", None)
    ]


def test_nothing_to_send() -> None:
    assert render_telegram([], CallbackPayloads()) == []


def test_whitespace_only_parts_are_not_sent() -> None:
    sends = render_telegram(
        [BotReply(text="开头" + " " * 9000 + "结尾")], CallbackPayloads()
    )
    assert all(s.text.strip() for s in sends)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_property_every_callback_data_fits_and_resolves(payload: str) -> None:
    payloads = CallbackPayloads()
    data = payloads.callback_data(payload)
    assert 1 <= len(data.encode("utf-8", "surrogatepass")) <= CALLBACK_DATA_MAX_BYTES
    assert payloads.resolve(data) == payload
