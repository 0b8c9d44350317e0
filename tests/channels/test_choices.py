"""Tests for channels.choices: numbered answers back to menu choices."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.choices import choice_number, resolve_choice
from channels.replies import Choice

SUBJECTS = [
    Choice("科目一", '/inform{"exam_subject": "科目一"}'),
    Choice("科目二", '/inform{"exam_subject": "科目二"}'),
    Choice("科目三", '/inform{"exam_subject": "科目三"}'),
    Choice("C1 手动挡", '/inform{"license_class": "C1"}'),
]
MANY = [Choice(f"选项{i}", f"/p{i}") for i in range(1, 21)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        ("１", 1),
        (" 2 ", 2),
        ("1.", 1),
        ("１．", 1),
        ("2、", 2),
        ("3。", 3),
        ("(2)", 2),
        ("（2）", 2),
        ("【3】", 3),
        ("①", 1),
        ("⑫", 12),
        ("1️⃣", 1),
        ("一", 1),
        ("幺", 1),
        ("两", 2),
        ("第一个", 1),
        ("第一個", 1),
        ("第 2 个", 2),
        ("第三项", 3),
        ("第3條", 3),
        ("选2", 2),
        ("選擇第二個", 2),
        ("我选3", 3),
        ("我要第一个", 1),
        ("回复1", 1),
        ("按4", 4),
        ("10", 10),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十三", 23),
        ("2!", 2),
        ("0", 0),
    ],
)
def test_choice_number(text: str, number: int) -> None:
    assert choice_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "123",
        "1 2",
        "一二",
        "第",
        "个",
        "我想预约科目一",
        "5分",
        "1号上午",
        "十十",
        "零十",
        "abc",
        "\ud800",
    ],
)
def test_not_a_choice_number(text: str) -> None:
    assert choice_number(text) is None


def test_resolves_by_position() -> None:
    assert resolve_choice("1", SUBJECTS) == SUBJECTS[0]
    assert resolve_choice("第四个", SUBJECTS) == SUBJECTS[3]
    assert resolve_choice("⑫", MANY) == MANY[11]
    assert resolve_choice("二十", MANY) == MANY[19]


def test_out_of_range_zero_and_empty_menu() -> None:
    assert resolve_choice("5", SUBJECTS) is None
    assert resolve_choice("0", SUBJECTS) is None
    assert resolve_choice("1", []) is None
    assert resolve_choice("", SUBJECTS) is None


def test_resolves_by_exact_title_ignoring_width_script_case_and_spaces() -> None:
    assert resolve_choice("科目二", SUBJECTS) == SUBJECTS[1]
    assert resolve_choice("c1  手动挡。", SUBJECTS) == SUBJECTS[3]
    assert resolve_choice("Ｃ１ 手動擋", SUBJECTS) == SUBJECTS[3]


def test_free_text_goes_to_rasa() -> None:
    assert resolve_choice("我想预约科目二", SUBJECTS) is None
    assert resolve_choice("科目", SUBJECTS) is None


def test_ambiguous_titles_resolve_to_nothing() -> None:
    twins = [Choice("确认", "/affirm"), Choice("确认", "/affirm_again")]
    assert resolve_choice("确认", twins) is None
    assert resolve_choice("2", twins) == twins[1]


@given(st.text(max_size=20))
def test_property_result_is_from_the_menu(text: str) -> None:
    result = resolve_choice(text, SUBJECTS)
    assert result is None or result in SUBJECTS


def test_huge_and_odd_inputs_are_not_choices() -> None:
    assert resolve_choice("1" * 100_000, SUBJECTS) is None
    assert resolve_choice("第" * 50_000 + "一个", SUBJECTS) is None
    assert resolve_choice("\x00", SUBJECTS) is None
    assert resolve_choice("😀", SUBJECTS) is None
