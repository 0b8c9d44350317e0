"""Tests for channels.sms.render: replies as SMS text, opt-out keywords."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.choices import resolve_choice
from channels.replies import BotReply, Choice, Link
from channels.sms.render import (
    OVERFLOW_NOTE,
    Subscription,
    render_sms,
    sms_text,
    subscription_keyword,
)
from channels.sms.segments import count_segments, sms_length

ASK = BotReply(
    text="请问要预约哪个科目？",
    choices=(
        Choice("科目一", '/inform{"exam_subject": "科目一"}'),
        Choice("科目二", '/inform{"exam_subject": "科目二"}'),
    ),
)
GUIDE = BotReply(links=(Link("办事指南", "https://www.sz-sandbox.gov.cn/guide"),))


def test_menu_and_links_layout() -> None:
    text, choices = sms_text([ASK, GUIDE])
    assert text == (
        "请问要预约哪个科目？\n"
        "办事指南：https://www.sz-sandbox.gov.cn/guide\n"
        "回复1：科目一\n"
        "回复2：科目二"
    )
    assert choices == ASK.choices


def test_menu_numbers_continue_across_replies() -> None:
    second = BotReply(text="或者：", choices=(Choice("转人工", "/human_handoff"),))
    text, choices = sms_text([ASK, second])
    assert "回复3：转人工" in text
    assert resolve_choice("3", choices) == Choice("转人工", "/human_handoff")


def test_image_becomes_a_link_line() -> None:
    text, _ = sms_text([BotReply(image_url="https://www.sz-sandbox.gov.cn/map.png")])
    assert text == "图片：https://www.sz-sandbox.gov.cn/map.png"


def test_short_reply_is_one_sms() -> None:
    rendered = render_sms([ASK])
    assert rendered.parts == ("请问要预约哪个科目？\n回复1：科目一\n回复2：科目二",)
    assert rendered.choices == ASK.choices


def test_no_replies_no_parts() -> None:
    assert render_sms([]).parts == ()


def test_long_body_is_shortened_but_the_menu_kept() -> None:
    long_text = "您本次预约的考场为南山考场，请携带身份证原件按时到场。" * 10
    reply = BotReply(text=long_text, choices=ASK.choices)
    rendered = render_sms([reply], max_parts=3)
    assert len(rendered.parts) == 3
    assert rendered.parts[-1] == "回复1：科目一\n回复2：科目二"
    assert rendered.parts[-2].endswith(OVERFLOW_NOTE)
    assert all(count_segments(part) == 1 for part in rendered.parts)
    assert rendered.choices == ASK.choices


def test_signature_room_is_reserved() -> None:
    signature = "【深圳政务】"
    rendered = render_sms(
        [BotReply(text="请按时参加考试。" * 20)], max_parts=4, reserved=len(signature)
    )
    assert all(sms_length(signature + part) <= 70 for part in rendered.parts)


def test_huge_menu_falls_back_to_plain_truncation_without_numbers() -> None:
    choices = tuple(
        Choice(f"第{i}个很长很长的选项标题内容", f"/p{i}") for i in range(30)
    )
    rendered = render_sms([BotReply(text="请选择：", choices=choices)], max_parts=2)
    assert len(rendered.parts) == 2
    assert rendered.choices == ()
    assert rendered.parts[-1].endswith(OVERFLOW_NOTE)


def test_parts_are_stripped() -> None:
    rendered = render_sms([BotReply(text="第一段。\n\n" + "第二段内容。" * 20)])
    assert all(part == part.strip() for part in rendered.parts)


@pytest.mark.parametrize(
    "text",
    [
        "TD",
        "td",
        "ＴＤ",
        "T",
        "STOP",
        "Stop!",
        "stopall",
        "UNSUBSCRIBE",
        "cancel",
        "QUIT",
        "退订",
        "退訂",
        "退订。",
        "我要退订",
        "退订短信",
        "取消订阅",
        "取消訂閱",
        "请帮我取消订阅通知",
        "拒收",
    ],
)
def test_opt_out_keywords(text: str) -> None:
    assert subscription_keyword(text) is Subscription.OPT_OUT


@pytest.mark.parametrize(
    "text",
    ["START", "start", "UNSTOP", "YES", "订阅", "訂閱", "重新订阅", "恢复订阅短信"],
)
def test_opt_in_keywords(text: str) -> None:
    assert subscription_keyword(text) is Subscription.OPT_IN


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "取消",  # cancels a booking in this assistant, not the subscription
        "取消预约",
        "1",
        "我想查违章",
        "怎么退订会员服务然后预约考试呢",
        "STOP THE BOOKING",
        "stopped",
        "😀",
    ],
)
def test_not_subscription_keywords(text: str) -> None:
    assert subscription_keyword(text) is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            BotReply,
            text=st.text(max_size=200),
            choices=st.lists(
                st.builds(Choice, st.text(min_size=1, max_size=10), st.just("/p")),
                max_size=4,
            ).map(tuple),
        ),
        max_size=3,
    ),
    st.integers(1, 4),
)
def test_property_parts_bounded_and_single_segment(
    replies: list[BotReply], max_parts: int
) -> None:
    rendered = render_sms(replies, max_parts=max_parts)
    assert len(rendered.parts) <= max_parts
    assert all(part and count_segments(part) == 1 for part in rendered.parts)


def test_huge_reply_stays_within_max_parts() -> None:
    rendered = render_sms(
        [BotReply(text="違章查詢結果😀。" * 5000, choices=ASK.choices)]
    )
    assert len(rendered.parts) == 3
    assert rendered.parts[-1] == "回复1：科目一\n回复2：科目二"
    assert subscription_keyword("退订" * 10_000) is None
