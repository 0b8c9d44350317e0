"""Encryption at rest of channel addresses (chat id, openid, phone number).

An address is personal data (R1) that the gateway needs after the message
that carried it, to deliver a staff reply. It is kept only sealed with Fernet
(AES-128-CBC + HMAC-SHA256, with a timestamp), so a copy of the store — a Redis
dump, say — does not reveal who wrote. Keys rotate: the first key seals, every
listed key opens.
"""

import base64
import binascii
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SANDBOX_ADDRESS_KEY", "AddressCipher", "AddressUnreadable", "fernet_key"]

SANDBOX_ADDRESS_KEY = "sandbox-gateway-address-key"
"""Default until ``GATEWAY_ADDRESS_KEY`` is configured (visibly not a secret)."""

_DERIVATION_LABEL = b"govbot-gateway-address-key:"


class AddressUnreadable(Exception):
    """A sealed address was made with another key or was tampered with."""


def fernet_key(secret: str) -> bytes:
    """The Fernet key for one configured secret.

    A real Fernet key (``Fernet.generate_key()``: 32 bytes, URL-safe base64)
    is used as it is; any other string is stretched with SHA-256, so that a
    pass phrase works too (it is only as strong as the phrase).
    """
    raw = secret.strip().encode("utf-8")
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32 and len(raw) == 44:
            return raw
    except (binascii.Error, ValueError):
        pass
    digest = hashlib.sha256(_DERIVATION_LABEL + raw).digest()
    return base64.urlsafe_b64encode(digest)


class AddressCipher:
    """Seals and opens channel addresses with the configured keys."""

    def __init__(self, secrets: Sequence[str]) -> None:
        """Build from secrets, newest first (an empty entry is skipped).

        Raises:
            ValueError: If no secret is given.
        """
        keys = [Fernet(fernet_key(s)) for s in secrets if s.strip()]
        if not keys:
            raise ValueError("at least one address key is required")
        self._fernet = MultiFernet(keys)

    @classmethod
    def from_setting(cls, value: str) -> "AddressCipher":
        """From ``GATEWAY_ADDRESS_KEY``: comma-separated keys, newest first."""
        return cls(value.split(","))

    def seal(self, address: str) -> str:
        """The address encrypted and authenticated (URL-safe text)."""
        return self._fernet.encrypt(address.encode("utf-8")).decode("ascii")

    def open(self, sealed: str, max_age_s: float | None = None) -> str:
        """The address inside ``sealed``.

        Args:
            sealed: What ``seal`` returned.
            max_age_s: Refuse a token sealed longer ago than this.

        Raises:
            AddressUnreadable: Wrong key, tampered, too old or not a token.
        """
        try:
            ttl = None if max_age_s is None else max(1, int(max_age_s))
            return self._fernet.decrypt(sealed.encode("ascii"), ttl=ttl).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise AddressUnreadable("address_unreadable") from exc
