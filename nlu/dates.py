"""Chinese dates and time periods (明天, 下周三, 12月5号, 上午9点到11点) relative to now.

Works on normalised text (``nlu.normalize.normalize``). Conventions, where
Chinese usage leaves a choice:

* Weeks run Monday to Sunday. 这周三 is the Wednesday of the current week (even
  if already past); a bare 周三 is the next Wednesday on or after today.
* A date without a year that is already past this year means next year; a bare
  5号 means this month, or next month when the 5th has passed. A day that does
  not exist in the month picked (2月30日, 4月31号, 13月1日, 2月29日 in a common
  year) gives ``valid=False``, ``problem="impossible_date"`` and ``date=None``.
* 月初 / 月中 / 月底 are the 旬 (1–10, 11–20, 21–end) with grain ``"part_of_month"``.
* A clock time without a period word between 1 and 6 o'clock is read as the
  afternoon (offices are closed at 3 a.m.; 凌晨三点 says so). ``end`` earlier
  than ``start`` (night 22:00–05:00) crosses midnight.
"""

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DATE", "TIME_PERIOD", "DateMatch", "find_dates"]

DATE = "date"
TIME_PERIOD = "time_period"

_CN_VALUES = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_NUM = r"(?:[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_PRE = r"(?P<pre>下下个?|下个?|上上个?|上个?|这个?|本)"
_PRE_OFFSETS = {"下下": 2, "下": 1, "上上": -2, "上": -1, "这": 0, "本": 0}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE_DAYS = {
    word: offset
    for words, offset in (
        ("大后天", 3),
        ("后天", 2),
        ("明天 明日 明儿 明儿个 明", 1),
        ("今天 今日 今儿 今儿个 今", 0),
        ("昨天 昨日 昨儿 昨儿个 昨", -1),
        ("前天", -2),
        ("大前天", -3),
    )
    for word in words.split()
}
_YEAR_WORDS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1, "后年": 2}
# 旬: first, middle and last third of a month (last day None = month end).
_MONTH_PARTS = {"初": (1, 10), "上旬": (1, 10), "中": (11, 20), "中旬": (11, 20)} | {
    part: (21, None) for part in ("底", "末", "下旬")
}
_PART = r"(?P<part>初|上旬|中旬|中|底|末|下旬)"

_R_ISO = re.compile(
    r"(?<![0-9])(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
    r"(?![0-9])[日号]?"
)
_R_COMPACT = re.compile(
    r"(?<![0-9A-Za-z])(?P<y>(?:19|20)[0-9]{2})(?P<m>[01][0-9])(?P<d>[0-3][0-9])"
    r"(?![0-9A-Za-z])"
)
_COMPACT_CUE = re.compile(
    r"日期|日子|时间|哪天|那天|当天|预约|改到|改成|改为|改约|约在|约到|定在|订在|安排在"
)
_COMPACT_CUE_WINDOW = 8
_R_MONTH_DAY = re.compile(
    r"(?:(?P<y>[0-9]{4}|[零〇一二三四五六七八九]{4})年|(?P<yw>前年|去年|今年|明年|后年))?"
    r"(?<![0-9零〇一二两三四五六七八九十])"
    rf"(?P<m>{_NUM})月(?:份)?"
    r"(?:(?P<d>[0-9]{1,2})(?![0-9])[日号]?"
    rf"|(?P<cd>[零〇一二两三四五六七八九十]{{1,3}})[日号]|{_PART})?"
)
_R_SLASH = re.compile(
    r"(?<![0-9./:\-])(?P<m>1[0-2]|0?[1-9])[./](?P<d>3[01]|[12][0-9]|0?[1-9])"
    r"(?![0-9./:%])(?! ?[元块万千百亿分公米岁斤克个次倍折点号日小年天月周里度升吨平件张份人辆条])"
)
_R_RELATIVE = re.compile(
    r"大后天|(?<![以之然最而落])后天|明儿个?|明天|明日|今儿个?|今天|今日"
    r"|昨儿个?|昨天|昨日|大前天|前天|[今明昨](?=[早晚夜])"
)
_R_DAYS_LATER = re.compile(
    rf"(?<![0-9零〇一二两三四五六七八九十])(?P<n>[0-9]{{1,3}}|{_NUM})天(?:以后|之后|后)"
)
_R_WEEKDAY = re.compile(
    rf"{_PRE}?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天]|[1-7](?![0-9]))(?![次个])"
)
_R_WEEK = re.compile(rf"{_PRE}(?:周|星期|礼拜)(?![末一二三四五六日天1-7])")
_R_WEEKEND = re.compile(rf"{_PRE}?周末")
_R_MONTH_REL = re.compile(rf"{_PRE}月(?:份)?(?:(?P<d>{_NUM})(?P<suf>[日号])|{_PART})?")
_R_MONTH_PART = re.compile(
    r"(?<!岁)月(?P<part>初|中旬|中|底|末)|(?P<xun>上旬|中旬|下旬)"
)
_R_BARE_DAY = re.compile(
    rf"(?<![0-9A-Za-z.第编月零〇一二两三四五六七八九十])(?P<d>{_NUM})(?P<suf>[号日])"
    r"(?![码牌楼线窗门口厅室房馆院场位台车机柜座街路巷站桌床字文令栋幢层元考区])"
    r"(?!(?<=日)(?:内|以内|之内|后|以后|之后|前|以前|之前|起))"
)

