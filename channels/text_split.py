"""Split long text into ordered parts that each fit a channel's length limit.

Limits are measured in the unit the channel counts: characters, UTF-8 bytes
(WeChat's 2048-byte passive text reply) or UTF-16 code units (Telegram's 4096,
SMS UCS-2), or any additive per-character cost (SMS GSM-7 septets).

Each cut is chosen, in order of preference, after a paragraph break, after a
sentence end (``。！？；`` or a line break), after a clause mark (``，、``), at
a space, and only then anywhere. A preferred boundary is taken only if the
part it ends fills at least half of what would fit, so that one early full
stop does not produce a tiny part. Boundaries are moved past closing quotes and
brackets and past following whitespace, so that a part never begins with
``”`` or a blank.

Guarantees: ``"".join(parts) == text``; every part is non-empty and within
the limit; no cut falls inside a URL (unless one URL alone is longer than the
limit), between the halves of a surrogate pair, or, unless a grapheme (or
text glued by a joiner) is longer than the limit, before a combining mark,
variation selector, emoji modifier or zero-width joiner. When both cannot
hold, URLs are kept whole before graphemes.
"""

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from enum import Enum
from itertools import accumulate

__all__ = ["Unit", "measure", "split_text"]


class Unit(str, Enum):
    """The unit a channel measures text length in."""

    CHARS = "chars"
    UTF8 = "utf8"
    UTF16 = "utf16"


CharCost = Callable[[str], int]
"""Cost of one character (code point) in a channel's unit; must be ≥ 1."""

_INLINE_SPACES = frozenset(" \t\u3000")
_SENTENCE_ENDS = frozenset("。！？；!?;\n")
_CLAUSE_MARKS = frozenset("，、,：")
# Closing punctuation that belongs to the sentence before the cut.
# ASCII quotes are left out: they open a quotation as often as they close one.
_CLOSERS = frozenset("”’」』）)】》〉]")
# URLs as they appear in Chinese replies: ASCII only, often followed directly by
# Chinese text or full-width punctuation (详见https://example.cn。).
_URL = re.compile(r"(?:https?://|www\.)[!-~]+", re.IGNORECASE)
_URL_TRAILERS = ".,;:!?)]}'\""
_MIN_FILL = 0.5


def _utf8_cost(ch: str) -> int:
    cp = ord(ch)
    if cp < 0x80:
        return 1
    if cp < 0x800:
        return 2
    # Lone surrogates are counted as their 3-byte "surrogatepass" encoding.
    return 3 if cp < 0x10000 else 4


