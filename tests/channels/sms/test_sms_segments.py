"""Tests for channels.sms.segments with the length vectors of spec 1.7."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.sms.segments import (
    SmsEncoding,
    count_segments,
    sms_encoding,
    sms_length,
    split_for_sms,
)


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (160, 3)]
)
def test_ucs2_vectors(length: int, segments: int) -> None:
    assert count_segments("办" * length) == segments


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3)]
)
def test_gsm7_vectors(length: int, segments: int) -> None:
    assert count_segments("a" * length) == segments


def test_aliyun_example_67_67_26() -> None:
    assert sms_length("办" * 160) == 160
    assert count_segments("办" * 160) == 3
    assert count_segments("办" * 134) == 2  # 67 + 67


def test_one_chinese_character_forces_ucs2() -> None:
    assert sms_encoding("Your code is 1234") is SmsEncoding.GSM7
    assert sms_encoding("Your code is 1234。") is SmsEncoding.UCS2
    assert count_segments("a" * 100 + "中") == 2  # 101 UCS-2 units
    assert sms_encoding("") is SmsEncoding.GSM7
    assert count_segments("") == 0


def test_gsm_extension_characters_count_twice() -> None:
    assert sms_encoding("{€}") is SmsEncoding.GSM7
    assert sms_length("{€}") == 6
    assert count_segments("€" * 80) == 1  # 160 septets
    assert count_segments("€" * 81) == 2
    # An escape pair never straddles two segments: 152 + 2 cannot fit in 153.
    assert count_segments("a" * 152 + "€" + "a" * 152) == 3
    assert count_segments("a" * 151 + "€" + "a" * 153) == 2


def test_gsm_basic_table_specials() -> None:
    assert (
        sms_encoding("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡¿ÄÖÑÜ§äöñüà")
        is SmsEncoding.GSM7
    )
    for char in ("`", "ç", "á", "…", "’", "\t", "😀"):
        assert sms_encoding(char) is SmsEncoding.UCS2, char


def test_emoji_counts_two_units_and_is_not_split() -> None:
    assert sms_length("😀") == 2
    assert count_segments("😀" * 35) == 1
    assert count_segments("😀" * 36) == 2
    # 66 units + an emoji (2) does not fit in a 67-unit segment: it moves on.
    assert count_segments("中" * 66 + "😀" + "中" * 66) == 3
    for part in split_for_sms("中" * 69 + "😀" + "中", None):
        assert sms_length(part) <= 70


def test_traditional_characters_are_ucs2_like_simplified() -> None:
    assert count_segments("違章查詢" * 18) == count_segments("违章查询" * 18) == 2


def test_split_prefers_sentence_boundaries() -> None:
    text = "您的预约已成功。" * 6 + "请按时到南山考场参加考试，携带身份证原件。"
    parts = split_for_sms(text, 5)
    assert "".join(parts) == text
    assert all(part.endswith("。") for part in parts)
    assert all(sms_length(part) <= 70 for part in parts)


def test_split_reserves_room_for_the_signature() -> None:
    signature = "【深圳政务】"
    parts = split_for_sms("办" * 130, None, reserved=len(signature))
    assert all(sms_length(signature + part) <= 70 for part in parts)
    assert "".join(parts) == "办" * 130


def test_split_truncates_with_overflow_note() -> None:
    text = "第一条说明。" * 40
    parts = split_for_sms(text, 2, overflow="…详询12345")
    assert len(parts) == 2
    assert parts[1].endswith("…详询12345")
    assert all(sms_length(part) <= 70 for part in parts)
    assert text.startswith(parts[0] + parts[1].removesuffix("…详询12345"))


def test_non_gsm_overflow_note_switches_a_gsm_text_to_ucs2_limits() -> None:
    parts = split_for_sms("word " * 100, 2, overflow="…")
    assert parts[-1].endswith("…")
    assert all(sms_length(part) <= 70 for part in parts)
    gsm_parts = split_for_sms("word " * 100, 2, overflow="...")
    assert all(sms_length(part) <= 160 for part in gsm_parts)
    assert len(gsm_parts[0]) > 70


def test_split_edge_cases() -> None:
    assert split_for_sms("", 3) == []
    assert split_for_sms("短", 1) == ["短"]
    with pytest.raises(ValueError):
        split_for_sms("x", 0)
    with pytest.raises(ValueError):
        split_for_sms("办" * 200, 1, reserved=69, overflow="…详询")


SMS_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("办。，a€{ 😀\n")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=400,
)


@settings(max_examples=200, deadline=None)
@given(SMS_TEXT)
def test_property_parts_rejoin_and_each_is_one_sms(text: str) -> None:
    parts = split_for_sms(text, None)
    assert "".join(parts) == text
    assert all(count_segments(part) == 1 for part in parts)


@settings(max_examples=200, deadline=None)
@given(SMS_TEXT, st.integers(1, 4))
def test_property_bounded_split(text: str, max_parts: int) -> None:
    parts = split_for_sms(text, max_parts)
    assert len(parts) <= max_parts
    assert all(count_segments(part) == 1 for part in parts)


@given(SMS_TEXT)
def test_property_segments_cover_the_length(text: str) -> None:
    segments = count_segments(text)
    length = sms_length(text)
    if not text:
        assert segments == 0
    elif segments == 1:
        assert length <= (160 if sms_encoding(text) is SmsEncoding.GSM7 else 70)
    else:
        per_part = 153 if sms_encoding(text) is SmsEncoding.GSM7 else 67
        # A 2-unit character never straddles segments, so one may be short by 1.
        assert (segments - 1) * (per_part - 1) < length <= segments * per_part