_PERIOD_DEFAULTS = {
    "early_morning": ("00:00", "06:00"),
    "morning": ("09:00", "12:00"),
    "noon": ("11:00", "13:00"),
    "afternoon": ("13:00", "18:00"),
    "evening": ("18:00", "23:00"),
    "night": ("22:00", "05:00"),
}
# Period words: (period, default start, default end).
_PERIOD_WORDS: dict[str, tuple[str, str, str]] = {
    word: (period, start, end)
    for words, period, start, end in (
        ("凌晨", "early_morning", "00:00", "06:00"),
        ("早上 早晨 清晨 一早 早", "morning", "06:00", "09:00"),
        ("上午", "morning", "09:00", "12:00"),
        ("中午 正午 晌午", "noon", "11:00", "13:00"),
        ("下午 午后", "afternoon", "13:00", "18:00"),
        ("傍晚 黄昏", "evening", "17:00", "19:00"),
        ("晚上 晚间 夜晚 晚", "evening", "18:00", "23:00"),
        ("夜里 夜间 深夜 半夜 午夜 夜", "night", "22:00", "05:00"),
    )
    for word in words.split()
}
_WORD_ALTS = "|".join(
    sorted((w for w in _PERIOD_WORDS if len(w) > 1), key=len, reverse=True)
)
# 早, 晚 and 夜 alone are periods only in 今早, 明晚, 昨夜.
_WORDS = rf"(?:{_WORD_ALTS}|(?<=[今明昨])[早晚夜])"
_CONN = r"(?:到|至|-|~|—|–)"
_MODS = r"(?P<mod>左右|前后|以前|之前|以后|之后|前|后)?"
# Words after which 一点 / 两点 mean "a bit", not a clock time.
_NOT_CLOCK_BEFORE = set("快早晚慢多少好有高低大小近远再差点些稍第这那几")


def _time(p: str) -> str:
    """Regex for one clock time; group names are prefixed with ``p``."""
    return (
        rf"(?:(?<![0-9:])(?P<{p}hh>[01]?[0-9]|2[0-4]):(?P<{p}mi>[0-5][0-9])(?![0-9:])"
        rf"|(?<![0-9.])(?P<{p}h>[0-9]{{1,2}}|[零〇一二两三四五六七八九十]{{1,3}})[点时]"
        rf"(?P<{p}zhong>钟)?(?:(?P<{p}half>半)|(?P<{p}q>一刻|三刻)|(?P<{p}zheng>整)"
        rf"|(?P<{p}m>[0-5]?[0-9])(?![0-9])分?"
        rf"|(?P<{p}cm>[零〇][一二三四五六七八九]|[二三四五]?十[一二三四五六七八九]?)分?"
        rf"|(?P<{p}cm1>[一二三四五六七八九])分)?)"
    )


# A start hour written without 点 only counts before a range (9到11点).
_TIME_TAIL = (
    rf"(?:{_time('s_')}|(?<![0-9.])(?P<sh>{_NUM})(?={_CONN}))"
    rf"(?:{_CONN}(?P<ew>{_WORDS})?{_time('e_')})?{_MODS}"
)
_R_PERIOD = re.compile(
    rf"(?=[0-9零〇一二两三四五六七八九十]|{_WORDS})(?P<w>{_WORDS})?(?:{_TIME_TAIL})?"
)


