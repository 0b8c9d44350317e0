"""Masked values in logged text: where they are and what kind of identifier each was.

The log keeps identifiers masked in place (``4403**********123X``,
``138****8000``, ``粤B***45``, ``KS****0503``). Grouping reads every masked
run as one placeholder of its kind, validation refuses entity spans made of
masked characters unless they are personal entities, and the export swaps
each run for a synthetic stand-in of the same kind. Pure functions; indices
are those of the original text (the normalisation used keeps lengths).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from nlu.formats import PROVINCES
from nlu.normalize import normalize_for_match

MASK = "*"
_SEPARATORS = " -·"


class Kind(str, Enum):
    """What a masked run was; the values are the contract's entity names."""

    ID_NUMBER = "id_number"
    PHONE_NUMBER = "phone_number"
    PLATE_NUMBER = "plate_number"
    DECISION_NUMBER = "decision_number"
    BOOKING_CODE = "booking_code"
    TICKET_ID = "ticket_id"
    ENGINE_SUFFIX = "engine_suffix"
    NAME = "name"
    NUMBER = "number"  # masked digits of no recognisable shape


# Entity types whose values are personal (rule R1): the only ones a span made of
# masked characters may carry, and the ones the export replaces by stand-ins.
PERSONAL_ENTITIES = frozenset(
    {
        Kind.ID_NUMBER.value,
        Kind.PHONE_NUMBER.value,
        Kind.PLATE_NUMBER.value,
        Kind.DECISION_NUMBER.value,
        Kind.BOOKING_CODE.value,
        Kind.TICKET_ID.value,
        Kind.ENGINE_SUFFIX.value,
    }
)

_RUN = re.compile(
    # Plates: province, letter, optional dot, then 5-6 characters.
    rf"[{PROVINCES}][A-Z][·\- ]?[A-Z0-9*]{{4,7}}"
    # Booking codes and ticket ids keep their letter prefix.
    r"|(?:KS|GD)[0-9*]{4,14}"
    # Numbers, possibly written in groups (138 **** 8000), possibly ending in X.
    r"|[0-9*](?:[ \-]?[0-9*])*X?"
    # Anything else with stars in it (a name's 张*三 keeps the star alone).
    r"|[A-Z0-9*]+"
)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class MaskedRun:
    """One masked value: ``text[start:end]`` holds at least one ``*``."""

    start: int
    end: int
    text: str
    kind: Kind

    @property
    def compact(self) -> str:
        """The run without separators, upper-cased and half-width."""
        return "".join(
            c for c in normalize_for_match(self.text) if c not in _SEPARATORS
        )


def classify(compact: str, before: str = "") -> Kind:
    """The kind of a masked run from its shape (``compact``: no separators).

    ``before`` is the text before it: one or two stars after a Chinese
    character are the rest of a masked name.
    """
    if compact[:1] in PROVINCES and len(compact) in (7, 8):
        return Kind.PLATE_NUMBER
    if compact.startswith("KS"):
        return Kind.BOOKING_CODE
    if compact.startswith("GD"):
        return Kind.TICKET_ID
    if set(compact) == {MASK}:
        if len(compact) == 6:
            return Kind.ENGINE_SUFFIX
        # Names keep their first (and last) character: 张*, 张*三.
        if len(compact) <= 2 and _CJK.match(before[-1:] or " "):
            return Kind.NAME
        return Kind.NUMBER
    if re.fullmatch(r"[0-9*]{17}[0-9X*]|[0-9*]{15}", compact):
        return Kind.ID_NUMBER
    if len(compact) == 11 and compact.startswith("1"):
        return Kind.PHONE_NUMBER
    if len(compact) == 16:
        return Kind.DECISION_NUMBER
    return Kind.NUMBER


def masked_runs(text: str) -> list[MaskedRun]:
    """Every masked value in ``text``, left to right."""
    copy = normalize_for_match(text)
    runs: list[MaskedRun] = []
    for match in _RUN.finditer(copy):
        if MASK not in match.group():
            continue
        start, end = match.span()
        while end > start and copy[end - 1] in _SEPARATORS:
            end -= 1
        compact = "".join(c for c in copy[start:end] if c not in _SEPARATORS)
        kind = classify(compact, text[:start])
        runs.append(MaskedRun(start, end, text[start:end], kind))
    return runs


def only_masked(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies inside masked runs and holds a star."""
    if MASK not in text[start:end]:
        return False
    covered: set[int] = set()
    for run in masked_runs(text):
        covered.update(range(run.start, run.end))
    return all(i in covered or text[i] in _SEPARATORS for i in range(start, end))


def cuts_through(text: str, start: int, end: int) -> MaskedRun | None:
    """A masked run that ``[start, end)`` covers only partly, if any."""
    for run in masked_runs(text):
        overlaps = start < run.end and run.start < end
        inside = start <= run.start and run.end <= end
        if overlaps and not inside:
            return run
    return None
