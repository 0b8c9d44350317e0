"""Tests for nlu.dates: Chinese dates and time periods relative to an injected now."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.dates import DateMatch, find_dates
from nlu.normalize import normalize

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc  # datetime.UTC is 3.11+
SUNDAY = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
YEAR_END = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
LEAP_FEB = datetime(2028, 2, 10, 9, 0, tzinfo=SHANGHAI)  # a Thursday


def dates(text: str, now: datetime) -> list[tuple[str, str | None, str | None, str]]:
    """(span as written, start date, end date, grain) of each date found."""
    return [
        (text[m.start : m.end], m.value["date"], m.value["end"], m.value["grain"])
        for m in find_dates(normalize(text), now)
        if m.entity == "date"
    ]


def periods(text: str, now: datetime = SUNDAY) -> list[tuple[str, str, str, str]]:
    """(span as written, period, start, end) of each time period found."""
    return [
        (text[m.start : m.end], m.value["period"], m.value["start"], m.value["end"])
        for m in find_dates(normalize(text), now)
        if m.entity == "time_period"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # relative days
        ("今天", [("今天", "2026-11-22", "2026-11-22", "day")]),
        ("今儿", [("今儿", "2026-11-22", "2026-11-22", "day")]),
        ("明天", [("明天", "2026-11-23", "2026-11-23", "day")]),
        ("明儿个", [("明儿个", "2026-11-23", "2026-11-23", "day")]),
        ("明日", [("明日", "2026-11-23", "2026-11-23", "day")]),
        ("后天", [("后天", "2026-11-24", "2026-11-24", "day")]),
        ("大后天", [("大后天", "2026-11-25", "2026-11-25", "day")]),
        ("昨天", [("昨天", "2026-11-21", "2026-11-21", "day")]),
        ("前天", [("前天", "2026-11-20", "2026-11-20", "day")]),
        ("大前天", [("大前天", "2026-11-19", "2026-11-19", "day")]),
        ("三天后", [("三天后", "2026-11-25", "2026-11-25", "day")]),
        ("10天以后", [("10天以后", "2026-12-02", "2026-12-02", "day")]),
        # weekdays (today is Sunday, the last day of the week)
        ("周三", [("周三", "2026-11-25", "2026-11-25", "day")]),
        ("星期三", [("星期三", "2026-11-25", "2026-11-25", "day")]),
        ("礼拜三", [("礼拜三", "2026-11-25", "2026-11-25", "day")]),
        ("週三", [("週三", "2026-11-25", "2026-11-25", "day")]),
        ("周日", [("周日", "2026-11-22", "2026-11-22", "day")]),
        ("礼拜天", [("礼拜天", "2026-11-22", "2026-11-22", "day")]),
        ("周5", [("周5", "2026-11-27", "2026-11-27", "day")]),
        ("这周三", [("这周三", "2026-11-18", "2026-11-18", "day")]),
        ("本周三", [("本周三", "2026-11-18", "2026-11-18", "day")]),
        ("下周三", [("下周三", "2026-11-25", "2026-11-25", "day")]),
        ("下週三", [("下週三", "2026-11-25", "2026-11-25", "day")]),
        ("下星期三", [("下星期三", "2026-11-25", "2026-11-25", "day")]),
        ("下礼拜三", [("下礼拜三", "2026-11-25", "2026-11-25", "day")]),
        ("下個禮拜三", [("下個禮拜三", "2026-11-25", "2026-11-25", "day")]),
        ("下下周一", [("下下周一", "2026-11-30", "2026-11-30", "day")]),
        ("上周五", [("上周五", "2026-11-13", "2026-11-13", "day")]),
        # weeks and weekends
        ("下周", [("下周", "2026-11-23", "2026-11-29", "week")]),
        ("这个星期", [("这个星期", "2026-11-16", "2026-11-22", "week")]),
        ("下下周", [("下下周", "2026-11-30", "2026-12-06", "week")]),
        ("这周末", [("这周末", "2026-11-21", "2026-11-22", "weekend")]),
        ("周末", [("周末", "2026-11-21", "2026-11-22", "weekend")]),
        ("下周末", [("下周末", "2026-11-28", "2026-11-29", "weekend")]),
        # explicit dates
        ("12月5号", [("12月5号", "2026-12-05", "2026-12-05", "day")]),
        ("12月5日", [("12月5日", "2026-12-05", "2026-12-05", "day")]),
        ("12月5", [("12月5", "2026-12-05", "2026-12-05", "day")]),
        ("十二月五号", [("十二月五号", "2026-12-05", "2026-12-05", "day")]),
        ("十二月二十五号", [("十二月二十五号", "2026-12-25", "2026-12-25", "day")]),
        ("12.5", [("12.5", "2026-12-05", "2026-12-05", "day")]),
        ("12/5", [("12/5", "2026-12-05", "2026-12-05", "day")]),
        ("2026-12-05", [("2026-12-05", "2026-12-05", "2026-12-05", "day")]),
        ("2026/12/05", [("2026/12/05", "2026-12-05", "2026-12-05", "day")]),
        ("2026.12.5", [("2026.12.5", "2026-12-05", "2026-12-05", "day")]),
        ("2026年12月5日", [("2026年12月5日", "2026-12-05", "2026-12-05", "day")]),
        (
            "２０２６年１２月５日",
            [("２０２６年１２月５日", "2026-12-05", "2026-12-05", "day")],
        ),
        (
            "二〇二六年十二月五日",
            [("二〇二六年十二月五日", "2026-12-05", "2026-12-05", "day")],
        ),
        ("预约日期20261205", [("20261205", "2026-12-05", "2026-12-05", "day")]),
        ("明年3月5号", [("明年3月5号", "2027-03-05", "2027-03-05", "day")]),
        # a year-less date already past means next year
        ("11月20号", [("11月20号", "2027-11-20", "2027-11-20", "day")]),
        ("11月22号", [("11月22号", "2026-11-22", "2026-11-22", "day")]),
        ("3月1日", [("3月1日", "2027-03-01", "2027-03-01", "day")]),
        # bare day of month: this month, next month once past
        ("5号", [("5号", "2026-12-05", "2026-12-05", "day")]),
        ("25号", [("25号", "2026-11-25", "2026-11-25", "day")]),
        ("二十五号", [("二十五号", "2026-11-25", "2026-11-25", "day")]),
        ("30日", [("30日", "2026-11-30", "2026-11-30", "day")]),
        # months and parts of months
        ("下个月", [("下个月", "2026-12-01", "2026-12-31", "month")]),
        ("下月", [("下月", "2026-12-01", "2026-12-31", "month")]),
        ("这个月", [("这个月", "2026-11-01", "2026-11-30", "month")]),
        ("12月", [("12月", "2026-12-01", "2026-12-31", "month")]),
        ("3月份", [("3月份", "2027-03-01", "2027-03-31", "month")]),
        ("月底", [("月底", "2026-11-21", "2026-11-30", "part_of_month")]),
        ("月初", [("月初", "2026-12-01", "2026-12-10", "part_of_month")]),
        ("下月初", [("下月初", "2026-12-01", "2026-12-10", "part_of_month")]),
        ("下个月底", [("下个月底", "2026-12-21", "2026-12-31", "part_of_month")]),
        ("12月中旬", [("12月中旬", "2026-12-11", "2026-12-20", "part_of_month")]),
        ("下个月5号", [("下个月5号", "2026-12-05", "2026-12-05", "day")]),
        # several in one message, with periods around
        (
            "明天或者下周三都行",
            [
                ("明天", "2026-11-23", "2026-11-23", "day"),
                ("下周三", "2026-11-25", "2026-11-25", "day"),
            ],
        ),
        (
            "12月5号上午9点到11点",
            [("12月5号", "2026-12-05", "2026-12-05", "day")],
        ),
    ],
)
def test_dates_on_a_sunday(
    text: str, expected: list[tuple[str, str, str, str]]
) -> None:
    assert dates(text, SUNDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12月5号", [("12月5号", "2027-12-05", "2027-12-05", "day")]),
        ("12月31号", [("12月31号", "2026-12-31", "2026-12-31", "day")]),
        ("1月3号", [("1月3号", "2027-01-03", "2027-01-03", "day")]),
        ("5号", [("5号", "2027-01-05", "2027-01-05", "day")]),
        ("明天", [("明天", "2026-12-31", "2026-12-31", "day")]),
        ("后天", [("后天", "2027-01-01", "2027-01-01", "day")]),
        ("这周三", [("这周三", "2026-12-30", "2026-12-30", "day")]),
        ("周三", [("周三", "2026-12-30", "2026-12-30", "day")]),
        ("下周三", [("下周三", "2027-01-06", "2027-01-06", "day")]),
        ("周一", [("周一", "2027-01-04", "2027-01-04", "day")]),
        ("这周末", [("这周末", "2027-01-02", "2027-01-03", "weekend")]),
        ("下个月", [("下个月", "2027-01-01", "2027-01-31", "month")]),
        ("下月初", [("下月初", "2027-01-01", "2027-01-10", "part_of_month")]),
        ("月底", [("月底", "2026-12-21", "2026-12-31", "part_of_month")]),
        ("明年3月5号", [("明年3月5号", "2027-03-05", "2027-03-05", "day")]),
        ("12/5", [("12/5", "2027-12-05", "2027-12-05", "day")]),
    ],
)
def test_dates_near_year_end(
    text: str, expected: list[tuple[str, str, str, str]]
) -> None:
    assert dates(text, YEAR_END) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2月29号", [("2月29号", "2028-02-29", "2028-02-29", "day")]),
        ("29号", [("29号", "2028-02-29", "2028-02-29", "day")]),
        ("月底", [("月底", "2028-02-21", "2028-02-29", "part_of_month")]),
        ("这个月", [("这个月", "2028-02-01", "2028-02-29", "month")]),
        ("2028-02-29", [("2028-02-29", "2028-02-29", "2028-02-29", "day")]),
        ("下周四", [("下周四", "2028-02-17", "2028-02-17", "day")]),
        ("3月1号", [("3月1号", "2028-03-01", "2028-03-01", "day")]),
    ],
)
def test_dates_in_a_leap_february(
    text: str, expected: list[tuple[str, str, str, str]]
) -> None:
    assert dates(text, LEAP_FEB) == expected


@pytest.mark.parametrize(
    ("text", "now"),
    [
        ("2月30日", SUNDAY),
        ("13月1日", SUNDAY),
        ("4月31号", SUNDAY),
        ("0月5号", SUNDAY),
        ("2026-02-29", SUNDAY),
        ("2026年13月1日", SUNDAY),
        ("2月29号", SUNDAY),  # next 29 February after today: 2027 has none
        ("30号", LEAP_FEB),  # February 2028 has no 30th
        ("31号", SUNDAY),  # November has no 31st
        ("这个月31号", SUNDAY),
        ("2月30日", LEAP_FEB),
    ],
)
def test_impossible_dates(text: str, now: datetime) -> None:
    (match,) = find_dates(normalize(text), now)
    assert match.entity == "date"
    assert match.value["valid"] is False
    assert match.value["problem"] == "impossible_date"
    assert match.value["date"] is None


def test_valid_date_value_shape() -> None:
    (match,) = find_dates("下周三", SUNDAY)
    assert match == DateMatch(
        "date",
        0,
        3,
        "下周三",
        {
            "date": "2026-11-25",
            "end": "2026-11-25",
            "grain": "day",
            "valid": True,
            "problem": None,
        },
    )
    assert hash(match) == hash(DateMatch("date", 0, 3, "下周三", {}))


def test_now_in_another_zone_is_read_in_shanghai() -> None:
    utc_evening = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # 04:00 on the 22nd
    assert dates("今天", utc_evening) == [("今天", "2026-11-22", "2026-11-22", "day")]
    new_york = timezone(timedelta(hours=-5))
    late = datetime(2026, 11, 21, 12, 0, tzinfo=new_york)  # 01:00 on the 22nd
    assert dates("明天", late) == [("明天", "2026-11-23", "2026-11-23", "day")]


def test_naive_now_is_shanghai_time() -> None:
    naive = datetime(2026, 11, 22, 23, 30)
    assert dates("今天", naive) == [("今天", "2026-11-22", "2026-11-22", "day")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上午", [("上午", "morning", "09:00", "12:00")]),
        ("下午", [("下午", "afternoon", "13:00", "18:00")]),
        ("中午", [("中午", "noon", "11:00", "13:00")]),
        ("早上", [("早上", "morning", "06:00", "09:00")]),
        ("早晨", [("早晨", "morning", "06:00", "09:00")]),
        ("晚上", [("晚上", "evening", "18:00", "23:00")]),
        ("傍晚", [("傍晚", "evening", "17:00", "19:00")]),
        ("凌晨", [("凌晨", "early_morning", "00:00", "06:00")]),
        ("夜里", [("夜里", "night", "22:00", "05:00")]),
        ("上午9点到11点", [("上午9点到11点", "morning", "09:00", "11:00")]),
        ("上午九点到十一点", [("上午九点到十一点", "morning", "09:00", "11:00")]),
        ("9:00-11:30", [("9:00-11:30", "morning", "09:00", "11:30")]),
        ("9点-11点", [("9点-11点", "morning", "09:00", "11:00")]),
        ("9到11点", [("9到11点", "morning", "09:00", "11:00")]),
        ("下午2点到4点", [("下午2点到4点", "afternoon", "14:00", "16:00")]),
        ("上午10点到下午3点", [("上午10点到下午3点", "morning", "10:00", "15:00")]),
        ("上午11点到1点", [("上午11点到1点", "morning", "11:00", "13:00")]),
        ("下午两点半", [("下午两点半", "afternoon", "14:30", "14:30")]),
        ("下午兩點半", [("下午兩點半", "afternoon", "14:30", "14:30")]),
        ("两点", [("两点", "afternoon", "14:00", "14:00")]),
        ("三点半", [("三点半", "afternoon", "15:30", "15:30")]),
        ("十点", [("十点", "morning", "10:00", "10:00")]),
        ("9点", [("9点", "morning", "09:00", "09:00")]),
        ("14:30", [("14:30", "afternoon", "14:30", "14:30")]),
        ("10点15分", [("10点15分", "morning", "10:15", "10:15")]),
        ("十点一刻", [("十点一刻", "morning", "10:15", "10:15")]),
        ("九点四十五", [("九点四十五", "morning", "09:45", "09:45")]),
        ("九点零五分", [("九点零五分", "morning", "09:05", "09:05")]),
        ("晚上8点", [("晚上8点", "evening", "20:00", "20:00")]),
        ("中午12点半", [("中午12点半", "noon", "12:30", "12:30")]),
        ("凌晨2点", [("凌晨2点", "early_morning", "02:00", "02:00")]),
        ("夜里11点", [("夜里11点", "night", "23:00", "23:00")]),
        ("早上8点", [("早上8点", "morning", "08:00", "08:00")]),
        ("下午3点以后", [("下午3点以后", "afternoon", "15:00", "18:00")]),
        ("上午10点之前", [("上午10点之前", "morning", "09:00", "10:00")]),
        ("3点左右", [("3点左右", "afternoon", "15:00", "15:00")]),
        ("一点钟", [("一点钟", "afternoon", "13:00", "13:00")]),
        ("下午一点", [("下午一点", "afternoon", "13:00", "13:00")]),
        ("今晚", [("晚", "evening", "18:00", "23:00")]),
        ("明早9点", [("早9点", "morning", "09:00", "09:00")]),
        (
            "上午或者下午",
            [
                ("上午", "morning", "09:00", "12:00"),
                ("下午", "afternoon", "13:00", "18:00"),
            ],
        ),
    ],
)
def test_time_periods(text: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert periods(text) == expected


def test_weekday_range_with_clock_times() -> None:
    text = "周一到周五9:00-17:00"
    assert [(m.entity, m.text) for m in find_dates(text, SUNDAY)] == [
        ("date", "周一"),
        ("date", "周五"),
        ("time_period", "9:00-17:00"),
    ]
    assert find_dates("周12", SUNDAY) == []


def test_date_and_period_are_separate_spans() -> None:
    text = "明天下午两点半"
    matches = find_dates(text, SUNDAY)
    assert [(m.entity, m.text) for m in matches] == [
        ("date", "明天"),
        ("time_period", "下午两点半"),
    ]
    text = "下周三上午9点到11点可以吗"
    assert [(m.entity, m.text) for m in find_dates(text, SUNDAY)] == [
        ("date", "下周三"),
        ("time_period", "上午9点到11点"),
    ]
    assert [(m.entity, m.text) for m in find_dates("今晚", SUNDAY)] == [
        ("date", "今"),
        ("time_period", "晚"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "你好",
        "我想查一下违章",
        "三天",
        "一下",
        "快一点",
        "早一点来",
        "有两点要说",
        "第二点",
        "早上好",
        "晚上好",
        "5号考场",
        "1号线",
        "3号窗口",
        "罚款须在15日内缴纳",
        "12.5元",
        "扣了1.5分",
        "3个月",
        "粤B12345",
        "44030519900101123X",
        "20261205",  # eight digits without a date cue
        "以后天天都来",
        "25点",
        "岁月中",
    ],
)
def test_no_date_found(text: str) -> None:
    assert find_dates(normalize(text), SUNDAY) == []


def check_matches(text: str, matches: list[DateMatch]) -> None:
    """Spans are inside the text, consistent with it, sorted and disjoint."""
    previous_end = 0
    for match in matches:
        assert previous_end <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.text
        assert match.entity in {"date", "time_period"}
        if match.entity == "date":
            assert set(match.value) == {"date", "end", "grain", "valid", "problem"}
            if match.value["valid"]:
                assert match.value["date"] <= match.value["end"]
        else:
            assert set(match.value) == {"period", "start", "end"}
        previous_end = match.end


ALPHABET = st.sampled_from(
    list(
        "0123456789零〇一二两三四五六七八九十今明昨前后大天日号月年周星期礼拜末初中底旬"
        "上下这本个午晚早夜凌晨点时分半刻钟到至-~:./ 以之前后左右好第"
    )
)
DATE_TEXT = st.text(st.one_of(ALPHABET, st.characters()), max_size=60)
NOWS = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2098, 12, 31)),
    st.sampled_from([None, UTC, SHANGHAI, timezone(timedelta(hours=-11))]),
)


@settings(max_examples=400, deadline=None)
@given(DATE_TEXT, NOWS)
def test_find_dates_never_raises_and_spans_are_consistent(
    text: str, now: datetime
) -> None:
    normalized = normalize(text)
    check_matches(normalized, find_dates(normalized, now))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_find_dates_accepts_raw_text(text: str) -> None:
    check_matches(text, find_dates(text, SUNDAY))


def test_extreme_now_does_not_raise() -> None:
    for now in (datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59)):
        for text in (
            "明天",
            "下个月",
            "下周三",
            "12月5号",
            "明年3月5号",
            "99天后",
            "周末",
        ):
            check_matches(text, find_dates(text, now))


def test_long_text() -> None:
    text = normalize("我想预约下周三上午9点到11点，或者12月5号下午。" * 800)
    matches = find_dates(text, SUNDAY)
    assert len(matches) == 4 * 800
