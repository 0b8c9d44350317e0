"""Gazetteer: longest-match lookup of known phrases (districts, sites, classes…)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Single letters are licence classes only next to a cue (考D照, 增驾A1, B照),
# otherwise every "a" in a message would be one.
_SHORT_CUES_AFTER = set("照驾证本类型")
_SHORT_CUES_BEFORE = ("考", "学", "拿", "增驾", "车型", "准驾")
_ALNUM = re.compile(r"[0-9A-Za-z]")


@dataclass(frozen=True)
class Phrase:
    """A known surface form and what it means."""

    entity: str
    value: str
    # Ambiguous phrases (一般、还行 as ratings) count only when the intent allows.
    needs_intent: tuple[str, ...] = ()


@dataclass(frozen=True)
class GazetteerMatch:
    """A phrase found in a text."""

    entity: str
    start: int
    end: int
    value: str


class Gazetteer:
    """Finds known phrases by longest match on normalised, lower-cased text."""

    def __init__(self, phrases: dict[str, Phrase]) -> None:
        """Creates a gazetteer from surface form → meaning (keys lower-cased)."""
        self.phrases = {k.lower(): v for k, v in phrases.items() if k.strip()}
        self._lengths = sorted({len(k) for k in self.phrases}, reverse=True)

    def find(
        self,
        text: str,
        intent: str | None = None,
        blocked: list[tuple[int, int]] | None = None,
    ) -> list[GazetteerMatch]:
        """Non-overlapping longest matches, left to right, outside ``blocked`` spans."""
        lowered = text.lower()
        taken = [False] * len(text)
        for start, end in blocked or []:
            for i in range(max(start, 0), min(end, len(text))):
                taken[i] = True
        matches: list[GazetteerMatch] = []
        i = 0
        while i < len(text):
            found = self._match_at(lowered, i, intent, taken)
            if found is None:
                i += 1
                continue
            phrase, length = found
            matches.append(GazetteerMatch(phrase.entity, i, i + length, phrase.value))
            i += length
        return matches

    def _match_at(
        self, text: str, i: int, intent: str | None, taken: list[bool]
    ) -> tuple[Phrase, int] | None:
        if taken[i]:
            return None
        for length in self._lengths:
            end = i + length
            if end > len(text) or any(taken[i:end]):
                continue
            phrase = self.phrases.get(text[i:end])
            if phrase is None:
                continue
            if phrase.needs_intent and intent not in phrase.needs_intent:
                continue
            if not _clean_edges(text, i, end):
                continue
            if length == 1 and _ALNUM.match(text[i]) and not _short_cue(text, i):
                continue
            return phrase, length
        return None


def _clean_edges(text: str, start: int, end: int) -> bool:
    """ASCII phrases must not be glued to other letters or digits (C1 in KC12)."""
    if _ALNUM.match(text[start]) and start > 0 and _ALNUM.match(text[start - 1]):
        return False
    return not (
        _ALNUM.match(text[end - 1]) and end < len(text) and _ALNUM.match(text[end])
    )


def _short_cue(text: str, i: int) -> bool:
    after = text[i + 1 : i + 2]
    before = text[max(0, i - 2) : i]
    return after in _SHORT_CUES_AFTER or any(
        before.endswith(c) for c in _SHORT_CUES_BEFORE
    )
