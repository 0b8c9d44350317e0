"""Find and validate formatted entities (plates, ID numbers, phones, codes) in text.

The finders work on *normalised* text (``nlu.normalize.normalize``), whose indices
are those of the original message. The ``is_*`` / ``validate_*`` helpers accept
raw values (full-width, separators) and normalise them themselves.

Decisions worth knowing:

* A format is never found inside a longer run of ASCII letters and digits: a
  19-digit number is no ID, a 17-digit run no decision number.
* Invalid ID numbers are still returned (``valid=False``) so that the assistant
  can say what is wrong: ``problem`` is ``"checksum"``, ``"birth_date"`` or
  ``"length"`` (a 14–20 character number right after 身份证/证件号 that is not
  18 long). A bare 15-digit number with a plausible YYMMDD birth date is an old
  first-generation ID, returned with ``problem="old_format"``: those cards
  stopped being valid in 2013 and no back end takes them.
* Plates containing I or O (which plates never use) are returned with
  ``problem="letter_io"``; plates need at least three digits after the letter.
"""

import re
from dataclasses import dataclass
from datetime import date

from nlu.normalize import normalize_for_match

__all__ = [
    "BOOKING_CODE",
    "DECISION_NUMBER",
    "ENGINE_SUFFIX",
    "ID_NUMBER",
    "PHONE_NUMBER",
    "PLATE_NUMBER",
    "PROVINCES",
    "TICKET_ID",
    "FormatMatch",
    "canonical_plate",
    "find_formats",
    "id_check_digit",
    "is_booking_code",
    "is_decision_number",
    "is_new_energy_plate",
    "is_ticket_id",
    "is_valid_phone",
    "validate_id_number",
]

PLATE_NUMBER = "plate_number"
ID_NUMBER = "id_number"
PHONE_NUMBER = "phone_number"
BOOKING_CODE = "booking_code"
TICKET_ID = "ticket_id"
DECISION_NUMBER = "decision_number"
ENGINE_SUFFIX = "engine_suffix"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Special plates ending in a character: consulates, driving schools, police, trailers.
_PLATE_SUFFIXES = "领学警挂"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# GB 11643-1999's own worked example (440524188001010014) was born in 1880.
_EARLIEST_BIRTH_YEAR = 1800

_B = r"(?<![A-Za-z0-9])"
_E = r"(?![A-Za-z0-9])"

_PLATE = re.compile(
    rf"[{PROVINCES}] ?[A-Za-z][·\- ]?"
    rf"(?:[A-Za-z0-9]{{6}}|[A-Za-z0-9]{{5}}|[A-Za-z0-9]{{4}}[{_PLATE_SUFFIXES}]){_E}"
    rf"|使[0-9]{{6}}{_E}"
)
_ID_18 = re.compile(
    rf"{_B}(?:[1-9][0-9]{{16}}[0-9Xx]"
    r"|[1-9][0-9]{5}([ -])[0-9]{8}\1[0-9]{3}[0-9Xx]"
    r"|[1-9][0-9]{3}([ -])[0-9]{4}\2[0-9]{4}\2[0-9]{4}\2[0-9][0-9Xx])"
    rf"{_E}"
)
_ID_15 = re.compile(rf"{_B}[1-9][0-9]{{14}}{_E}")
_ID_CUE = re.compile(r"身份证|证件号|身份号")
_ID_CUE_WINDOW = 10
_LONG_NUMBER = re.compile(rf"{_B}[0-9]{{14,20}}[Xx]?{_E}")
_PHONE = re.compile(
    r"(?<![A-Za-z0-9+])(?:(?:\+86|0086|86)[ -]?)?"
    rf"(1[3-9][0-9]([ -]?)[0-9]{{4}}\2[0-9]{{4}}){_E}"
)
_BOOKING = re.compile(rf"{_B}[Kk][Ss][0-9]{{8}}{_E}")
_TICKET = re.compile(rf"{_B}[Gg][Dd][0-9]{{12}}{_E}")
_DECISION = re.compile(rf"{_B}[0-9]{{16}}{_E}")
_ENGINE_CUE = re.compile(r"发动机|车架|VIN|识别代号|后六位|后6位", re.IGNORECASE)
_ENGINE_CUE_WINDOW = 12
# "VIN123456" is allowed although VIN and the suffix form one alphanumeric run.
_ENGINE = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=VIN))(?=[A-Za-z]{0,5}[0-9])[A-Za-z0-9]{6}"
    rf"{_E}",
    re.IGNORECASE,
)