@dataclass(frozen=True)
class DateMatch:
    """A date or time-period span.

    ``value`` for ``date``: ``{"date", "end"}`` (ISO dates or ``None``),
    ``"grain"`` (``day``, ``week``, ``weekend``, ``month``, ``part_of_month``),
    ``"valid"`` and ``"problem"`` (``None`` or ``"impossible_date"``).
    ``value`` for ``time_period``: ``{"period", "start", "end"}`` with ``HH:MM``
    times and period one of ``early_morning``, ``morning``, ``noon``,
    ``afternoon``, ``evening``, ``night``.
    """

    entity: str
    start: int
    end: int
    text: str
    value: dict[str, Any] = field(hash=False)


def _cn_int(text: str) -> int | None:
    """Parse 0–99 written in ASCII or Chinese numerals (十二, 二十五, 零五, 两)."""
    if text.isascii():
        return int(text) if text.isdigit() else None
    head, ten, tail = text.partition("十")
    if ten:
        tens = 1 if not head else _CN_VALUES.get(head) if len(head) == 1 else None
        ones = 0 if not tail else _CN_VALUES.get(tail) if len(tail) == 1 else None
        if not tens or ones is None:
            return None
        return tens * 10 + ones
    if len(text) == 1:
        return _CN_VALUES.get(text)
    if len(text) == 2 and text[0] in "零〇":
        return _CN_VALUES.get(text[1])
    return None


def _year(text: str) -> int | None:
    if text.isascii():
        return int(text)
    digits = [_CN_VALUES.get(c) for c in text]
    if any(d is None or c == "两" for d, c in zip(digits, text, strict=True)):
        return None
    return int("".join(str(d) for d in digits))


@cache
def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=8), "Asia/Shanghai")


def _today(now: datetime) -> date:
    if now.tzinfo is None or now.utcoffset() is None:
        return now.date()
    try:
        return now.astimezone(_shanghai()).date()
    except OverflowError:
        return now.date()


def _days(start: date, end: date, grain: str) -> dict[str, Any]:
    return {
        "date": start.isoformat(),
        "end": end.isoformat(),
        "grain": grain,
        "valid": True,
        "problem": None,
    }


def _day(day: date) -> dict[str, Any]:
    return _days(day, day, "day")


def _impossible(grain: str = "day") -> dict[str, Any]:
    return {
        "date": None,
        "end": None,
        "grain": grain,
        "valid": False,
        "problem": "impossible_date",
    }


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _month_range(year: int, month: int, part: str | None) -> dict[str, Any]:
    if not 1 <= month <= 12:
        return _impossible("month")
    last = calendar.monthrange(year, month)[1]
    if part is None:
        return _days(date(year, month, 1), date(year, month, last), "month")
    first, final = _MONTH_PARTS[part]
    end = date(year, month, final or last)
    return _days(date(year, month, first), end, "part_of_month")


def _dated(year: int, month: int, day: int) -> dict[str, Any]:
    made = _make(year, month, day)
    return _day(made) if made else _impossible()


def _offset(pre: str | None) -> int:
    return _PRE_OFFSETS[pre.rstrip("个")] if pre else 0


def _on_iso(m: re.Match[str], today: date) -> dict[str, Any] | None:
    return _dated(int(m["y"]), int(m["m"]), int(m["d"]))


def _on_compact(m: re.Match[str], today: date) -> dict[str, Any] | None:
    made = _make(int(m["y"]), int(m["m"]), int(m["d"]))
    cue = any(
        c.end() >= m.start() - _COMPACT_CUE_WINDOW
        for c in _COMPACT_CUE.finditer(m.string, 0, m.start())
    )
    return _day(made) if made and cue else None


def _on_month_day(m: re.Match[str], today: date) -> dict[str, Any] | None:
    month = _cn_int(m["m"])
    day_text = m["d"] or m["cd"]
    day = _cn_int(day_text) if day_text else None
    if month is None or (day_text and day is None):
        return None
    if m["y"]:
        year = _year(m["y"])
        if year is None:
            return None
    elif m["yw"]:
        year = today.year + _YEAR_WORDS[m["yw"]]
    elif day is not None:
        year = (
            today.year if (month, day) >= (today.month, today.day) else today.year + 1
        )
    else:
        year = today.year if month >= today.month else today.year + 1
    if day is None:
        return _month_range(year, month, m["part"])
    return _dated(year, month, day)


def _on_slash(m: re.Match[str], today: date) -> dict[str, Any] | None:
    month, day = int(m["m"]), int(m["d"])
    year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    return _dated(year, month, day)


