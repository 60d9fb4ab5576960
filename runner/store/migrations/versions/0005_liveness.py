"""Liveness: a run's process start time, 64-bit seeds and step counts, and the events of a run's life.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-16 10:00:00

``runs.pid_start`` names the process with ``pid`` (a reused pid is another
process). ``runs.seed``, ``steps`` and ``steps_done`` become BIGINT: the CLI
takes seeds up to 2**32-1, which PostgreSQL's INTEGER refused. ``run_events``
records what a status alone would hide: a run marked lost, and why; a lost
run whose process wrote again.

SQLite cannot change a column's type, so batch mode rebuilds ``runs`` as
0003 does: env.py turns foreign keys off around it (or dropping the old table
would delete every step), and the AUTOINCREMENT counter is carried over.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from runner.store.migrations import rebuilt_runs

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WIDENED = ("steps", "seed", "steps_done")


def upgrade() -> None:
    with rebuilt_runs() as batch:
        for column in WIDENED:
            batch.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
        # set again, as a fresh database gets it: PostgreSQL would keep the old '0'::integer
        batch.alter_column("steps_done", server_default="0", existing_type=sa.BigInteger(), existing_nullable=False)
        batch.add_column(sa.Column("pid_start", sa.BigInteger(), nullable=True))
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_events_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_run_events"),
    )
    op.create_index("ix_run_events_run_id", "run_events", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_run_events_run_id", table_name="run_events")
    op.drop_table("run_events")
    with rebuilt_runs() as batch:
        batch.drop_column("pid_start")
        for column in WIDENED:
            batch.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
        batch.alter_column("steps_done", server_default="0", existing_type=sa.Integer(), existing_nullable=False)

