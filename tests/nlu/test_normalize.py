"""Tests for nlu.normalize: length-preserving normalisation of citizen text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.normalize import (
    decode_lenient,
    is_meaningless,
    normalize,
    normalize_for_match,
)

# Characters the rules care about, mixed with anything Unicode has (surrogates too).
INTERESTING = list(
    "0123456789零〇一二三四五六七八九幺两十周星期礼拜 -·•・XxKSGD粤粵BDF京A号月日点半"
    "上午下午明天后到ＢＤ５２１７，。　\u200b\u200d\ufe0f\x00\t\n\u00ad\u202e🚗👍🏻ß"
)
ANY_CHAR = st.one_of(
    st.sampled_from(INTERESTING),
    st.characters(),
    st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates
)
ANY_TEXT = st.text(ANY_CHAR, max_size=80)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # full width → half width
        ("粤ＢＤ５５２１７", "粤BD55217"),
        ("Ｈｅｌｌｏ，ｗｏｒｌｄ！", "Hello,world!"),
        ("电话：１３８００１３８０００", "电话:13800138000"),
        ("上午\u3000九点", "上午 九点"),
        ("１２．５", "12.5"),
        # traditional → simplified, per character
        ("粵B12345", "粤B12345"),
        ("下週三", "下周三"),
        ("違章查詢", "违章查询"),
        ("駕駛證", "驾驶证"),
        ("禮拜三上午十點", "礼拜三上午十点"),
        ("發動機號", "发动机号"),
        # a simplified form outside the BMP is not taken
        ("嗰個", "嗰个"),
        # compatibility ideographs and Kangxi radicals
        ("豈⾦", "岂金"),
        # plate separators
        ("粤B•12345", "粤B·12345"),
        ("粤B・12345", "粤B·12345"),
        ("粤B‧12345", "粤B·12345"),
        ("粤B･12345", "粤B·12345"),
        ("粤B·12345", "粤B·12345"),
        # hyphen look-alikes (the Chinese dash —— stays)
        ("138–0013‑8000", "138-0013-8000"),
        ("好——走", "好——走"),
        # invisible and control characters, emoji → space
        ("你\u200b好", "你 好"),
        ("a\u200db", "a b"),
        ("\ufeff你好", " 你好"),
        ("右\u202e左", "右 左"),
        ("a\x00b\x07c", "a b c"),
        ("好\ufe0f", "好 "),
        ("👍🏻好", "  好"),
        ("🚗粤B", " 粤B"),
        ("✅完成", " 完成"),
        ("\ud800x\udfff", " x "),
        # any whitespace → one plain space each
        ("a\tb\nc\r\nd\u00a0e\u2003f\u2028g", "a b c  d e f g"),
        # symbols that mean something stay
        ("30℃", "30℃"),
        ("50㎡", "50㎡"),
        # other decimal digits → ASCII
        ("٤٤٠٣", "4403"),
        # spoken digits in long runs → ASCII digits
        ("四四零三零五幺九九零", "4403051990"),
        ("身份证四四零三零五一九九零零一零一一二三X", "身份证44030519900101123X"),
        ("幺三八零零幺三八零零零", "13800138000"),
        ("幺三八 零零幺三 八零零零", "138 0013 8000"),
        ("138零零1380零零零", "138001380000"),
        ("二〇二六一二零五", "20261205"),
        ("两两两两两", "22222"),
        # short words and lists are not numbers
        ("我想查一下", "我想查一下"),
        ("三天以后", "三天以后"),
        ("十二月二十五号", "十二月二十五号"),
        ("一五一十", "一五一十"),
        ("三三两两", "三三两两"),
        ("周一二三四五都可以", "周一二三四五都可以"),
        ("星期一二三四五", "星期一二三四五"),
        ("13800138000一下", "13800138000一下"),
        # case is kept
        ("ks26120503 Xx", "ks26120503 Xx"),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert len(normalize(raw)) == len(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("粤b·12345", "粤B·12345"),
        ("ｋｓ２６１２０５０３", "KS26120503"),
        ("44030519900101123x", "44030519900101123X"),
        # ß upper-cases to two letters: kept so that the length holds
        ("straße", "STRAßE"),
        ("ﬁ", "ﬁ"),
    ],
)
def test_normalize_for_match(raw: str, expected: str) -> None:
    assert normalize_for_match(raw) == expected


def test_long_input_keeps_length() -> None:
    text = ("查询粵Ｂ１２３４５的違章😀\u200b四四零三零五幺九九零，" * 1000)[:20_000]
    result = normalize(text)
    assert len(result) == 20_000
    assert "粤B12345" in result
    assert "4403051990" in result


def test_only_emoji_and_marks() -> None:
    assert normalize("👍🏻👨‍👩‍👧\ufe0f") == " " * len("👍🏻👨‍👩‍👧\ufe0f")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello", "hello"),
        ("你好".encode(), "你好"),
        (b"\xef\xbb\xbfhi", "hi"),
        (b"a\x00b", "ab"),
        (b"\xff\xfeok", "\ufffd\ufffdok"),
        ("粤B".encode() + b"\xe4\xb8", "粤B\ufffd"),
        (b"", ""),
    ],
)
def test_decode_lenient(data: bytes, expected: str) -> None:
    assert decode_lenient(data) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("   \t\n", True),
        ("。。。！？", True),
        ("...", True),
        ("😀👍🏻", True),
        ("\u200b\u200d\ufe0f", True),
        ("/::)", True),
        ("\ud800", True),
        ("　，", True),
        ("好", False),
        ("1", False),
        ("a", False),
        ("粤B12345", False),
        ("😀 好的", False),
        ("１", False),
    ],
)
def test_is_meaningless(text: str, expected: bool) -> None:
    assert is_meaningless(text) is expected


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_normalize_preserves_length_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert len(once) == len(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_normalize_for_match_preserves_length(text: str) -> None:
    assert len(normalize_for_match(text)) == len(text)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_normalized_text_has_no_invisible_characters(text: str) -> None:
    result = normalize(text)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in result)
    assert not any(c.isspace() and c != " " for c in result)
    assert "\u200b" not in result and "\ufe0f" not in result and "\x00" not in result


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_decode_lenient_never_raises(data: bytes) -> None:
    assert "\x00" not in decode_lenient(data)
