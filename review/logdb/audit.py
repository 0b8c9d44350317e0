"""The audit log (rules R6, R7, R10): append-only, hash-chained who / when / what / why.

Every entry's ``hash`` is SHA-256 over the previous entry's hash and the
entry's own fields, so editing, deleting or reordering any entry breaks the
chain from there on. The database refuses UPDATE and DELETE (triggers in the
migration); ``prev_hash`` is unique, so two concurrent appends cannot both
follow the same entry; the loser retries on the new head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from review.logdb.models import AuditEntry
from review.logdb.turns import as_utc

GENESIS = "0" * 64
_APPEND_ATTEMPTS = 5
# Arbitrary, fixed: the advisory lock that serialises appends on PostgreSQL.
_APPEND_LOCK = 0x6C6F6764625F6175


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    actor: str,
    action: str,
    target: str | None,
    reason: str | None,
    details: str,
) -> str:
    """The chained hash of one entry (canonical JSON of its fields)."""
    fields = {
        "prev": prev_hash,
        "at": as_utc(at).astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "reason": reason,
        "details": details,
    }
    canonical = json.dumps(
        fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def head(session: AsyncSession) -> str:
    """The hash of the newest entry (``GENESIS`` for an empty log)."""
    followed = select(AuditEntry.prev_hash)
    newest = await session.scalar(
        select(AuditEntry.hash).where(AuditEntry.hash.not_in(followed)).limit(1)
    )
    return newest or GENESIS


async def append(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry at the head of the chain (inside the caller's transaction).

    Args:
        session: An open write transaction; the entry commits with it.
        actor: Who: a staff login or ``system:<job>``.
        action: What, as a dotted name (``conversation.viewed``, ``retention.purge``).
        target: What it was done to (a conversation pseudonym, a label id).
        reason: Why, as the staff member gave it (required for unmasking, R6).
        details: Extra facts; never raw personal data.
        at: When (defaults to now, UTC).
    """
    when = as_utc(at) if at is not None else dt.datetime.now(dt.timezone.utc)
    facts = json.dumps(
        dict(details or {}), ensure_ascii=False, sort_keys=True, default=str
    )
    if session.get_bind().dialect.name == "postgresql":
        # Appenders queue here until the holder commits, so each one reads
        # the head the previous one wrote (SQLite's BEGIN IMMEDIATE does the
        # same); the unique prev_hash is the backstop, not the mechanism.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK}
        )
    for attempt in range(_APPEND_ATTEMPTS):
        previous = await head(session)
        entry = AuditEntry(
            at=when,
            actor=actor,
            action=action,
            target=target,
            reason=reason,
            details=facts,
            prev_hash=previous,
            hash=entry_hash(previous, when, actor, action, target, reason, facts),
        )
        try:
            async with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            # Another writer appended after the same head first.
            if attempt == _APPEND_ATTEMPTS - 1:
                raise
            continue
        return entry
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of ``verify``: ``broken_at`` is the first bad entry's id."""

    entries: int
    head: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every entry is linked and its hash matches its fields."""
        return self.broken_at is None


async def verify(session: AsyncSession) -> ChainCheck:
    """Walk the chain from the start and recompute every hash.

    A deleted last entry cannot be seen from inside the database: compare
    ``head`` with a copy kept elsewhere (the retention job logs it).
    """
    rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    by_prev = {row.prev_hash: row for row in rows}
    linked: set[int]
    current, linked = GENESIS, set()
    while current in by_prev and len(linked) < len(rows):
        row = by_prev[current]
        expected = entry_hash(
            row.prev_hash,
            row.at,
            row.actor,
            row.action,
            row.target,
            row.reason,
            row.details,
        )
        if row.hash != expected:
            return ChainCheck(
                len(linked), current, row.id, "hash does not match the entry"
            )
        linked.add(row.id)
        current = row.hash
    if len(linked) != len(rows):
        stray = min(row.id for row in rows if row.id not in linked)
        return ChainCheck(
            len(linked), current, stray, "entry not linked into the chain"
        )
    return ChainCheck(len(rows), current)
