"""Retraining: training jobs, cached model evaluations, promotions and rollbacks.

Revision ID: 0004_training
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_training"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "training_jobs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage_seconds", sa.Text(), nullable=False),
        sa.Column("candidate", sa.String(length=256), nullable=True),
        sa.Column("gate_passed", sa.Boolean(), nullable=True),
        sa.Column("comparison", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("log_tail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("training_jobs") as batch_op:
        # One running job at a time, whichever process started it.
        batch_op.create_index(
            "uq_training_jobs_one_running",
            ["status"],
            unique=True,
            sqlite_where=RUNNING,
            postgresql_where=RUNNING,
        )
        batch_op.create_index("ix_training_jobs_started_at", ["started_at"])
    op.create_table(
        "model_evaluations",
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("holdout_sha256", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("model_sha256", "holdout_sha256"),
    )
    op.create_table(
        "model_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("previous", sa.String(length=256), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("model_changes") as batch_op:
        batch_op.create_index(batch_op.f("ix_model_changes_at"), ["at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("model_changes")
    op.drop_table("model_evaluations")
    op.drop_table("training_jobs")
