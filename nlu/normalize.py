"""Length-preserving normalisation of citizen text (widths, script, spaces, ASR digits).

Every function here keeps ``len(result) == len(text)`` so that spans found on the
normalised text index the citizen's original text 1:1. The per-character table is
built lazily, one character at a time, and cached.
"""

import re
import unicodedata
from functools import cache
from typing import Any

__all__ = [
    "decode_lenient",
    "is_meaningless",
    "normalize",
    "normalize_for_match",
]

PLATE_SEPARATOR = "·"

# Dots people (and input methods) put inside plates: 粤B•12345, 粤B・12345.
_PLATE_DOTS = frozenset("\u00b7\u0387\u2022\u2027\u2219\u22c5\u2e31\u30fb\uff65")
# Hyphen look-alikes, so 138–0013–8000 reads like 138-0013-8000. The em dash
# (——, Chinese punctuation) is kept on purpose.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2212\ufe63")

# Blocks turned into spaces whatever their category in the running Unicode
# database: Python 3.10 and 3.11 ship different versions, and both environments
# must normalise alike (a new emoji is "Cn" in one and "So" in the other).
_SPACE_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x20D0, 0x20FF),  # combining marks for symbols (keycap U+20E3)
    (0x2600, 0x27BF),  # misc symbols, dingbats
    (0xFE00, 0xFE0F),  # variation selectors
    (0x1F000, 0x1FBFF),  # emoji, pictographs, skin tones, regional indicators
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement
)
# Symbols ("So") that carry meaning in Chinese text and are kept: °, ℃, №, 〒,
# enclosed CJK (㈠), ㎡, CJK strokes and radicals.
_KEEP_SYMBOL_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x00B0, 0x00B0),
    (0x2100, 0x214F),
    (0x2E80, 0x2FFF),
    (0x3000, 0x303F),
    (0x31C0, 0x31EF),
    (0x3200, 0x33FF),
)
# Where traditional→simplified conversion (and NFKC for compatibility and
# Kangxi-radical code points, e.g. ⾦ → 金) is tried.
_CJK_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
_NFKC_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
# A cap on the lazily grown table: a flood of distinct characters must not
# grow memory without bound.
_MAX_TABLE_SIZE = 1 << 16