def _utf16_cost(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _char_cost(ch: str) -> int:
    return 1


_UNIT_COSTS: dict[Unit, CharCost] = {
    Unit.CHARS: _char_cost,
    Unit.UTF8: _utf8_cost,
    Unit.UTF16: _utf16_cost,
}


def _cost_function(unit: Unit | CharCost) -> CharCost:
    return _UNIT_COSTS[unit] if isinstance(unit, Unit) else unit


def measure(text: str, unit: Unit | CharCost = Unit.CHARS) -> int:
    """Length of ``text`` in ``unit`` (lone surrogates count as in UTF-16/CESU)."""
    cost = _cost_function(unit)
    return sum(cost(ch) for ch in text)


def _is_extender(ch: str) -> bool:
    """Whether ``ch`` continues the grapheme before it (a cut before it is bad)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or cp == 0x200D  # zero-width joiner
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences (flags)
    )


def _is_high(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDBFF


def _is_low(ch: str) -> bool:
    return 0xDC00 <= ord(ch) <= 0xDFFF


def _splits_pair(text: str, cut: int) -> bool:
    return 0 < cut < len(text) and _is_high(text[cut - 1]) and _is_low(text[cut])


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _url_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(_URL_TRAILERS)
        spans.append((match.start(), match.start() + len(url)))
    return spans


def _grapheme_blocked_cuts(text: str) -> bytearray:
    """``blocked[i]`` is 1 if a cut before ``text[i]`` would break a grapheme."""
    blocked = bytearray(len(text) + 1)
    regional_run = 0  # regional indicators just before i: odd = inside a flag
    for i in range(1, len(text)):
        ch = text[i]
        regional_run = regional_run + 1 if _is_regional(text[i - 1]) else 0
        if (
            _is_extender(ch)
            or text[i - 1] == "\u200d"
            or _splits_pair(text, i)
            or (regional_run % 2 == 1 and _is_regional(ch))
        ):
            blocked[i] = 1
    return blocked


def _url_blocked_cuts(text: str) -> bytearray:
    """``blocked[i]`` is 1 if a cut before ``text[i]`` falls inside a URL."""
    blocked = bytearray(len(text) + 1)
    for start, end in _url_spans(text):
        blocked[start + 1 : end] = b"\x01" * max(0, end - start - 1)
    return blocked


class _Splitter:
    """Cut selection over one text (precomputed blocked positions)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.in_url = _url_blocked_cuts(text)
        self.in_grapheme = _grapheme_blocked_cuts(text)
        self.blocked = bytes(
            a | b for a, b in zip(self.in_url, self.in_grapheme, strict=True)
        )

    def _extend(self, cut: int, end: int) -> int:
        """Move a boundary past closing punctuation, then past whitespace."""
        text = self.text
        while cut < end and text[cut] in _CLOSERS:
            cut += 1
        while cut < end and text[cut].isspace():
            cut += 1
        return cut

    def _ends_paragraph(self, start: int, cut: int) -> bool:
        text = self.text
        if text[cut - 1] != "\n":
            return False
        i = cut - 2
        while i >= start and text[i] in _INLINE_SPACES:
            i -= 1
        return i >= start and text[i] == "\n"

    def _last_boundary(
        self, start: int, end: int, is_boundary: Callable[[int], bool]
    ) -> int | None:
        """The furthest allowed cut in the upper half of ``(start, end]``."""
        floor = start + max(1, int((end - start) * _MIN_FILL))
        for cut in range(end, floor - 1, -1):
            if is_boundary(cut):
                cut = self._extend(cut, end)
                if not self.blocked[cut]:
                    return cut
        return None

    def _hard_cut(self, start: int, end: int) -> int:
        """The furthest safe cut at or before ``end``, with fallbacks."""
        for cut in range(end, start, -1):
            if not self.blocked[cut]:
                return cut
        # No cut keeps both URLs and graphemes whole (a grapheme longer than
        # the limit, or URLs glued by a joiner): a broken joiner sequence still
        # reads, a broken link does not, so keep URLs whole first.
        for cut in range(end, start, -1):
            if not self.in_url[cut] and not _splits_pair(self.text, cut):
                return cut
        # One URL is longer than the limit: cut it, but never inside a
        # surrogate pair (the limit holds any single code point).
        for cut in range(end, start, -1):
            if not _splits_pair(self.text, cut):
                return cut
        return end

    def choose_cut(self, start: int, end: int) -> int:
        """Where the part beginning at ``start`` and fitting up to ``end`` ends."""
        text = self.text
        levels: tuple[Callable[[int], bool], ...] = (
            lambda cut: self._ends_paragraph(start, cut),
            lambda cut: text[cut - 1] in _SENTENCE_ENDS,
            lambda cut: text[cut - 1] in _CLAUSE_MARKS,
            lambda cut: text[cut - 1].isspace(),
        )
        for is_boundary in levels:
            cut = self._last_boundary(start, end, is_boundary)
            if cut is not None:
                return cut
        return self._hard_cut(start, end)


def split_text(text: str, limit: int, unit: Unit | CharCost = Unit.CHARS) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (in ``unit``) each.

    Args:
        text: The text to split; an empty text gives no parts.
        limit: The largest size of one part; it must hold any single
            character (≥ 4 for UTF-8, ≥ 2 for UTF-16, ≥ the costliest
            character for a custom cost).
        unit: A ``Unit`` or a per-character cost function.

    Returns:
        Non-empty parts, in order, that concatenate to ``text``.

    Raises:
        ValueError: If one character of ``text`` does not fit in ``limit``.
    """
    if not text:
        return []
    cost = _cost_function(unit)
    prefix = [0, *accumulate(cost(ch) for ch in text)]
    if prefix[-1] <= limit:
        return [text]
    splitter = _Splitter(text)
    parts: list[str] = []
    start = 0
    while start < len(text):
        # The largest end with prefix[end] - prefix[start] <= limit.
        end = bisect_right(prefix, prefix[start] + limit) - 1
        if end <= start:
            raise ValueError(f"character {text[start]!r} does not fit in {limit}")
        cut = len(text) if end >= len(text) else splitter.choose_cut(start, end)
        parts.append(text[start:cut])
        start = cut
    return parts
