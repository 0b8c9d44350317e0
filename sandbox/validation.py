"""Request validation: formats of plates, ID numbers, dates and codes → 422."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from aiohttp import web

from sandbox import city
from sandbox.errors import Invalid
from sandbox.statuses import Period, Subject

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Plate letters never use I or O (they read as 1 and 0).
_L = "A-HJ-NP-Z"
_PLATE_RES = (
    # Ordinary: 粤B12345, 粤B2468学
    re.compile(rf"^[{_PROVINCES}][{_L}][{_L}0-9]{{4}}[{_L}0-9挂学警港澳]$"),
    # Small new-energy: D (electric) or F (hybrid), then a letter or digit, four digits.
    re.compile(rf"^[{_PROVINCES}][{_L}][DF][{_L}0-9][0-9]{{4}}$"),
    # Large new-energy: five digits then D or F.
    re.compile(rf"^[{_PROVINCES}][{_L}][0-9]{{5}}[DF]$"),
)
_PLATE_SEPARATORS = re.compile(r"[\s·•・‧∙.\-_]")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[1-9]\d{16}[\dX]$")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_SUFFIX_RE = re.compile(r"^[A-Z0-9]{6}$")

_PERIODS = {
    "morning": Period.MORNING,
    "am": Period.MORNING,
    "上午": Period.MORNING,
    "afternoon": Period.AFTERNOON,
    "pm": Period.AFTERNOON,
    "下午": Period.AFTERNOON,
}
_SUBJECTS: dict[str, Subject] = {}
for _n, (_subject, _cn) in enumerate(zip(Subject, "一二三四", strict=True), start=1):
    for _alias in (
        _subject.value,
        f"科{_cn}",
        f"科目{_n}",
        str(_n),
        f"subject{_n}",
        f"subject_{_n}",
    ):
        _SUBJECTS[_alias] = _subject


def to_half_width(text: str) -> str:
    """Map full-width ASCII (ＡＢ１２) and the ideographic space to ASCII."""
    out = []
    for char in text:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def plate(raw: str) -> str:
    """Canonicalise a Chinese plate ("粤b·12345" → "粤B12345").

    Raises:
        Invalid: ``invalid_plate`` when it is not a plate format.
    """
    text = _PLATE_SEPARATORS.sub("", to_half_width(raw)).upper()
    if not any(pattern.match(text) for pattern in _PLATE_RES):
        raise Invalid("invalid_plate", f"Not a valid Chinese plate number: {raw!r}.")
    return text


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number(raw: str) -> str:
    """Validate an 18-character resident ID number (check digit, birth date).

    Raises:
        Invalid: ``invalid_id_number`` with the reason.
    """
    text = to_half_width(raw).strip().upper()
    if not _ID_RE.match(text):
        raise Invalid(
            "invalid_id_number", "ID number must be 17 digits plus a digit or X."
        )
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise Invalid(
            "invalid_id_number", "ID number holds an impossible birth date."
        ) from None
    if birth.year < 1900 or birth > dt.date.today():
        raise Invalid("invalid_id_number", "ID number holds an impossible birth date.")
    if id_check_char(text[:17]) != text[17]:
        raise Invalid("invalid_id_number", "ID number check digit does not match.")
    return text


def iso_date(raw: str, field: str = "date") -> dt.date:
    """Parse a strict ``YYYY-MM-DD`` calendar date.

    Raises:
        Invalid: ``invalid_date`` for other formats and impossible dates (2026-02-30).
    """
    text = raw.strip()
    if _DATE_RE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise Invalid(
        "invalid_date", f"{field} must be a real date as YYYY-MM-DD, got {raw!r}."
    )


def not_past(day: dt.date, today: dt.date, field: str = "date") -> dt.date:
    """Refuse dates before today.

    Raises:
        Invalid: ``date_in_past``.
    """
    if day < today:
        raise Invalid("date_in_past", f"{field} {day.isoformat()} is in the past.")
    return day


def period(raw: str) -> Period:
    """Parse ``morning``/``afternoon`` (also 上午/下午, am/pm)."""
    found = _PERIODS.get(raw.strip().lower())
    if found is None:
        raise Invalid(
            "invalid_period", f"period must be morning or afternoon, got {raw!r}."
        )
    return found


def subject(raw: str) -> Subject:
    """Parse an exam subject (科目一..科目四, also 科一, 1, subject1)."""
    found = _SUBJECTS.get(to_half_width(raw).strip().lower())
    if found is None:
        raise Invalid(
            "invalid_subject", f"subject must be 科目一 to 科目四, got {raw!r}."
        )
    return found


def license_class(raw: str) -> str:
    """Validate a licence class (C1, C2, B2, ...)."""
    text = to_half_width(raw).strip().upper()
    if text not in city.LICENSE_CLASSES:
        allowed = ", ".join(city.LICENSE_CLASSES)
        raise Invalid(
            "invalid_license_class", f"license_class must be one of {allowed}."
        )
    return text


def phone(raw: str) -> str:
    """Validate a mainland mobile number, dropping separators and +86."""
    text = re.sub(r"[\s\-]", "", to_half_width(raw))
    if text.startswith("+86"):
        text = text[3:]
    if not _PHONE_RE.match(text):
        raise Invalid(
            "invalid_phone", "phone must be an 11-digit mobile number 1[3-9]XXXXXXXXX."
        )
    return text


def engine_suffix(raw: str) -> str:
    """Validate the last 6 characters of an engine number or VIN."""
    text = to_half_width(raw).strip().upper()
    if not _SUFFIX_RE.match(text):
        raise Invalid(
            "invalid_engine_suffix", "engine_suffix must be 6 letters or digits."
        )
    return text


def _code(raw: str, pattern: str, code: str, what: str) -> str:
    text = to_half_width(raw).strip().upper()
    if not re.fullmatch(pattern, text):
        raise Invalid(code, f"{what}, got {raw!r}.")
    return text


def booking_code(raw: str) -> str:
    """Exam booking code: KS + 8 digits."""
    return _code(
        raw, r"KS\d{8}", "invalid_booking_code", "booking code must be KS + 8 digits"
    )


def inspection_code(raw: str) -> str:
    """Inspection booking code: JC + 8 digits."""
    return _code(
        raw, r"JC\d{8}", "invalid_booking_code", "booking code must be JC + 8 digits"
    )


def ticket_id(raw: str) -> str:
    """Hotline ticket id: GD + 12 digits."""
    return _code(
        raw, r"GD\d{12}", "invalid_ticket_id", "ticket id must be GD + 12 digits"
    )


def decision_number(raw: str) -> str:
    """Penalty decision number: 16 digits."""
    return _code(
        raw, r"\d{16}", "invalid_decision_number", "decision number must be 16 digits"
    )


def order_id(raw: str) -> str:
    """Payment order id: ZF + 16 digits."""
    return _code(
        raw, r"ZF\d{16}", "invalid_order_id", "order id must be ZF + 16 digits"
    )


def district(raw: str) -> city.District:
    """Resolve a district by name, short form or one of its streets (西乡 → 宝安区)."""
    text = raw.strip()
    for item in city.DISTRICTS:
        if text in (item.name, item.short):
            return item
    for item in city.DISTRICTS:
        for street in item.streets:
            if text and text in (street, street.removesuffix("街道")):
                return item
    raise Invalid("invalid_district", f"Unknown district in the sandbox city: {raw!r}.")


def exam_site(raw: str) -> city.ExamSite:
    """Resolve an exam site by name or short form."""
    text = raw.strip()
    for site in city.EXAM_SITES:
        if text == site.name or text in site.short_names:
            return site
    raise Invalid("invalid_site", f"Unknown exam site: {raw!r}.")


def station(raw: str) -> city.Station:
    """Resolve an inspection station by id or name (with or without （沙盒）)."""
    text = to_half_width(raw).strip().replace("(沙盒)", "")
    for item in city.STATIONS:
        plain = item.name.replace("（沙盒）", "")
        if text in (item.id, item.name, plain):
            return item
    raise Invalid("invalid_station", f"Unknown inspection station: {raw!r}.")


async def json_object(
    request: web.Request, *, allow_empty: bool = False
) -> dict[str, Any]:
    """Read the body as a JSON object.

    Raises:
        Invalid: ``malformed_json`` for bad UTF-8, bad JSON or a non-object.
    """
    body = await request.read()
    if not body.strip():
        if allow_empty:
            return {}
        raise Invalid("malformed_json", "A JSON object body is required.")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise Invalid("malformed_json", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise Invalid("malformed_json", "The body must be a JSON object.")
    return data


def opt_str(data: dict[str, Any], name: str, max_len: int = 200) -> str | None:
    """Optional string field; None when absent or null."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("invalid_field", f"{name} must be a string.")
    if len(value) > max_len:
        raise Invalid("invalid_field", f"{name} is longer than {max_len} characters.")
    return value


def req_str(data: dict[str, Any], name: str, max_len: int = 200) -> str:
    """Required non-empty string field."""
    value = opt_str(data, name, max_len)
    if value is None or not value.strip():
        raise Invalid("missing_field", f"{name} is required.")
    return value


def opt_int(data: dict[str, Any], name: str, lo: int, hi: int) -> int | None:
    """Optional integer field within ``[lo, hi]``; booleans are refused."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("invalid_field", f"{name} must be an integer.")
    if not lo <= value <= hi:
        raise Invalid("invalid_field", f"{name} must be between {lo} and {hi}.")
    return value


def req_int(data: dict[str, Any], name: str, lo: int, hi: int) -> int:
    """Required integer field within ``[lo, hi]``."""
    value = opt_int(data, name, lo, hi)
    if value is None:
        raise Invalid("missing_field", f"{name} is required.")
    return value


def query_str(request: web.Request, name: str, max_len: int = 100) -> str | None:
    """Optional query parameter, None when absent or empty."""
    value = request.query.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > max_len:
        raise Invalid("invalid_field", f"{name} is longer than {max_len} characters.")
    return value
