"""Review-queue annotations and their revision history.

Revision ID: 0003_annotations
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_annotations"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "annotations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(length=128), nullable=True),
        sa.Column("predicted_confidence", sa.Float(), nullable=True),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sa.CheckConstraint(
            "decision IN ('label', 'out_of_scope', 'skip')",
            name="ck_annotations_decision",
        ),
    )
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.create_index(batch_op.f("ix_annotations_updated_at"), ["updated_at"])
    op.create_table(
        "annotation_revisions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("annotation_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotation_id"], ["annotations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("annotation_id", "version", name="uq_annotation_revisions"),
    )
    with op.batch_alter_table("annotation_revisions") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_annotation_revisions_annotation_id"), ["annotation_id"]
        )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("annotation_revisions")
    op.drop_table("annotations")
