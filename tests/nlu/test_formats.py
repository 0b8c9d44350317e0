"""Tests for nlu.formats: validators and finders of plates, IDs, phones and codes."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.formats import (
    PROVINCES,
    FormatMatch,
    canonical_plate,
    find_formats,
    id_check_digit,
    is_booking_code,
    is_decision_number,
    is_new_energy_plate,
    is_ticket_id,
    is_valid_phone,
    validate_id_number,
)
from nlu.normalize import normalize

# GB 11643-1999 vectors.
VALID_IDS = [
    "11010519491231002X",
    "440524188001010014",
    "44030519900101123X",
    "440305199001011213",
]


def found(text: str) -> list[tuple[str, str, str, bool, str | None]]:
    """Run the finder on normalised text; spans are read back from the original."""
    return [
        (m.entity, text[m.start : m.end], m.value, m.valid, m.problem)
        for m in find_formats(normalize(text))
    ]


@pytest.mark.parametrize("number", VALID_IDS)
def test_official_vectors_are_valid(number: str) -> None:
    assert validate_id_number(number) is None
    assert id_check_digit(number[:17]) == number[17]


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("440305199001011234", "checksum"),
        ("440305199902290010", "birth_date"),  # checksum right, 1999 is no leap year
        ("44030519900101123", "length"),
        ("4403051990010112345", "length"),
        ("44030519900101123Y", "length"),
        ("", "length"),
        ("440305202611230015", "birth_date"),  # born after "today" below
        ("440305199013010017", "birth_date"),  # month 13
        ("440305199000000011", "birth_date"),
        ("440305170001010016", "birth_date"),  # before 1800
    ],
)
def test_invalid_ids(number: str, problem: str) -> None:
    assert validate_id_number(number, today=date(2026, 11, 22)) == problem


def test_check_digit_for_440305199001011234_is_x() -> None:
    assert id_check_digit("44030519900101123") == "X"


@pytest.mark.parametrize(
    "raw",
    [
        "44030519900101123x",
        "４４０３０５１９９００１０１１２３Ｘ",
        "440305 19900101 123X",
    ],
)
def test_validate_id_accepts_raw_forms(raw: str) -> None:
    assert validate_id_number(raw) is None


def test_leap_day_birth_dates() -> None:
    leap = "11010520000229" + "001"
    assert validate_id_number(leap + id_check_digit(leap)) is None
    not_leap = "11010519000229" + "001"  # 1900 is not a leap year
    assert validate_id_number(not_leap + id_check_digit(not_leap)) == "birth_date"


@pytest.mark.parametrize(
    "bad", ["", "1234", "1234567890123456X", "１２３４５６７８９０１２３４５６７"]
)
def test_id_check_digit_rejects_non_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        id_check_digit(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plates: ordinary, separators, case, traditional, full width, new energy
        ("我的车牌是粤B12345", [("plate_number", "粤B12345", "粤B12345", True, None)]),
        ("粤B·12345违章", [("plate_number", "粤B·12345", "粤B12345", True, None)]),
        ("粤b-12345", [("plate_number", "粤b-12345", "粤B12345", True, None)]),
        ("粤B 12345", [("plate_number", "粤B 12345", "粤B12345", True, None)]),
        ("粵B12345", [("plate_number", "粵B12345", "粤B12345", True, None)]),
        (
            "粤ＢＤ５５２１７",
            [("plate_number", "粤ＢＤ５５２１７", "粤BD55217", True, None)],
        ),
        ("京A·D12345", [("plate_number", "京A·D12345", "京AD12345", True, None)]),
        ("沪AF12345", [("plate_number", "沪AF12345", "沪AF12345", True, None)]),
        ("粤B12345D", [("plate_number", "粤B12345D", "粤B12345D", True, None)]),
        ("川A-8H2K9", [("plate_number", "川A-8H2K9", "川A8H2K9", True, None)]),
        ("沪A1234领", [("plate_number", "沪A1234领", "沪A1234领", True, None)]),
        ("使123456", [("plate_number", "使123456", "使123456", True, None)]),
        ("粤BO1234", [("plate_number", "粤BO1234", "粤BO1234", False, "letter_io")]),
        (
            "琼A12345和藏B54321",
            [
                ("plate_number", "琼A12345", "琼A12345", True, None),
                ("plate_number", "藏B54321", "藏B54321", True, None),
            ],
        ),
        # ID numbers, valid and not
        (
            "身份证44030519900101123X",
            [("id_number", "44030519900101123X", "44030519900101123X", True, None)],
        ),
        (
            "id:44030519900101123x。",
            [("id_number", "44030519900101123x", "44030519900101123X", True, None)],
        ),
        (
            "440305199001011234",
            [
                (
                    "id_number",
                    "440305199001011234",
                    "440305199001011234",
                    False,
                    "checksum",
                )
            ],
        ),
        (
            "440305199902290010",
            [
                (
                    "id_number",
                    "440305199902290010",
                    "440305199902290010",
                    False,
                    "birth_date",
                )
            ],
        ),
        (
            "4403 0519 9001 0112 3X",
            [("id_number", "4403 0519 9001 0112 3X", "44030519900101123X", True, None)],
        ),
        (
            "440305-19900101-123X",
            [("id_number", "440305-19900101-123X", "44030519900101123X", True, None)],
        ),
        (
            "四四零三零五一九九零零一零一一二三X",
            [
                (
                    "id_number",
                    "四四零三零五一九九零零一零一一二三X",
                    "44030519900101123X",
                    True,
                    None,
                )
            ],
        ),
        (
            "440305900101123",
            [("id_number", "440305900101123", "440305900101123", False, "old_format")],
        ),
        (
            "身份证号44030519900101123",
            [("id_number", "44030519900101123", "44030519900101123", False, "length")],
        ),
        (
            "身份证是4403051990010112",
            [("id_number", "4403051990010112", "4403051990010112", False, "length")],
        ),
        # phones
        (
            "电话13800138000",
            [("phone_number", "13800138000", "13800138000", True, None)],
        ),
        (
            "138-0013-8000",
            [("phone_number", "138-0013-8000", "13800138000", True, None)],
        ),
        (
            "138 0013 8000",
            [("phone_number", "138 0013 8000", "13800138000", True, None)],
        ),
        (
            "+86 138 0013 8000",
            [("phone_number", "+86 138 0013 8000", "13800138000", True, None)],
        ),
        (
            "+8613800138000",
            [("phone_number", "+8613800138000", "13800138000", True, None)],
        ),
        (
            "008613800138000",
            [("phone_number", "008613800138000", "13800138000", True, None)],
        ),
        (
            "１３８００１３８０００",
            [("phone_number", "１３８００１３８０００", "13800138000", True, None)],
        ),
        (
            "幺三八零零幺三八零零零",
            [("phone_number", "幺三八零零幺三八零零零", "13800138000", True, None)],
        ),
        # codes
        (
            "预约号KS26120503",
            [("booking_code", "KS26120503", "KS26120503", True, None)],
        ),
        ("ks26120503", [("booking_code", "ks26120503", "KS26120503", True, None)]),
        (
            "工单GD202611220017进度",
            [("ticket_id", "GD202611220017", "GD202611220017", True, None)],
        ),
        (
            "决定书编号4403051234567890",
            [("decision_number", "4403051234567890", "4403051234567890", True, None)],
        ),
        # engine / VIN suffix needs a cue
        ("发动机号后六位A8K92Z", [("engine_suffix", "A8K92Z", "A8K92Z", True, None)]),
        ("车架号后6位是 123456", [("engine_suffix", "123456", "123456", True, None)]),
        ("vin:a8k92z", [("engine_suffix", "a8k92z", "A8K92Z", True, None)]),
        ("VIN123456", [("engine_suffix", "123456", "123456", True, None)]),
        ("识别代号后六位为0A1B2C", [("engine_suffix", "0A1B2C", "0A1B2C", True, None)]),
        # everything together
        (
            "粤B12345，发动机号123456，电话13800138000，身份证44030519900101123X",
            [
                ("plate_number", "粤B12345", "粤B12345", True, None),
                ("engine_suffix", "123456", "123456", True, None),
                ("phone_number", "13800138000", "13800138000", True, None),
                ("id_number", "44030519900101123X", "44030519900101123X", True, None),
            ],
        ),
    ],
)
def test_find_formats(
    text: str, expected: list[tuple[str, str, str, bool, str | None]]
) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "你好，我想查违章",
        "4403051990010112345",  # 19 digits: no ID
        "44030519900101123456X",
        "12345678901234567",  # 17 digits, no cue: no ID, no decision number
        "1234567890123456789",
        "138001380001",  # 12 digits: no phone
        "12800138000",  # 12x is no mobile prefix
        "A13800138000",
        "13800138000B",
        "粤B123456",  # 6 characters, not new energy
        "粤B1234",  # too short
        "粤BABCDE",  # plates carry digits
        "粤B12345678",
        "KS1234567",
        "KS123456789",
        "XKS12345678",
        "GD20261122001",
        "我的密码是123456",  # no engine cue
        "车架号LSVAU2180N2183294",  # a whole VIN is no suffix
        "2026年12月5日",
        "ABCDEF",
    ],
)
def test_no_format_found(text: str) -> None:
    assert find_formats(normalize(text)) == []


def test_18_digits_without_a_birth_date_are_still_reported_as_ids() -> None:
    (match,) = find_formats("440305123456789012")
    assert (match.entity, match.valid, match.problem) == (
        "id_number",
        False,
        "birth_date",
    )


def test_engine_cue_must_be_close() -> None:
    assert found("发动机坏了，123456") == [
        ("engine_suffix", "123456", "123456", True, None)
    ]
    far = "发动机" + "的问题我们以后再慢慢说吧好吗" + "123456"
    assert found(far) == []


def test_decision_number_after_id_cue_is_an_id_of_wrong_length() -> None:
    assert found("身份证号4403051234567890")[0][0] == "id_number"
    assert found("决定书4403051234567890")[0][0] == "decision_number"


def test_match_is_frozen() -> None:
    match = FormatMatch("plate_number", 0, 7, "粤B12345", "粤B12345", True, None)
    with pytest.raises(AttributeError):
        match.start = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("粤B12345", "粤B12345"),
        ("粤b·12345", "粤B12345"),
        ("粵Ｂ－１２３４５", "粤B12345"),
        ("京A D12345", "京AD12345"),
        ("粤B12345D", "粤B12345D"),
        ("沪A1234领", "沪A1234领"),
        ("粤B123456", None),
        ("粤BO1234", None),
        ("粤I12345", None),
        ("XB12345", None),
        ("", None),
    ],
)
def test_canonical_plate(raw: str, expected: str | None) -> None:
    assert canonical_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("粤BD55217", True),
        ("粤ＢＤ５５２１７", True),
        ("粤B12345F", True),
        ("粤B12345", False),
        ("粤BA12345", False),
    ],
)
def test_is_new_energy_plate(raw: str, expected: bool) -> None:
    assert is_new_energy_plate(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", True),
        ("+86 138-0013-8000", True),
        ("8613800138000", True),
        ("１３８００１３８０００", True),
        ("12800138000", False),
        ("1380013800", False),
        ("138001380001", False),
        ("", False),
    ],
)
def test_is_valid_phone(raw: str, expected: bool) -> None:
    assert is_valid_phone(raw) is expected


def test_code_predicates() -> None:
    assert is_booking_code("KS26120503") and is_booking_code(" ks26120503 ")
    assert not is_booking_code("KS2612050") and not is_booking_code("GD26120503")
    assert is_ticket_id("GD202611220017") and is_ticket_id("ｇｄ202611220017")
    assert not is_ticket_id("GD20261122001")
    assert is_decision_number("4403051234567890")
    assert not is_decision_number("440305123456789") and not is_decision_number(
        "44030512345678901"
    )


def check_matches(text: str, matches: list[FormatMatch]) -> None:
    """Spans are inside the text, consistent with it, sorted and disjoint."""
    previous_end = 0
    for match in matches:
        assert 0 <= previous_end <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.text
        previous_end = match.end


ALPHABET = st.sampled_from(
    [
        *"0123456789 -·+XxKSGDksgdBDFOI粤京川使领发动机号车架VIN身份证后六位",
        PROVINCES[5],
    ]
)
FORMAT_TEXT = st.text(st.one_of(ALPHABET, st.characters()), max_size=80)


@settings(max_examples=300, deadline=None)
@given(FORMAT_TEXT)
def test_find_formats_spans_are_consistent(text: str) -> None:
    normalized = normalize(text)
    check_matches(normalized, find_formats(normalized))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_find_formats_accepts_raw_text(text: str) -> None:
    check_matches(text, find_formats(text))


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["110105", "440305", "310101", "510104"]))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    serial = draw(st.integers(0, 999))
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    return first17 + id_check_digit(first17)


@settings(max_examples=200, deadline=None)
@given(
    valid_ids(),
    st.sampled_from(["", "我的身份证是", "号码：", "ID "]),
    st.sampled_from(["", "。", "，谢谢"]),
)
def test_generated_valid_ids_are_found(number: str, before: str, after: str) -> None:
    assert validate_id_number(number) is None
    (match,) = find_formats(normalize(before + number + after))
    assert (match.entity, match.value, match.valid) == ("id_number", number, True)
    assert match.start == len(before)


@settings(max_examples=200, deadline=None)
@given(valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_changed_digit_breaks_checksum(number: str, position: int, shift: int) -> None:
    digit = (int(number[position]) + shift) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert validate_id_number(changed) in {"checksum", "birth_date"}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text(st.sampled_from("0123456789"), min_size=5, max_size=5),
    st.sampled_from(["", "·", "-", " "]),
)
def test_generated_plates_are_found(
    province: str, letter: str, digits: str, sep: str
) -> None:
    plate = f"{province}{letter}{sep}{digits}"
    (match,) = find_formats(normalize(f"车牌{plate}查违章"))
    assert (match.entity, match.text, match.value) == (
        "plate_number",
        plate,
        f"{province}{letter}{digits}",
    )
    assert canonical_plate(plate) == f"{province}{letter}{digits}"
