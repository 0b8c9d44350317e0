"""Synthetic stand-ins for masked personal values (rule R6), deterministic per seed.

Retraining must see real shapes — an ID number with a valid GB 11643 check
character, an 11-digit mobile number, a plate of a real province format —
never the stars of the log. Only the parts a mask leaves visible that say
nothing about a person are kept (the province and letter of a plate, the
region prefix of an ID number, the carrier prefix of a mobile number, the
issuing office of a decision number); everything else is drawn at random
from a generator seeded by the annotation, so an export is reproducible and
keeps no mapping to the real value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re

from nlu.formats import PROVINCES, id_check_digit
from review.queue.masked import Kind

# Plates never use I or O (mistaken for 1 and 0).
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "0123456789"
_PHONE_PREFIXES = ("135", "138", "139", "150", "158", "186", "188", "199")
_GIVEN_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
_EARLIEST_BIRTH = dt.date(1950, 1, 1)
_BIRTH_SPAN_DAYS = (dt.date(2005, 12, 31) - _EARLIEST_BIRTH).days


def generator(*seed: object) -> random.Random:
    """A random generator fixed by ``seed`` (same seed, same stand-ins)."""
    digest = hashlib.sha256(repr(seed).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(n))


def id_number(rng: random.Random, visible: str = "") -> str:
    """An 18-character ID with a valid birth date and check character."""
    region = visible[:4] if re.fullmatch(r"[1-9][0-9]{3}", visible[:4]) else "4403"
    region += f"{rng.randint(1, 9):02d}"
    birth = _EARLIEST_BIRTH + dt.timedelta(days=rng.randint(0, _BIRTH_SPAN_DAYS))
    first17 = region + birth.strftime("%Y%m%d") + _digits(rng, 3)
    return first17 + id_check_digit(first17)


def phone_number(rng: random.Random, visible: str = "") -> str:
    """An 11-digit mainland mobile number (1[3-9]…)."""
    prefix = visible[:3] if re.fullmatch(r"1[3-9][0-9]", visible[:3]) else None
    return (prefix or rng.choice(_PHONE_PREFIXES)) + _digits(rng, 8)


def plate_number(
    rng: random.Random, visible: str = "", new_energy: bool = False
) -> str:
    """A plate: province + letter, then 5 characters (6 for new energy)."""
    head = visible[:2]
    if not (len(head) == 2 and head[0] in PROVINCES and head[1] in _PLATE_LETTERS):
        head = "粤B"
    if new_energy:
        # Small new-energy cars: D/F + 5; large ones: 5 digits + D/F.
        if rng.random() < 0.5:
            return head + rng.choice("DF") + _digits(rng, 5)
        return head + _digits(rng, 5) + rng.choice("DF")
    body = list(_digits(rng, 5))
    for position in rng.sample(range(5), rng.randint(0, 2)):
        body[position] = rng.choice(_PLATE_LETTERS)
    return head + "".join(body)


def decision_number(rng: random.Random, visible: str = "") -> str:
    """A 16-digit penalty decision number (the issuing office kept)."""
    office = visible[:6] if re.fullmatch(r"[0-9]{6}", visible[:6]) else "440305"
    return office + _digits(rng, 10)


def booking_code(rng: random.Random) -> str:
    """``KS`` + 8 digits."""
    return "KS" + _digits(rng, 8)


def ticket_id(rng: random.Random) -> str:
    """``GD`` + 12 digits."""
    return "GD" + _digits(rng, 12)


def engine_suffix(rng: random.Random) -> str:
    """Six letters and digits, at least one digit."""
    chars = [rng.choice(_PLATE_LETTERS + _DIGITS * 2) for _ in range(5)]
    chars.insert(rng.randint(0, 5), rng.choice(_DIGITS))
    return "".join(chars)


def stand_in(kind: Kind, masked: str, rng: random.Random) -> str:
    """A value of ``kind`` for the masked value ``masked`` (compact form).

    Names and shapeless numbers keep their visible characters and get their
    stars filled (a given-name character, a digit).
    """
    if kind is Kind.ID_NUMBER:
        return id_number(rng, masked)
    if kind is Kind.PHONE_NUMBER:
        return phone_number(rng, masked)
    if kind is Kind.PLATE_NUMBER:
        return plate_number(rng, masked, new_energy=len(masked) == 8)
    if kind is Kind.DECISION_NUMBER:
        return decision_number(rng, masked)
    if kind is Kind.BOOKING_CODE:
        return booking_code(rng)
    if kind is Kind.TICKET_ID:
        return ticket_id(rng)
    if kind is Kind.ENGINE_SUFFIX:
        return engine_suffix(rng)
    fill = _GIVEN_NAMES if kind is Kind.NAME else _DIGITS
    return "".join(rng.choice(fill) if c == "*" else c for c in masked)
