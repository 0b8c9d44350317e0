"""Format validators: plates, ID numbers, dates, codes."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox import validation as v
from sandbox.errors import Invalid
from sandbox.statuses import Period, Subject


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("粤B12345", "粤B12345"),
        ("粤b·12345", "粤B12345"),
        ("粤B 12345", "粤B12345"),
        ("京A·D12345", "京AD12345"),
        ("沪AF12345", "沪AF12345"),
        ("川A-8H2K9", "川A8H2K9"),
        ("粤ＢＤ５５２１７", "粤BD55217"),
        ("粤B55217D", "粤B55217D"),
        ("粤B2468学", "粤B2468学"),
    ],
)
def test_plate_accepts_and_canonicalises(raw: str, canonical: str) -> None:
    assert v.plate(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "粤B1234",
        "粤B1234567",
        "XB12345",
        "粤BI2345",
        "粤B1234O",
        "粤BD1234A",
        "粤12345B",
        "B12345",
    ],
)
def test_plate_refuses(raw: str) -> None:
    with pytest.raises(Invalid) as info:
        v.plate(raw)
    assert info.value.code == "invalid_plate"


def test_id_number_check_digit() -> None:
    assert v.id_number("44030519900101123X") == "44030519900101123X"
    assert v.id_number("44030519900101123x") == "44030519900101123X"
    with pytest.raises(Invalid, match="check digit"):
        v.id_number("440305199001011234")


@pytest.mark.parametrize(
    "raw",
    [
        "44030519900101123",  # 17 characters
        "4403051990010112345",  # 19
        "04030519900101123X",  # no region starts with 0
        "44030519900230123X",  # 30 February
        "44030518000101123X",  # before 1900
        "44030519901301123X",  # month 13
        "44030519900101A23X",
        "44030520990101123X",  # born in the future
    ],
)
def test_id_number_refuses(raw: str) -> None:
    with pytest.raises(Invalid) as info:
        v.id_number(raw)
    assert info.value.code == "invalid_id_number"


def test_id_number_leap_day_birth() -> None:
    assert v.id_number("440308200002293018") == "440308200002293018"


def test_id_check_char_matches_gb11643_example() -> None:
    # The standard's worked example: 11010519491231002X.
    assert v.id_check_char("11010519491231002") == "X"


def test_iso_date() -> None:
    assert v.iso_date("2026-03-05") == dt.date(2026, 3, 5)
    for raw in (
        "2026-02-30",
        "2026-3-5",
        "20260305",
        "2026/03/05",
        "明天",
        "2026-02-29",
    ):
        with pytest.raises(Invalid) as info:
            v.iso_date(raw)
        assert info.value.code == "invalid_date"
    assert v.iso_date("2028-02-29") == dt.date(2028, 2, 29)


def test_not_past() -> None:
    today = dt.date(2026, 3, 2)
    assert v.not_past(today, today) == today
    with pytest.raises(Invalid) as info:
        v.not_past(dt.date(2026, 3, 1), today)
    assert info.value.code == "date_in_past"


def test_period_and_subject_aliases() -> None:
    assert v.period("morning") is Period.MORNING
    assert v.period("下午") is Period.AFTERNOON
    assert v.subject("科目三") is Subject.THREE
    assert v.subject("科一") is Subject.ONE
    assert v.subject("4") is Subject.FOUR
    for bad in ("evening", "晚上"):
        with pytest.raises(Invalid):
            v.period(bad)
    with pytest.raises(Invalid):
        v.subject("科目五")


def test_phone() -> None:
    assert v.phone("138 0013 8000") == "13800138000"
    assert v.phone("+8613800138000") == "13800138000"
    for bad in ("12800138000", "1380013800", "0755-86001001"):
        with pytest.raises(Invalid):
            v.phone(bad)


@pytest.mark.parametrize(
    ("func", "good", "bad"),
    [
        (v.booking_code, "KS20000001", "KS2000001"),
        (v.inspection_code, "JC20000001", "KS20000001"),
        (v.ticket_id, "GD202603010042", "GD20260301004"),
        (v.decision_number, "4403052600000011", "440305260000001"),
        (v.order_id, "ZF2026030212345678", "ZF20260302"),
        (v.engine_suffix, "A8K92Z", "A8K9"),
    ],
)
def test_codes(func: object, good: str, bad: str) -> None:
    assert callable(func)
    assert func(good.lower() if good[0].isalpha() else good) == good
    with pytest.raises(Invalid):
        func(bad)


def test_places() -> None:
    assert v.district("南山").name == "南山区"
    assert v.district("西乡").name == "宝安区"
    assert v.district("坂田街道").name == "龙岗区"
    assert v.exam_site("一考场").name == "第一考场"
    assert v.station("福田机动车检测站").id == "insp-futian"
    assert v.station("insp-longhua").name == "龙华机动车检测站（沙盒）"
    for func in (v.district, v.exam_site, v.station):
        with pytest.raises(Invalid):
            func("火星区")


def test_license_class() -> None:
    assert v.license_class("c1") == "C1"
    with pytest.raises(Invalid):
        v.license_class("C9")
