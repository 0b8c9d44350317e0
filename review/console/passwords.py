"""Password hashing (argon2id), the strength rule, and generated passwords."""

from __future__ import annotations

import secrets
import string
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_GENERATED_LENGTH = 24
_ALPHABET = string.ascii_letters + string.digits
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so an unknown name costs
    the same time as a wrong password and cannot be told apart by timing."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """The password breaks the strength rule; ``str()`` is the Chinese reason."""


def check_strength(password: str, username: str = "") -> None:
    """Raise ``WeakPassword`` unless the password is long and not the user name."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少需要{MIN_LENGTH}个字符。")
    if len(username) >= 3 and username.lower() in password.lower():
        raise WeakPassword("密码不能包含用户名。")
    if len(set(password)) < 5:
        raise WeakPassword("密码过于简单，请使用更多不同的字符。")


def hash_password(password: str) -> str:
    """An argon2id hash with a fresh salt."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; ``None`` (no such user) still costs one hash."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and bool(
            stored_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


def generate_password() -> str:
    """A random password of 24 letters and digits (about 143 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(_GENERATED_LENGTH))
