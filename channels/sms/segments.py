r"""SMS length accounting: GSM-7 vs UCS-2 encoding, segments, splitting.

A text made only of GSM 03.38 characters is sent as GSM-7: 160 septets in one
SMS, 153 per segment of a concatenated SMS (the rest of each segment holds the
UDH); the extension characters ``^{}\[~]|€`` and form feed take 2 septets. Any
other character — every Chinese one — makes the whole message UCS-2: 70 UTF-16
code units in one SMS, 67 per segment, a character outside the BMP (emoji) is 2
units. A 2-unit character is never split across two segments, so it may push
a segment boundary early (as real handsets and gateways do).
"""

from collections.abc import Callable
from enum import Enum

from channels.text_split import split_text

__all__ = [
    "SmsEncoding",
    "count_segments",
    "sms_encoding",
    "sms_length",
    "split_for_sms",
]


class SmsEncoding(str, Enum):
    """The data coding an SMS is sent with."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION
SINGLE_CAPACITY = {SmsEncoding.GSM7: 160, SmsEncoding.UCS2: 70}
PART_CAPACITY = {SmsEncoding.GSM7: 153, SmsEncoding.UCS2: 67}
DEFAULT_OVERFLOW = "…"


def sms_encoding(text: str) -> SmsEncoding:
    """GSM-7 if every character is in the GSM 03.38 tables, else UCS-2."""
    return SmsEncoding.GSM7 if _GSM7_ALL.issuperset(text) else SmsEncoding.UCS2


def _gsm_cost(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _ucs2_cost(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _cost(encoding: SmsEncoding) -> Callable[[str], int]:
    return _gsm_cost if encoding is SmsEncoding.GSM7 else _ucs2_cost


def sms_length(text: str) -> int:
    """Length in the text's own encoding: septets (GSM-7) or UTF-16 units (UCS-2)."""
    cost = _cost(sms_encoding(text))
    return sum(cost(ch) for ch in text)


def count_segments(text: str) -> int:
    """How many SMS segments (billing units) ``text`` takes; 0 for ``""``."""
    if not text:
        return 0
    encoding = sms_encoding(text)
    cost = _cost(encoding)
    if sum(cost(ch) for ch in text) <= SINGLE_CAPACITY[encoding]:
        return 1
    capacity = PART_CAPACITY[encoding]
    segments, used = 1, 0
    for ch in text:
        size = cost(ch)
        if used + size > capacity:
            segments, used = segments + 1, 0
        used += size
    return segments


def _split(text: str, encoding: SmsEncoding, reserved: int) -> list[str]:
    limit = SINGLE_CAPACITY[encoding] - reserved
    return split_text(text, limit, _cost(encoding))


def split_for_sms(
    text: str,
    max_parts: int | None,
    *,
    reserved: int = 0,
    overflow: str = DEFAULT_OVERFLOW,
) -> list[str]:
    """Split ``text`` into at most ``max_parts`` separate single-segment SMS.

    Parts end at sentence boundaries where possible (``split_text``). If more
    than ``max_parts`` would be needed, the last part is cut short and ends
    with ``overflow`` (e.g. a "details online" note).

    Args:
        text: The message; ``""`` gives no parts.
        max_parts: The most messages to send (≥ 1); ``None`` for no bound.
        reserved: Units each message must leave free, e.g. for the
            ``【签名】`` an Alibaba Cloud gateway prepends (it counts).
        overflow: Appended to the last part when text was dropped.

    Returns:
        Non-empty parts, each at most one SMS long (with ``reserved``).

    Raises:
        ValueError: If ``max_parts`` < 1 or ``reserved`` leaves no room.
    """
    if max_parts is not None and max_parts < 1:
        raise ValueError("max_parts must be at least 1")
    encoding = sms_encoding(text)
    parts = _split(text, encoding, reserved)
    if max_parts is None or len(parts) <= max_parts:
        return parts
    # The note may force UCS-2 (… is not GSM), which shrinks every part.
    encoding = sms_encoding(text + overflow)
    cost = _cost(encoding)
    room = SINGLE_CAPACITY[encoding] - reserved - sum(cost(ch) for ch in overflow)
    if room < 2:
        raise ValueError("overflow note and reserved leave no room")
    parts = _split(text, encoding, reserved)
    head = parts[: max_parts - 1]
    rest = "".join(parts[max_parts - 1 :])
    last = split_text(rest, room, cost)[0].rstrip()
    return [*head, (last or rest[:1]) + overflow]