_SEPARATORS = str.maketrans("", "", " -·")
_CANONICAL_PLATE = re.compile(
    rf"[{PROVINCES}][A-Z](?:[A-Z0-9]{{5,6}}|[A-Z0-9]{{4}}[{_PLATE_SUFFIXES}])|使[0-9]{{6}}"
)


@dataclass(frozen=True)
class FormatMatch:
    """A formatted entity found in normalised text.

    Attributes:
        entity: Entity name from the NLU contract (``plate_number``, ``id_number``…).
        start: Start index in the text (and in the original message).
        end: End index (exclusive).
        text: The span as it stands in the searched text.
        value: Canonical form: upper case, separators and phone prefixes removed.
        valid: Whether the value passes its format's checks.
        problem: Why it is not valid (``None`` when valid).
    """

    entity: str
    start: int
    end: int
    text: str
    value: str
    valid: bool
    problem: str | None


def id_check_digit(first17: str) -> str:
    """Compute the GB 11643-1999 check character for the first 17 digits.

    Raises:
        ValueError: ``first17`` is not exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("expected 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _birth_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def validate_id_number(value: str, today: date | None = None) -> str | None:
    """Check an 18-character resident ID number.

    Args:
        value: The number; spaces, hyphens, full width and a lower-case x are fine.
        today: Latest acceptable birth date (defaults to the local date).

    Returns:
        ``None`` when valid, else ``"length"`` (not 17 digits + digit/X),
        ``"birth_date"`` (no such date, before 1800 or in the future) or
        ``"checksum"`` (wrong check character).
    """
    number = normalize_for_match(value).translate(_SEPARATORS)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return "length"
    birth = _birth_date(number[6:10], number[10:12], number[12:14])
    latest = today or date.today()
    if birth is None or birth.year < _EARLIEST_BIRTH_YEAR or birth > latest:
        return "birth_date"
    if id_check_digit(number[:17]) != number[17]:
        return "checksum"
    return None


def _plate_problem(plate: str) -> str | None:
    """Return why a canonical-looking plate is impossible (``None`` if fine)."""
    if plate.startswith("使"):
        return None
    body = plate[2:]
    if sum(c.isdigit() for c in body) < 3:
        return "format"
    if len(body) == 6 and not (
        (body[0] in "DF" or body[-1] in "DF") and sum(c.isdigit() for c in body) >= 4
    ):
        return "format"
    if "I" in plate[1:] or "O" in plate[1:]:
        return "letter_io"
    return None


def canonical_plate(value: str) -> str | None:
    """Return the plate upper-cased without separators (``粤B12345``), or ``None``.

    Traditional or full-width input (粵Ｂ·１２３４５) is accepted.
    """
    plate = normalize_for_match(value).translate(_SEPARATORS)
    if not _CANONICAL_PLATE.fullmatch(plate) or _plate_problem(plate) is not None:
        return None
    return plate


def is_new_energy_plate(value: str) -> bool:
    """Tell whether the value is a valid new-energy (8-character) plate."""
    plate = canonical_plate(value)
    return plate is not None and len(plate) == 8


def _phone_digits(value: str) -> str:
    digits = normalize_for_match(value).translate(_SEPARATORS)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def is_valid_phone(value: str) -> bool:
    """Tell whether the value is a mainland mobile number (``+86``, spaces allowed)."""
    return re.fullmatch(r"1[3-9][0-9]{9}", _phone_digits(value)) is not None


def is_booking_code(value: str) -> bool:
    """Tell whether the value is an exam booking code (``KS`` + 8 digits)."""
    return re.fullmatch(r"KS[0-9]{8}", normalize_for_match(value).strip()) is not None


def is_ticket_id(value: str) -> bool:
    """Tell whether the value is a hotline ticket id (``GD`` + 12 digits)."""
    return re.fullmatch(r"GD[0-9]{12}", normalize_for_match(value).strip()) is not None


def is_decision_number(value: str) -> bool:
    """Tell whether the value is a penalty decision number (16 digits)."""
    return re.fullmatch(r"[0-9]{16}", normalize_for_match(value).strip()) is not None


def _cue_before(cue_ends: list[int], start: int, window: int) -> bool:
    return any(start - window <= end <= start for end in cue_ends)


def _match(
    entity: str, text: str, start: int, end: int, value: str, problem: str | None
) -> FormatMatch:
    return FormatMatch(
        entity, start, end, text[start:end], value, problem is None, problem
    )


def _id_matches(text: str, upper: str) -> list[FormatMatch]:
    found = [
        _match(ID_NUMBER, text, m.start(), m.end(), value, validate_id_number(value))
        for m in _ID_18.finditer(upper)
        for value in [m.group().translate(_SEPARATORS)]
    ]
    for m in _ID_15.finditer(upper):
        number = m.group()
        birth = _birth_date("19" + number[6:8], number[8:10], number[10:12])
        if birth is not None:
            found.append(
                _match(ID_NUMBER, text, m.start(), m.end(), number, "old_format")
            )
    cue_ends = [m.end() for m in _ID_CUE.finditer(text)]
    if cue_ends:
        for m in _LONG_NUMBER.finditer(upper):
            if len(m.group()) != 18 and _cue_before(
                cue_ends, m.start(), _ID_CUE_WINDOW
            ):
                found.append(
                    _match(ID_NUMBER, text, m.start(), m.end(), m.group(), "length")
                )
    return found


def _plate_matches(text: str, upper: str) -> list[FormatMatch]:
    found = []
    for m in _PLATE.finditer(upper):
        plate = m.group().translate(_SEPARATORS)
        problem = _plate_problem(plate)
        # An unusable 6-character body is a longer run, not a plate with a typo.
        if problem != "format":
            found.append(_match(PLATE_NUMBER, text, m.start(), m.end(), plate, problem))
    return found


def _simple_matches(text: str, upper: str) -> list[FormatMatch]:
    found = [
        _match(
            PHONE_NUMBER,
            text,
            m.start(),
            m.end(),
            m.group(1).translate(_SEPARATORS),
            None,
        )
        for m in _PHONE.finditer(upper)
    ]
    for entity, pattern in (
        (BOOKING_CODE, _BOOKING),
        (TICKET_ID, _TICKET),
        (DECISION_NUMBER, _DECISION),
    ):
        found += [
            _match(entity, text, m.start(), m.end(), m.group(), None)
            for m in pattern.finditer(upper)
        ]
    cue_ends = [m.end() for m in _ENGINE_CUE.finditer(upper)]
    if cue_ends:
        found += [
            _match(ENGINE_SUFFIX, text, m.start(), m.end(), m.group(), None)
            for m in _ENGINE.finditer(upper)
            if _cue_before(cue_ends, m.start(), _ENGINE_CUE_WINDOW)
        ]
    return found


# On equal spans the earlier entity wins: an ID cue beats a decision number.
_PRIORITY = {
    name: rank
    for rank, name in enumerate(
        (
            ID_NUMBER,
            PLATE_NUMBER,
            PHONE_NUMBER,
            BOOKING_CODE,
            TICKET_ID,
            DECISION_NUMBER,
            ENGINE_SUFFIX,
        )
    )
}


def find_formats(text: str) -> list[FormatMatch]:
    """Find formatted entities in normalised text.

    Args:
        text: Text already passed through ``nlu.normalize.normalize``.

    Returns:
        Non-overlapping matches sorted by start; longer spans win overlaps.
    """
    upper = normalize_for_match(text)
    candidates = (
        _id_matches(text, upper)
        + _plate_matches(text, upper)
        + _simple_matches(text, upper)
    )
    candidates.sort(key=lambda m: (m.start - m.end, _PRIORITY[m.entity], m.start))
    taken: list[FormatMatch] = []
    for candidate in candidates:
        if all(candidate.end <= t.start or t.end <= candidate.start for t in taken):
            taken.append(candidate)
    return sorted(taken, key=lambda m: m.start)
