"""Made-up but valid identities for simulated citizens: ID numbers, phones, plates.

Every number is derived from a counter, so two conversations of one run never
share an identity, and the last digits (what a masked echo shows) differ too:
a reply that names someone else's masked ID or phone is then visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from nlu.formats import id_check_digit

# Learners born from 2003 on: younger than every seeded licence holder and
# seeded learner, so no generated ID collides with the seed world.
_FIRST_BIRTHDAY = date(2003, 1, 1)
_PHONE_PREFIX = "1357"  # no seeded ticket or office uses it
_PLATE_PREFIX = "粤B7"  # no seeded vehicle starts with it


def learner_id(n: int) -> str:
    """The n-th learner's 18-character ID number, with its GB 11643 check character.

    The sequence code (digits 15-17) is ``n % 1000``, so the masked form
    ``4403**********NNNC`` is distinct for the first thousand learners.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    born = _FIRST_BIRTHDAY + timedelta(days=n // 1000)
    first17 = f"440305{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def citizen_phone(n: int) -> str:
    """The n-th citizen's mobile number (11 digits, distinct last four below 10,000)."""
    if not 0 <= n < 10_000_000:
        raise ValueError("n out of range")
    return f"{_PHONE_PREFIX}{n:07d}"


@dataclass(frozen=True)
class Vehicle:
    """A vehicle the load generator adds to the sandbox before its owner asks about it."""

    plate: str
    engine_number: str

    @property
    def engine_suffix(self) -> str:
        """What the owner types when asked for the last six of the engine number."""
        return self.engine_number[-6:]


def vehicle(n: int) -> Vehicle:
    """The n-th owner's vehicle: an ordinary 粤B plate and an engine number."""
    if not 0 <= n < 10_000:
        raise ValueError("n out of range")
    return Vehicle(
        plate=f"{_PLATE_PREFIX}{n:04d}", engine_number=f"GB{20250000 + n:08d}"
    )


def mask_id(id_number: str) -> str:
    """``4403**********123X``: how the assistant echoes an ID number."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


def mask_phone(phone: str) -> str:
    """``139****0000``: how the assistant echoes a mobile number."""
    return phone[:3] + "****" + phone[-4:]
