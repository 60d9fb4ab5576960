"""Metrics: named values a run records at some of its steps (accuracy, val_loss, lr).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 10:00:00

A new table beside ``steps``; no existing table changes, so no rebuild.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "metrics",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),  # LossFloat: NaN is stored as 'NaN' on SQLite
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_metrics_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "name", "step", name="pk_metrics"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("metrics")