def _on_relative(m: re.Match[str], today: date) -> dict[str, Any] | None:
    return _day(today + timedelta(days=_RELATIVE_DAYS[m.group()]))


def _on_days_later(m: re.Match[str], today: date) -> dict[str, Any] | None:
    days = _cn_int(m["n"])
    return None if days is None else _day(today + timedelta(days=days))


def _on_weekday(m: re.Match[str], today: date) -> dict[str, Any] | None:
    wd = m["wd"]
    weekday = int(wd) - 1 if wd.isdigit() else _WEEKDAYS[wd]
    if m["pre"] is None:
        return _day(today + timedelta(days=(weekday - today.weekday()) % 7))
    monday = today - timedelta(days=today.weekday())
    return _day(monday + timedelta(days=7 * _offset(m["pre"]) + weekday))


def _on_week(m: re.Match[str], today: date) -> dict[str, Any] | None:
    monday = today - timedelta(days=today.weekday() - 7 * _offset(m["pre"]))
    return _days(monday, monday + timedelta(days=6), "week")


def _on_weekend(m: re.Match[str], today: date) -> dict[str, Any] | None:
    monday = today - timedelta(days=today.weekday() - 7 * _offset(m["pre"]))
    return _days(monday + timedelta(days=5), monday + timedelta(days=6), "weekend")


def _on_month_rel(m: re.Match[str], today: date) -> dict[str, Any] | None:
    year, month = _add_months(today.year, today.month, _offset(m["pre"]))
    if m["d"]:
        day = _cn_int(m["d"])
        return None if day is None else _dated(year, month, day)
    return _month_range(year, month, m["part"])


def _on_month_part(m: re.Match[str], today: date) -> dict[str, Any] | None:
    part = m["part"] or m["xun"]
    if today.day > (_MONTH_PARTS[part][1] or 31):
        return _month_range(*_add_months(today.year, today.month, 1), part)
    return _month_range(today.year, today.month, part)


def _on_bare_day(m: re.Match[str], today: date) -> dict[str, Any] | None:
    text = m["d"]
    # 五日 alone is too often a count of days; 五号 and 十五日 are dates.
    if m["suf"] == "日" and not text.isascii() and "十" not in text:
        return None
    day = _cn_int(text)
    if day is None or not 1 <= day <= 31:
        return None
    if day >= today.day:
        return _dated(today.year, today.month, day)
    return _dated(*_add_months(today.year, today.month, 1), day)


_Handler = Callable[[re.Match[str], date], dict[str, Any] | None]
_DATE_RULES: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (_R_ISO, _on_iso),
    (_R_COMPACT, _on_compact),
    (_R_MONTH_DAY, _on_month_day),
    (_R_SLASH, _on_slash),
    (_R_RELATIVE, _on_relative),
    (_R_DAYS_LATER, _on_days_later),
    (_R_WEEKDAY, _on_weekday),
    (_R_WEEK, _on_week),
    (_R_WEEKEND, _on_weekend),
    (_R_MONTH_REL, _on_month_rel),
    (_R_MONTH_PART, _on_month_part),
    (_R_BARE_DAY, _on_bare_day),
)


def _clock(m: re.Match[str], p: str) -> tuple[int, int, bool] | None:
    """Read one clock time: (hour, minute, spelled out precisely?)."""
    if m[p + "hh"] is not None:
        return int(m[p + "hh"]) % 24, int(m[p + "mi"]), True
    if m[p + "h"] is None:
        return None
    hour = _cn_int(m[p + "h"])
    minute: int | None = 0
    if m[p + "half"]:
        minute = 30
    elif m[p + "q"]:
        minute = 15 if m[p + "q"] == "一刻" else 45
    elif m[p + "m"]:
        minute = int(m[p + "m"])
    elif m[p + "cm"] or m[p + "cm1"]:
        minute = _cn_int(m[p + "cm"] or m[p + "cm1"])
    if hour is None or hour > 24 or minute is None or minute > 59:
        return None
    precise = any(m[p + g] for g in ("zhong", "half", "q", "zheng", "m", "cm", "cm1"))
    return hour % 24, minute, precise


