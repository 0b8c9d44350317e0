"""Retention (rule R7): conversation events older than the limit are deleted.

The audit log is kept: it holds no conversation content, and security logs
must be kept for at least six months (Cybersecurity Law Art. 21).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from review.logdb import audit
from review.logdb.database import LogDatabase
from review.logdb.models import ConversationEvent

# Deleting in slices keeps each write transaction (and SQLite's lock) short.
BATCH = 5000
ACTOR = "system:retention"


@dataclass(frozen=True)
class Purge:
    """What one retention run did."""

    cutoff: dt.datetime
    deleted: int
    audit_head: str


async def purge(db: LogDatabase, *, days: int, now: dt.datetime | None = None) -> Purge:
    """Delete events older than ``days`` and record the run in the audit log."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=days)
    deleted = 0
    while True:
        async with db.write() as session:
            ids = (
                await session.scalars(
                    select(ConversationEvent.id)
                    .where(ConversationEvent.timestamp < cutoff)
                    .order_by(ConversationEvent.id)
                    .limit(BATCH)
                )
            ).all()
            if not ids:
                break
            await session.execute(
                delete(ConversationEvent).where(ConversationEvent.id.in_(ids))
            )
            deleted += len(ids)
    async with db.write() as session:
        entry = await audit.append(
            session,
            actor=ACTOR,
            action="retention.purge",
            target="conversation_events",
            reason=f"older than {days} days",
            details={"deleted": deleted, "cutoff": cutoff.isoformat()},
        )
        head = entry.hash
    return Purge(cutoff=cutoff, deleted=deleted, audit_head=head)


async def oldest_event(db: LogDatabase) -> dt.datetime | None:
    """When the oldest kept event happened (``None`` for an empty log)."""
    async with db.read() as session:
        return await session.scalar(select(func.min(ConversationEvent.timestamp)))
