"""Tests for channels.voice.speech: speakable text and DTMF choices."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.replies import BotReply, Choice, Link
from channels.voice.speech import (
    LINKS_NOTE,
    dtmf_to_choice,
    escape_ssml,
    speak_identifier,
    speech_sentences,
    speech_text,
)

CHOICES = (
    Choice("科目一", '/inform{"exam_subject": "科目一"}'),
    Choice("科目二", '/inform{"exam_subject": "科目二"}'),
)


def _say(text: str) -> str:
    return speech_text([BotReply(text=text)])


@pytest.mark.parametrize(
    ("token", "spoken"),
    [
        ("粤B12345", "粤 B 1 2 3 4 5"),
        ("粤B·12345", "粤 B 1 2 3 4 5"),
        ("粤BD12345", "粤 B D 1 2 3 4 5"),
        ("粤B***45", "粤 B，尾号 4 5"),
        ("138****8000", "1 3 8，尾号 8 0 0 0"),
        ("4403**********123X", "4 4 0 3，尾号 1 2 3 叉"),
        ("KS****0503", "K S，尾号 0 5 0 3"),
        ("0755-8600 1001", "0 7 5 5，8 6 0 0，1 0 0 1"),
        ("12345", "1 2 3 4 5"),
        ("ks26120503", "K S 2 6 1 2 0 5 0 3"),
        ("****", ""),
    ],
)
def test_speak_identifier(token: str, spoken: str) -> None:
    assert speak_identifier(token) == spoken


def test_plate_is_masked_then_spelled() -> None:
    assert _say("您的车辆粤B12345有2条违章") == "您的车辆粤 B，尾号 4 5有2条违章。"


def test_full_id_number_is_never_read() -> None:
    spoken = _say("身份证号44030519900101123X已核验")
    assert "0 5 1 9" not in spoken
    assert spoken == "身份证号4 4 0 3，尾号 1 2 3 叉已核验。"


def test_phone_numbers_masked_office_numbers_spelled() -> None:
    assert _say("已发送到13800138000") == "已发送到1 3 8，尾号 8 0 0 0。"
    assert _say("咨询电话0755-8600 1001") == "咨询电话0 7 5 5，8 6 0 0，1 0 0 1。"
    assert _say("请拨打12345热线") == "请拨打1 2 3 4 5热线。"


def test_amounts_dates_and_small_numbers_are_left_to_the_engine() -> None:
    assert _say("罚款12000元，扣3分") == "罚款12000元，扣3分。"
    assert (
        _say("考试日期2024-12-05，上午9:00开始")
        == "考试日期2024年12月5日，上午9:00开始。"
    )
    assert _say("准驾车型C1") == "准驾车型C1。"


def test_full_width_identifiers_are_spelled() -> None:
    assert _say("预约编号ＫＳ２６１２０５０３") == "预约编号K S，尾号 0 5 0 3。"
    assert _say("电话１３８００１３８０００") == "电话1 3 8，尾号 8 0 0 0。"


def test_emoji_removed() -> None:
    assert _say("预约成功🎉👍🏻！祝您顺利✅") == "预约成功！祝您顺利。"


def test_url_sentences_dropped_and_note_added() -> None:
    spoken = speech_sentences(
        [
            BotReply(
                text="预约成功。详情请访问https://www.sz-sandbox.gov.cn/guide查看。祝您顺利！"
            )
        ]
    )
    assert spoken == ["预约成功。", "祝您顺利！", LINKS_NOTE]


def test_links_only_add_the_note_once() -> None:
    spoken = speech_sentences(
        [
            BotReply(
                text="办事指南如下",
                links=(Link("办事指南", "https://www.sz-sandbox.gov.cn"),),
            ),
            BotReply(links=(Link("地图", "https://www.sz-sandbox.gov.cn/map"),)),
        ]
    )
    assert spoken == ["办事指南如下。", LINKS_NOTE]


def test_long_sentences_are_cut_short() -> None:
    text = (
        "您预约的是南山考场科目二考试，时间为下周三上午九点，请提前三十分钟到达，"
        "携带身份证原件和学习驾驶证明，考试结束后成绩会以短信通知您"
    )
    sentences = speech_sentences([BotReply(text=text)], max_sentence_chars=30)
    assert len(sentences) > 1
    assert all(len(s) <= 31 for s in sentences)
    assert all(s[-1] in "。！？" for s in sentences)


def test_menu_is_read_last() -> None:
    spoken = speech_text([BotReply(text="请问要预约哪个科目？", choices=CHOICES)])
    assert spoken == "请问要预约哪个科目？按1，科目一；按2，科目二。"


def test_sentence_ends_are_normalised() -> None:
    assert _say("第一行\n第二行；第三行!") == "第一行。第二行。第三行！"


def test_traditional_text_passes_through() -> None:
    assert _say("違章查詢完成") == "違章查詢完成。"


def test_nothing_to_say() -> None:
    assert speech_text([]) == ""
    assert speech_text([BotReply(text="😀😀")]) == ""
    assert (
        speech_text([BotReply(image_url="https://www.sz-sandbox.gov.cn/a.png")]) == ""
    )


@pytest.mark.parametrize(
    ("keys", "index"),
    [("1", 0), ("2", 1), ("2#", 1), (" 1 ", 0), ("01", 0)],
)
def test_dtmf_to_choice(keys: str, index: int) -> None:
    assert dtmf_to_choice(keys, CHOICES) == CHOICES[index]


@pytest.mark.parametrize(
    "keys", ["", "#", "*", "0", "3", "12", "123#", "1*", "١", "一"]
)
def test_dtmf_not_a_choice(keys: str) -> None:
    assert dtmf_to_choice(keys, CHOICES) is None


def test_dtmf_two_digit_menus() -> None:
    many = tuple(Choice(str(i), f"/p{i}") for i in range(1, 13))
    assert dtmf_to_choice("12#", many) == many[11]


def test_escape_ssml() -> None:
    assert escape_ssml("A&B <break/> \"引号\" '单'\x00\ud800") == (
        "A&amp;B &lt;break/&gt; &quot;引号&quot; &apos;单&apos;"
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_property_speech_has_no_urls_emoji_or_long_digit_runs(text: str) -> None:
    spoken = speech_text([BotReply(text=text)])
    assert not re.search(r"https?://", spoken)
    assert not re.search(r"[0-9]{11,}", spoken)
    assert not any(0x1F300 <= ord(ch) <= 0x1FAFF for ch in spoken)


def test_huge_input_is_handled() -> None:
    text = ("请携带身份证44030519900101123X到南山考场，联系13800138000。😀" * 800)[
        :50_000
    ]
    sentences = speech_sentences([BotReply(text=text)])
    assert sentences
    assert all(len(s) <= 41 for s in sentences)
    assert not any(re.search(r"[0-9]{11,}", s) for s in sentences)
