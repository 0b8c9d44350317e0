"""Turn bot replies into text a Chinese TTS engine reads well; map DTMF keys to choices.

What is spoken, and why:

* Identifiers are masked first (``bot.privacy.scrub``, rule R9: never read a
  full ID aloud), then spelled one character at a time, separated by spaces,
  because engines read ``12345`` as "一万两千三百四十五": ``粤B12345`` →
  ``粤 B 1 2 3 4 5``. Spelled: plates, any run of 5+ digits that is not an
  amount (``12000元`` stays), codes mixing capitals and digits (``KS26120503``),
  and masked values, whose hidden middle is skipped and whose end is announced
  as 尾号: ``粤B***45`` → ``粤 B，尾号 4 5``, ``138****8000`` →
  ``1 3 8，尾号 8 0 0 0``. Digits stay Arabic (engines say 一, 二 for single
  digits); the ID check letter ``X`` is said ``叉``, as people read it; other
  letters stay Latin capitals, which engines spell in English. Group
  separators (``0755-8600 1001``) become short pauses (``，``); ISO dates
  become ``2024年12月5日``.
* Emoji and pictographs are dropped; sentences holding a URL are dropped, and
  one sentence says the links can be found online.
* The text is cut into short sentences (at most ``max_sentence_chars``), each
  ending in ``。``/``！``/``？``, so the relay can speak and be interrupted
  sentence by sentence. Keep voice replies to about two sentences per turn in
  the domain; nothing is dropped here.
* Choices are read last, as ``按1，科目一；按2，科目二。``; ``dtmf_to_choice``
  maps the keys pressed back (multi-digit entries end with ``#``).
"""

import re
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape

from bot.privacy import scrub
from channels.replies import BotReply, Choice
from channels.text_split import split_text

__all__ = [
    "LINKS_NOTE",
    "dtmf_to_choice",
    "escape_ssml",
    "speak_identifier",
    "speech_sentences",
    "speech_text",
]

# Citizen-facing text (move to the gateway's texts.py when it exists).
LINKS_NOTE = "相关链接请在网上查看。"
DEFAULT_MAX_SENTENCE_CHARS = 40

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CODE = re.compile(
    rf"(?<![A-Za-z0-9*])(?P<province>[{_PROVINCES}])?"
    r"(?P<body>[A-Za-z0-9*]+(?:[-· ][A-Za-z0-9*]+)*)"
    r"(?![A-Za-z0-9*])"
)
# A number followed by one of these is an amount or a date part, not a code.
_UNITS = re.compile(
    r"\s*(?:元|块|角|分|秒|天|年|月|日|号|点|时|个|次|万|亿|%|％|公里|米|人|辆|岁|周|项|条|名|位)"
)
_ISO_DATE = re.compile(
    r"(?<![0-9])([12][0-9]{3})[-/.]([01]?[0-9])[-/.]([0-3]?[0-9])(?![0-9])"
)
_URL = re.compile(r"(?:https?://|www\.)[!-~]+", re.IGNORECASE)
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;\n]*")
_CLAUSE_END = "，,、：:；; "
_MIN_DIGITS = 5
# Full-width digits and Latin letters (１３８, ＫＳ) are spelled like ASCII ones.
_HALF_WIDTH = {
    cp: cp - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for cp in range(lo, hi + 1)
}


def _is_pictograph(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x2600 <= cp <= 0x27BF  # misc symbols, dingbats
        or 0x2B00 <= cp <= 0x2BFF  # stars, arrows used as emoji
        or 0x1F000 <= cp <= 0x1FBFF  # emoji, pictographs, skin tones, flags
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0000 <= cp <= 0xE007F  # emoji tags
        or cp in (0x200D, 0x20E3)  # zero-width joiner, keycap
        or (unicodedata.category(ch) == "So" and cp not in (0x00B0, 0x2103))
    )


def _spell(text: str) -> str:
    """Characters one by one; ``-`` and spaces between groups become pauses."""
    groups = [g for g in re.split(r"[- ]+", text.replace("·", "")) if g]
    return "，".join(" ".join(ch.upper() for ch in group) for group in groups)


