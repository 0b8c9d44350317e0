"""Masking of personal identifiers (rule R3): single values and free text.

The ``mask_*`` functions take one value and return its canonical mask
(``4403**********123X``, ``138****8000``, ``粤B***45``). ``scrub`` masks every
identifier inside free text in place: it finds them on a normalised copy (so
full-width, traditional, spaced, hyphenated and spoken-digit forms are caught)
and replaces characters at the same positions of the original with ``*``. All
functions are idempotent.
"""

import re

from nlu.formats import (
    BOOKING_CODE,
    DECISION_NUMBER,
    ID_NUMBER,
    PHONE_NUMBER,
    PLATE_NUMBER,
    TICKET_ID,
    find_formats,
)
from nlu.normalize import normalize_for_match

__all__ = [
    "mask_code",
    "mask_decision_number",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_plate",
    "scrub",
]

MASK = "*"
_SEPARATORS = str.maketrans("", "", " -·")
_PHONE_PREFIXES = ("+86", "0086", "86")
# Digit groups joined by single spaces or hyphens: 138 0013 8000, 4403-0519-….
_CHAIN = re.compile(r"[0-9]+(?:[ -][0-9]+)+X?")
_GROUP = re.compile(r"[0-9]+X?")
# Any long digit run is masked whatever it is: no 11-digit mobile number and no
# 17 digits + check character may survive (scenario 52's log grep).
_LONG_RUN = re.compile(r"[0-9]{11,}X?")
_MAX_ID_DIGITS = 18
_MAX_PASSES = 4


def _compact(value: str) -> str:
    return normalize_for_match(value).translate(_SEPARATORS)


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, star the middle."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """Mask an ID number: first 4 + stars + last 4 (``4403**********123X``)."""
    return _keep_ends(_compact(value), 4, 4)


def mask_phone(value: str) -> str:
    """Mask a mobile number, dropping ``+86`` and separators (``138****8000``)."""
    digits = _compact(value)
    for prefix in _PHONE_PREFIXES:
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return _keep_ends(digits, 3, 4)


def mask_plate(value: str) -> str:
    """Mask a plate: province, letter and the last 2 kept (``粤B***45``, ``粤B****45``)."""
    return _keep_ends(_compact(value), 2, 2)


def mask_decision_number(value: str) -> str:
    """Mask a decision number: first 6 + ``******`` + last 4."""
    return _keep_ends(_compact(value), 6, 4)


def mask_code(value: str) -> str:
    """Mask a booking code or ticket id: prefix + stars + last 4 (``KS****0503``)."""
    code = _compact(value)
    prefix = re.match(r"[A-Z]*", code)
    head = prefix.end() if prefix else 0
    return code[:head] + _keep_ends(code[head:], 0, 4)


def mask_name(value: str) -> str:
    """Mask a personal name: ``张*`` for two characters, ``张*丰`` for longer ones."""
    name = value.strip()
    if len(name) <= 2:
        return name[:1] + MASK * (len(name) - 1)
    return _keep_ends(name, 1, 1)


def _hide(hidden: set[int], positions: list[int], head: int, tail: int) -> None:
    hidden.update(positions[head : max(head, len(positions) - tail)])


def _hide_phone(hidden: set[int], digits: list[int]) -> None:
    national = digits[-11:]
    hidden.update(national[3:7])


def _hide_formats(copy: str, hidden: set[int]) -> list[range]:
    """Mask the formats found in ``copy``; return the spans masked."""
    masked: list[range] = []
    for match in find_formats(copy):
        span = range(match.start, match.end)
        digits = [i for i in span if copy[i].isdigit()]
        if match.entity == ID_NUMBER:
            _hide(hidden, [i for i in span if copy[i] not in " -"], 4, 4)
        elif match.entity == PHONE_NUMBER:
            _hide_phone(hidden, digits)
        elif match.entity == PLATE_NUMBER:
            _hide(hidden, [i for i in span if copy[i] not in " -·"], 2, 2)
        elif match.entity == DECISION_NUMBER:
            _hide(hidden, digits, 6, 4)
        elif match.entity in (BOOKING_CODE, TICKET_ID):
            _hide(hidden, digits, 0, 4)
        else:
            continue
        masked.append(span)
    return masked


def _looks_like_id(number: str) -> bool:
    """Tell whether 15 or 17–18 characters carry a plausible birth date."""
    if len(number) == 15:
        month, day = number[8:10], number[10:12]
    elif len(number) == _MAX_ID_DIGITS:
        year, month, day = number[6:10], number[10:12], number[12:14]
        if not "1800" <= year <= "2099":
            return False
    else:
        return False
    return "01" <= month <= "12" and "01" <= day <= "31"


def _hide_chains(copy: str, hidden: set[int]) -> None:
    """Mask phones and ID numbers written in groups (138 0013 8000)."""
    for chain in _CHAIN.finditer(copy):
        groups = [
            list(range(chain.start() + g.start(), chain.start() + g.end()))
            for g in _GROUP.finditer(chain.group())
        ]
        for first in range(len(groups)):
            positions: list[int] = []
            for group in groups[first:]:
                positions += group
                if len(positions) > _MAX_ID_DIGITS:
                    break
                number = "".join(copy[i] for i in positions)
                if len(positions) == 11 and re.fullmatch(r"1[3-9][0-9]{9}", number):
                    _hide_phone(hidden, positions)
                elif _looks_like_id(number):
                    _hide(hidden, positions, 4, 4)


def _hide_long_runs(copy: str, hidden: set[int], masked: list[range]) -> None:
    for run in _LONG_RUN.finditer(copy):
        if any(run.start() in span and run.end() - 1 in span for span in masked):
            continue  # already masked by its own rule (decision number: 6 + 4)
        positions = list(range(run.start(), run.end()))
        _hide(hidden, positions, 3 if len(positions) < 15 else 4, 4)


def _scrub_once(text: str) -> str:
    # Stars read as digits, so that masked values are found again at the same
    # places (and still block longer matches) when scrubbed text is scrubbed.
    copy = normalize_for_match(text.replace(MASK, "0")).replace(MASK, "0")
    hidden: set[int] = set()
    masked = _hide_formats(copy, hidden)
    _hide_chains(copy, hidden)
    _hide_long_runs(copy, hidden, masked)
    if not hidden:
        return text
    chars = list(text)
    for index in hidden:
        chars[index] = MASK
    return "".join(chars)


def scrub(text: str) -> str:
    """Mask every ID, phone, plate, decision number, booking code and ticket id in text.

    Also masks spaced, hyphenated, full-width and spoken-digit forms, 15–18 digit
    runs that look like ID numbers whatever their check digit, and any run of 11
    or more digits. The result has the same length as ``text``.

    Args:
        text: Free text (a message, a log line).

    Returns:
        The text with identifier characters replaced by ``*``; ``scrub`` of the
        result returns it unchanged.
    """
    for _ in range(_MAX_PASSES):
        masked = _scrub_once(text)
        if masked == text:
            break
        text = masked
    return text
