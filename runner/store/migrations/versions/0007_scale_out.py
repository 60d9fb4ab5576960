"""Scale out: how many times each run was claimed, and sweeps asked to stop.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 20:30:00

``runs.attempts`` counts claims (a run whose worker died is retried while it
is at most --retries); existing runs start at 0. ``sweep_stops`` holds the
sweeps asked to stop, read by every worker on every host. Adding a column
with a constant default needs no rebuild of ``runs``, on SQLite either.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from runner.store.migrations import rebuilt_runs

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "sweep_stops",
        sa.Column("sweep", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sweep", name="pk_sweep_stops"),
    )


def downgrade() -> None:
    op.drop_table("sweep_stops")
    with rebuilt_runs() as batch:
        batch.drop_column("attempts")

