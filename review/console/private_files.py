"""Secrets kept in ``var_dir``: files only the console's user can read (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, created with mode 0600 (never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def read_or_create_secret(path: Path) -> bytes:
    """The random key stored at ``path``, created on first use."""
    if path.exists():
        return path.read_bytes().strip()
    key = secrets.token_hex(32)
    write_private(path, key)
    return key.encode()
