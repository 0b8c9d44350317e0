"""Annotation tables (migration 0003_annotations) on the conversation log's ``Base``."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from review.logdb.models import Base, BigId


class Decision(str, Enum):
    """What a reviewer decided about one message."""

    LABEL = "label"  # an intent (or faq/<topic>) and entity spans
    OUT_OF_SCOPE = "out_of_scope"  # the contract's out_of_scope intent
    SKIP = "skip"  # not worth training on (noise, test messages)


class Annotation(Base):
    """The current decision about one logged user message.

    The masked text is copied here so that the decision outlives the event
    (retention deletes events, not annotations); ``event_id`` therefore has no
    foreign key. ``version`` makes every update conditional on the version the
    reviewer saw (optimistic concurrency): a stale update changes nothing.
    """

    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(BigId, unique=True)
    text: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    # Exported intent: "query_violation", "faq/hukou", "out_of_scope"; None on skip.
    intent: Mapped[str | None] = mapped_column(String(128))
    # JSON list of {"start", "end", "entity", "value"?} over ``text``.
    entities: Mapped[str] = mapped_column(Text, default="[]")
    predicted_intent: Mapped[str | None] = mapped_column(String(128))
    predicted_confidence: Mapped[float | None] = mapped_column(Float)
    group_key: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_by: Mapped[str] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint(
            "decision IN ('label', 'out_of_scope', 'skip')",
            name="ck_annotations_decision",
        ),
    )


class AnnotationRevision(Base):
    """Every decision ever made, oldest first: relabelling loses nothing."""

    __tablename__ = "annotation_revisions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(128))
    entities: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("annotation_id", "version", name="uq_annotation_revisions"),
    )