_CN_DIGIT_VALUES = {
    "零": "0",
    "〇": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_CN_DIGITS = "".join(_CN_DIGIT_VALUES)
_HAS_CN_DIGIT = re.compile(f"[{_CN_DIGITS}]")
# A spoken number: digits (Chinese or ASCII), groups joined by one space or hyphen
# as ASR engines and people pause (幺三八 零零幺三 八零零零).
_DIGIT_CHAIN = re.compile(f"[0-9{_CN_DIGITS}]+(?:[ -][0-9{_CN_DIGITS}]+)*")
_MIN_CHAIN_DIGITS = 5
# At least three spoken digits, so that 13800138000一下 keeps its 一下.
_MIN_CN_DIGITS = 3
# 周一二三四五 lists weekdays; it is not a number.
_WEEKDAY_PREFIXES = ("周", "星期", "礼拜")


def _in_blocks(cp: int, blocks: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in blocks)


@cache
def _t2s() -> Any:
    # Imported here so that importing this module stays free of work.
    import opencc

    return opencc.OpenCC("t2s")


# Star emoji and symbols are how citizens rate (⭐⭐⭐⭐⭐): they become one star
# symbol instead of a space, so that ratings survive normalisation.
STAR = "★"
_STARS = frozenset("★☆⭐🌟✩✪✫✬✭✮✯✰")


def _map_once(ch: str) -> str:
    """Map one character by the first rule that applies (or return it unchanged)."""
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF or ch.isspace():
        return " "
    if 0xFF01 <= cp <= 0xFF5E:
        return chr(cp - 0xFEE0)
    if ch in _STARS:
        return STAR
    if ch in _PLATE_DOTS:
        return PLATE_SEPARATOR
    if ch in _DASHES:
        return "-"
    category = unicodedata.category(ch)
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    if category in ("Cc", "Cf") or _in_blocks(cp, _SPACE_BLOCKS):
        return " "
    if category == "So" and not _in_blocks(cp, _KEEP_SYMBOL_BLOCKS):
        return " "
    if _in_blocks(cp, _CJK_BLOCKS):
        if _in_blocks(cp, _NFKC_BLOCKS):
            folded = unicodedata.normalize("NFKC", ch)
            ch = folded if len(folded) == 1 else ch
        simplified = _t2s().convert(ch)
        # Rare characters whose simplified form lies outside the BMP (嗰 → 𠮶)
        # stay: few fonts, input methods or dictionaries know those forms.
        if len(simplified) != 1 or (ord(simplified) > 0xFFFF >= ord(ch)):
            return ch
        return simplified
    return ch


def _map_char(ch: str) -> str:
    # Apply the rules until nothing changes, so that normalize() is idempotent
    # even if one rule's output is another rule's input.
    for _ in range(4):
        mapped = _map_once(ch)
        if mapped == ch:
            break
        ch = mapped
    return ch


class _CharTable(dict[int, str]):
    """A ``str.translate`` table that computes and caches each character's mapping."""

    def __missing__(self, cp: int) -> str:
        if len(self) >= _MAX_TABLE_SIZE:
            self.clear()
        mapped = _map_char(chr(cp))
        self[cp] = mapped
        return mapped


_TABLE = _CharTable()


def _spoken_digits(text: str) -> str:
    if not _HAS_CN_DIGIT.search(text):
        return text
    parts: list[str] = []
    last = 0
    for match in _DIGIT_CHAIN.finditer(text):
        chain = match.group()
        cn_count = sum(1 for c in chain if c in _CN_DIGIT_VALUES)
        digit_count = sum(1 for c in chain if c not in " -")
        if cn_count < _MIN_CN_DIGITS or digit_count < _MIN_CHAIN_DIGITS:
            continue
        if text.endswith(_WEEKDAY_PREFIXES, 0, match.start()):
            continue
        parts.append(text[last : match.start()])
        parts.append("".join(_CN_DIGIT_VALUES.get(c, c) for c in chain))
        last = match.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def normalize(text: str) -> str:
    """Normalise citizen text without changing its length.

    Per character: full-width ASCII → ASCII, any decimal digit → ASCII digit,
    traditional → simplified (OpenCC ``t2s`` applied to the single character;
    kept when that would change the length), plate dots → ``·``, hyphen
    look-alikes → ``-``; whitespace, control and format characters (zero-width,
    bidi marks, NUL), lone surrogates, variation selectors and emoji → space.
    Then runs of at least five spoken digits with at least three Chinese ones
    (四四零三零五幺九九零, 幺三八 零零幺三 八零零零) become ASCII digits. Case is kept.

    Args:
        text: Any string, including lone surrogates.

    Returns:
        The normalised string, ``len(result) == len(text)``; idempotent.
    """
    return _spoken_digits(text.translate(_TABLE))


def normalize_for_match(text: str) -> str:
    """Return ``normalize(text)`` upper-cased, still length-preserving (for codes, plates)."""
    normalized = normalize(text)
    upper = normalized.upper()
    if len(upper) == len(normalized):
        return upper
    # ß → SS and a few ligatures grow when upper-cased: keep those as written.
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in normalized)


def decode_lenient(data: bytes) -> str:
    """Decode channel bytes as UTF-8, replacing invalid bytes; drop NULs and a BOM."""
    text = data.decode("utf-8", errors="replace").replace("\x00", "")
    return text.removeprefix("\ufeff")


def is_meaningless(text: str) -> bool:
    """Tell whether a message holds no letter or number (empty, spaces, punctuation, emoji)."""
    return not any(unicodedata.category(c)[0] in "LN" for c in normalize(text))