def _adjust(hour: int, period: str | None) -> int:
    """Turn a 12-hour reading into 24-hour time using the period word (or none)."""
    if period is None:
        return hour + 12 if 1 <= hour <= 6 else hour
    if period == "early_morning":
        return 0 if hour == 12 else hour
    if period == "noon":
        return hour + 12 if 1 <= hour <= 4 else hour
    if period == "night" and hour <= 5:
        return hour
    if period in ("afternoon", "evening", "night"):
        return 0 if hour == 12 else hour + 12 if hour < 12 else hour
    return hour


def _period_of(hour: int) -> str:
    for limit, name in (
        (6, "early_morning"),
        (12, "morning"),
        (13, "noon"),
        (18, "afternoon"),
        (22, "evening"),
    ):
        if hour < limit:
            return name
    return "night"


def _fmt(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _word_only(m: re.Match[str]) -> tuple[int, int, dict[str, Any]] | None:
    if not m["w"] or m.string.startswith("好", m.end("w")):
        return None  # 早上好 greets, it does not book
    period, start, end = _PERIOD_WORDS[m["w"]]
    return m.start("w"), m.end("w"), {"period": period, "start": start, "end": end}


def _is_not_clock(m: re.Match[str], start: tuple[int, int, bool]) -> bool:
    """Tell 快一点 ("a bit"), 第二点 ("point two") from a bare clock time."""
    hour_text = m["s_h"] or ""
    if m["w"] or m["e_h"] or m["e_hh"] or start[2] or not hour_text:
        return False
    before = m.string[m.start() - 1 : m.start()] if m.start() else ""
    if before == "第":
        return True
    return not hour_text.isascii() and (
        hour_text == "一" or before in _NOT_CLOCK_BEFORE
    )


def _on_period(m: re.Match[str]) -> tuple[int, int, dict[str, Any]] | None:
    """Read a time-period match as (start, end, value); fall back to the word alone."""
    word = _PERIOD_WORDS[m["w"]] if m["w"] else None
    start = _clock(m, "s_")
    if start is None and m["sh"]:
        hour = _cn_int(m["sh"])
        start = (hour, 0, True) if hour is not None and hour <= 24 else None
    end = _clock(m, "e_")
    has_end = bool(m["e_hh"] or m["e_h"])
    if start is None or (has_end and end is None) or (m["sh"] and end is None):
        return _word_only(m)
    if _is_not_clock(m, start):
        return None
    period = word[0] if word else None
    s_hour = _adjust(start[0], period)
    value = {"period": period or _period_of(s_hour), "start": _fmt(s_hour, start[1])}
    if end is not None:
        end_period = _PERIOD_WORDS[m["ew"]][0] if m["ew"] else period
        e_hour = _adjust(end[0], end_period)
        earlier = e_hour * 60 + end[1] <= s_hour * 60 + start[1]
        if earlier and e_hour + 12 < 24 and not m["ew"]:
            e_hour += 12
        value["end"] = _fmt(e_hour, end[1])
        return m.start(), m.end(), value
    default = word[1:] if word else _PERIOD_DEFAULTS[value["period"]]
    mod = m["mod"] or ""
    if mod in ("以后", "之后", "后"):
        value["end"] = default[1]
    elif mod in ("以前", "之前", "前"):
        value["start"], value["end"] = default[0], value["start"]
    else:
        value["end"] = value["start"]
    return m.start(), m.end(), value


def find_dates(text: str, now: datetime) -> list[DateMatch]:
    """Find dates and time periods in normalised text.

    Args:
        text: Text already passed through ``nlu.normalize.normalize``.
        now: The reference time; naive values are read as Asia/Shanghai time.

    Returns:
        Non-overlapping matches sorted by start; longer spans win overlaps.
    """
    today = _today(now)
    candidates: list[DateMatch] = []
    for pattern, handler in _DATE_RULES:
        for m in pattern.finditer(text):
            try:
                value = handler(m, today)
            except (OverflowError, ValueError):  # dates beyond year 1..9999
                value = None
            if value is not None:
                candidates.append(DateMatch(DATE, m.start(), m.end(), m.group(), value))
    for m in _R_PERIOD.finditer(text):
        if m.end() > m.start() and (found := _on_period(m)) is not None:
            start, end, period = found
            candidates.append(
                DateMatch(TIME_PERIOD, start, end, text[start:end], period)
            )
    candidates.sort(key=lambda c: (c.start - c.end, c.start))
    taken: list[DateMatch] = []
    for candidate in candidates:
        if all(candidate.end <= t.start or t.end <= candidate.start for t in taken):
            taken.append(candidate)
    return sorted(taken, key=lambda c: c.start)
