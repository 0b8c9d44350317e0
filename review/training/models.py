"""Tables of retraining: jobs, cached evaluations, promotions and rollbacks."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import Boolean, DateTime, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from review.logdb.models import Base, BigId


class JobStatus(str, Enum):
    """Where a training job is in its life."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Stage(str, Enum):
    """Progress stages shown to staff, in order."""

    PREPARING = "preparing"
    TRAINING_NLU = "training_nlu"
    TRAINING_DIALOGUE = "training_dialogue"
    EVALUATING = "evaluating"
    DONE = "done"
    FAILED = "failed"


class ChangeAction(str, Enum):
    """What was done to the served model."""

    PROMOTE = "promote"
    ROLLBACK = "rollback"


class TrainingJob(Base):
    """One background retraining of a candidate model.

    At most one row is ``running`` (a partial unique index enforces it across
    processes); ``owner`` (host:pid) lets a restarted console fail the jobs of
    a process that died. ``log_tail`` holds the last lines of the trainer's
    output, masked.
    """

    __tablename__ = "training_jobs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    stage_seconds: Mapped[str] = mapped_column(Text, default="{}")
    candidate: Mapped[str | None] = mapped_column(String(256))
    gate_passed: Mapped[bool | None] = mapped_column(Boolean)
    comparison: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    log_tail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index(
            "uq_training_jobs_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("ix_training_jobs_started_at", "started_at"),
    )


class ModelEvaluation(Base):
    """Held-out scores of one model file, keyed by its content and the split's."""

    __tablename__ = "model_evaluations"
    model_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    holdout_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(256))
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    report: Mapped[str] = mapped_column(Text)


class ModelChange(Base):
    """One promotion or rollback: who, what, why, and what each instance did."""

    __tablename__ = "model_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(256))
    previous: Mapped[str | None] = mapped_column(String(256))
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    ok: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[str] = mapped_column(Text)
