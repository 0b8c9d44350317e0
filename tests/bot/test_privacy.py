"""Tests for bot.privacy: canonical masks and free-text scrubbing (rule R3)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import (
    mask_code,
    mask_decision_number,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_plate,
    scrub,
)
from nlu.formats import PROVINCES, id_check_digit

MOBILE = re.compile(r"1[3-9]\d{9}")
FULL_ID = re.compile(r"\d{17}[\dXx]")


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (mask_id_number, "44030519900101123X", "4403**********123X"),
        (mask_id_number, "44030519900101123x", "4403**********123X"),
        (mask_id_number, "４４０３０５１９９００１０１１２３Ｘ", "4403**********123X"),
        (mask_id_number, "440305 19900101 123X", "4403**********123X"),
        (mask_id_number, "440305900101123", "4403*******1123"),
        (mask_id_number, "1234", "****"),
        (mask_phone, "13800138000", "138****8000"),
        (mask_phone, "+86 138-0013-8000", "138****8000"),
        (mask_phone, "8613800138000", "138****8000"),
        (mask_phone, "１３８００１３８０００", "138****8000"),
        (mask_plate, "粤B12345", "粤B***45"),
        (mask_plate, "粤B·12345", "粤B***45"),
        (mask_plate, "粤b-12345", "粤B***45"),
        (mask_plate, "粤BD55217", "粤B****17"),
        (mask_plate, "粵ＢＤ５５２１７", "粤B****17"),
        (mask_plate, "粤B12345D", "粤B****5D"),
        (mask_decision_number, "4403051234567890", "440305******7890"),
        (mask_code, "KS26120503", "KS****0503"),
        (mask_code, "ks26120503", "KS****0503"),
        (mask_code, "GD202611220017", "GD********0017"),
        (mask_name, "张三", "张*"),
        (mask_name, "张三丰", "张*丰"),
        (mask_name, "欧阳娜娜", "欧**娜"),
        (mask_name, "", ""),
    ],
)
def test_masks(mask: object, value: str, expected: str) -> None:
    assert callable(mask)
    assert mask(value) == expected
    assert mask(mask(value)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("你好，我想查违章", "你好，我想查违章"),
        ("身份证44030519900101123X", "身份证4403**********123X"),
        ("身份证44030519900101123x。", "身份证4403**********123x。"),
        # wrong check digit, impossible date: still masked
        ("440305199001011234", "4403**********1234"),
        ("440305199902290010", "4403**********0010"),
        ("4403 0519 9001 0112 3X", "4403 **** **** **12 3X"),
        ("440305-19900101-123X", "4403**-********-123X"),
        ("４４０３０５１９９００１０１１２３Ｘ", "４４０３**********１２３Ｘ"),
        (
            "身份证四四零三零五一九九零零一零一一二三X",
            "身份证四四零三**********一二三X",
        ),
        ("old 440305900101123", "old 4403*******1123"),
        ("电话13800138000", "电话138****8000"),
        ("电话 138-0013-8000", "电话 138-****-8000"),
        ("电话 138 0013 8000", "电话 138 **** 8000"),
        ("+86 13800138000", "+86 138****8000"),
        ("１３８００１３８０００", "１３８****８０００"),
        ("幺三八零零幺三八零零零", "幺三八****八零零零"),
        ("幺三八 零零幺三 八零零零", "幺三八 **** 八零零零"),
        ("车牌粤B12345", "车牌粤B***45"),
        ("车牌粤B·12345", "车牌粤B·***45"),
        ("车牌粵Ｂ１２３４５", "车牌粵Ｂ***４５"),
        ("粤ＢＤ５５２１７", "粤Ｂ****１７"),
        ("决定书4403051234567890", "决定书440305******7890"),
        ("预约号KS26120503", "预约号KS****0503"),
        ("工单GD202611220017", "工单GD********0017"),
        # long digit runs are masked whatever they are
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("KS13800138000", "KS138****8000"),
        ("12345678901", "123****8901"),
        # dates and short numbers stay readable
        ("2026-12-05 13800138000", "2026-12-05 138****8000"),
        ("12月5号上午9点", "12月5号上午9点"),
        ("发动机号后六位A8K92Z", "发动机号后六位A8K92Z"),
        (
            "我叫张三，身份证44030519900101123X，电话13800138000，车牌粤B12345",
            "我叫张三，身份证4403**********123X，电话138****8000，车牌粤B***45",
        ),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text) == expected
    assert scrub(expected) == expected


def test_scrub_long_text() -> None:
    line = "身份证44030519900101123X电话13800138000，"
    text = line * 700
    result = scrub(text)
    assert len(result) == len(text)
    assert not MOBILE.search(result) and not FULL_ID.search(result)
    assert result == "身份证4403**********123X电话138****8000，" * 700


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    first17 = draw(
        st.from_regex(
            r"[1-6][0-9]{5}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
            fullmatch=True,
        )
    )
    return first17 + id_check_digit(first17)


PHONES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
PLATES = st.builds(
    lambda p, letter, body: p + letter + body,
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.from_regex(r"[0-9]{5}", fullmatch=True),
)
NOISE = st.text(
    st.one_of(
        st.sampled_from(list("0123456789 -·*Xx粤B一二三幺零，。\u3000１３８")),
        st.characters(),
        st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates
    ),
    max_size=30,
)


@settings(max_examples=400, deadline=None)
@given(NOISE)
def test_scrub_is_idempotent_and_leaves_no_identifier(text: str) -> None:
    once = scrub(text)
    assert len(once) == len(text)
    assert scrub(once) == once
    assert not MOBILE.search(once)
    assert not FULL_ID.search(once)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(valid_ids(), PHONES, PLATES, NOISE), min_size=1, max_size=6),
)
def test_scrub_masks_identifiers_in_any_company(parts: list[str]) -> None:
    text = "".join(parts)
    once = scrub(text)
    assert scrub(once) == once
    assert not MOBILE.search(once)
    assert not FULL_ID.search(once)


@settings(max_examples=200, deadline=None)
@given(valid_ids(), PHONES, PLATES, st.sampled_from(["，", "。", " ", "、"]))
def test_scrub_masks_each_identifier(
    number: str, phone: str, plate: str, sep: str
) -> None:
    text = f"身份证{number}{sep}手机{phone}{sep}车牌{plate}"
    once = scrub(text)
    assert mask_id_number(number) in once
    assert mask_phone(phone) in once
    assert mask_plate(plate) in once


@settings(max_examples=200, deadline=None)
@given(st.one_of(valid_ids(), PHONES, PLATES, st.text(max_size=20)))
def test_masks_are_idempotent(value: str) -> None:
    for mask in (
        mask_id_number,
        mask_phone,
        mask_plate,
        mask_decision_number,
        mask_code,
    ):
        assert mask(mask(value)) == mask(value)