def speak_identifier(token: str) -> str:
    """Spell one identifier for TTS (``粤B12345`` → ``粤 B 1 2 3 4 5``)."""
    compact = re.sub(r"[-· ]", "", token)
    if len(compact) == 18 and compact[-1] in "Xx":
        token = token[:-1] + "叉"
    if "*" not in token:
        return _spell(token)
    head = token[: token.index("*")].rstrip("-· ")
    tail = token[token.rindex("*") + 1 :].lstrip("-· ")
    spoken = [_spell(head)] if head else []
    if tail:
        spoken.append("尾号 " + _spell(tail))
    return "，".join(spoken)


def _should_spell(match: re.Match[str], text: str) -> bool:
    body = match.group("body")
    compact = re.sub(r"[-· ]", "", body)
    digits = sum(ch.isdigit() for ch in compact)
    if match.group("province") and compact[:1].isalpha() and 5 <= len(compact) <= 8:
        return True  # a plate
    if "*" in compact:
        return True
    if _UNITS.match(text, match.end()):
        return False
    if digits >= _MIN_DIGITS:
        return True
    has_letter = any(ch.isalpha() for ch in compact)
    return has_letter and digits > 0 and compact.isupper() and len(compact) >= 4


def _spell_identifiers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if not _should_spell(match, text):
            return match.group()
        token = (match.group("province") or "") + match.group("body")
        return speak_identifier(token)

    return _CODE.sub(replace, text)


def _iso_dates(text: str) -> str:
    return _ISO_DATE.sub(
        lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text
    )


def _drop_urls(text: str) -> tuple[str, bool]:
    """Text without the sentences that hold a URL; whether there was any."""
    sentences = [m.group() for m in _SENTENCE.finditer(text)]
    kept = [sentence for sentence in sentences if not _URL.search(sentence)]
    return "".join(kept), len(kept) != len(sentences)


def _clean(text: str) -> tuple[str, bool]:
    text, had_urls = _drop_urls(scrub(text).translate(_HALF_WIDTH))
    text = "".join(ch for ch in text if not _is_pictograph(ch))
    return _spell_identifiers(_iso_dates(text)), had_urls


def _end(sentence: str) -> str:
    sentence = sentence.strip().rstrip(_CLAUSE_END)
    if not sentence:
        return ""
    if sentence[-1] in "。！？":
        return sentence
    if sentence[-1] in "!?":
        return sentence[:-1] + {"!": "！", "?": "？"}[sentence[-1]]
    return sentence + "。"


def _sentences(text: str, max_chars: int) -> list[str]:
    result: list[str] = []
    for match in _SENTENCE.finditer(text):
        for part in split_text(match.group().strip(), max_chars):
            ended = _end(part)
            if ended and any(ch.isalnum() for ch in ended):
                result.append(ended)
    return result


def _menu(choices: Sequence[Choice]) -> str:
    items = []
    for number, choice in enumerate(choices, start=1):
        title, _ = _clean(choice.title)
        items.append(f"按{number}，{title.strip()}")
    return "；".join(items) + "。"


def speech_sentences(
    replies: Sequence[BotReply],
    *,
    max_sentence_chars: int = DEFAULT_MAX_SENTENCE_CHARS,
) -> list[str]:
    """The turn's replies as short spoken sentences, menu last."""
    sentences: list[str] = []
    choices: list[Choice] = []
    had_links = False
    for reply in replies:
        text, had_urls = _clean(reply.text)
        sentences += _sentences(text, max_sentence_chars)
        had_links = had_links or had_urls or bool(reply.links)
        choices += reply.choices
    if had_links:
        sentences.append(LINKS_NOTE)
    if choices:
        sentences.append(_menu(choices))
    return sentences


def speech_text(
    replies: Sequence[BotReply],
    *,
    max_sentence_chars: int = DEFAULT_MAX_SENTENCE_CHARS,
) -> str:
    """The text for the voice relay to speak for one turn (``""`` if nothing)."""
    return "".join(speech_sentences(replies, max_sentence_chars=max_sentence_chars))


def escape_ssml(text: str) -> str:
    """Escape text for an SSML ``<speak>`` element (drops XML-illegal characters)."""
    legal = "".join(
        ch
        for ch in text
        if ch in "\t\n\r" or (ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF)
    )
    return escape(legal, {'"': "&quot;", "'": "&apos;"})


def dtmf_to_choice(digits: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice the keys pressed select (``"2"`` or ``"12#"``), or ``None``."""
    keys = digits.strip().removesuffix("#")
    if not keys or len(keys) > 2 or not (keys.isascii() and keys.isdigit()):
        return None
    number = int(keys)
    return choices[number - 1] if 1 <= number <= len(choices) else None
