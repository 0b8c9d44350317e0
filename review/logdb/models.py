"""Schema of the conversation log (the alembic migrations create exactly this)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of the log tables."""


class ConversationEvent(Base):
    """One Rasa tracker event, masked before it was written (rule R3).

    ``conversation`` is a keyed HMAC pseudonym of the Rasa sender id, never the
    id itself; ``data`` is the whole masked event as JSON.
    """

    __tablename__ = "conversation_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    timestamp: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(128))
    confidence: Mapped[float | None] = mapped_column(Float)
    action_name: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_conversation_events_conversation", "conversation", "timestamp"),
        Index("ix_conversation_events_type", "event_type", "timestamp"),
    )


class AuditEntry(Base):
    """One audited access or change (rules R6, R7, R10): who, when, what, why.

    Rows are append-only (database triggers refuse UPDATE and DELETE) and
    hash-chained: ``hash`` covers the row and ``prev_hash``, and ``prev_hash``
    is unique, so the chain cannot fork and any edit breaks it.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(256))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
