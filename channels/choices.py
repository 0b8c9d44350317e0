"""Map a citizen's answer to a numbered menu back to the choice it names.

SMS, voice and WeChat have no buttons: the gateway shows the bot's choices as a
numbered menu (``回复1：科目一``) and resolves the answer here. Accepted forms,
after full-width, traditional and case folding (``nlu.normalize``):
``1``, ``１``, ``1.``, ``1、``, ``(1)``, ``①``, ``1️⃣``, ``一``, ``幺``, ``第一个``,
``第1项``, ``选2``, ``选择第二个``, ``回复3``, ``按3``, ``10``, ``十一``, and the exact
title of a choice (``科目一``, ``c1 手动挡``). Numbers count from 1.
"""

import re
from collections.abc import Sequence

from channels.replies import Choice
from nlu.normalize import normalize_for_match

__all__ = ["choice_number", "resolve_choice"]

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ① … ⑳
_NUMBER = (
    r"[0-9]{1,2}|[①-⑳]"
    rf"|[{''.join(_CN_DIGITS)}]?十[{''.join(_CN_DIGITS)}]?|[{''.join(_CN_DIGITS)}]"
)
_ANSWER = re.compile(
    r"(?:我)?(?:要|选择?|回复|按)?\s*"
    r"[(\[【]?\s*第?\s*"
    rf"(?P<number>{_NUMBER})"
    r"\s*(?:个|项|条|号|种|位|个选项)?\s*[)\]】]?"
    r"[\s.。、,，!！~]*"
)
_TRIM = " \t.。!！?？~"


def _chinese_number(text: str) -> int | None:
    if "十" not in text:
        return _CN_DIGITS.get(text)
    tens, _, ones = text.partition("十")
    if (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
        return None
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return value if tens != "零" else None


def choice_number(text: str) -> int | None:
    """The menu number a whole answer names (``"第二个"`` → 2), or ``None``."""
    match = _ANSWER.fullmatch(normalize_for_match(text).strip())
    if match is None:
        return None
    number = match.group("number")
    if number.isascii() and number.isdigit():
        return int(number)
    if number in _CIRCLED:
        return _CIRCLED[number]
    return _chinese_number(number)


def _title_key(text: str) -> str:
    return " ".join(normalize_for_match(text).split()).strip(_TRIM).casefold()


def resolve_choice(text: str, last_choices: Sequence[Choice]) -> Choice | None:
    """The choice ``text`` selects from the last menu shown, or ``None``.

    A number selects by position (1 = first). If the answer is not a number,
    a choice whose title equals it (ignoring width, script, case, spaces and
    end punctuation) is returned. Anything else — out of range, ``0``, free
    text, an empty menu — gives ``None``, and the text goes to Rasa as typed.
    """
    if not last_choices or not text:
        return None
    number = choice_number(text)
    if number is not None:
        return last_choices[number - 1] if 1 <= number <= len(last_choices) else None
    key = _title_key(text)
    if not key:
        return None
    matches = [choice for choice in last_choices if _title_key(choice.title) == key]
    return matches[0] if len(matches) == 1 else None
