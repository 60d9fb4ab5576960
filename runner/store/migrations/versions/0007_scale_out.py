"""Scale out: how many times each run was claimed, and sweeps asked to stop.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 20:30:00

``runs.attempts`` counts claims (a run whose worker died is retried while it
is at most --retries); existing runs start at 0. ``sweep_stops`` holds the
sweeps asked to stop, read by every worker on every host. Adding a column
with a constant default needs no rebuild of ``runs``, on SQLite either.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

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


@contextmanager
def rebuilt_runs() -> Iterator[BatchOperations]:
    """``batch_alter_table("runs")``, keeping SQLite's AUTOINCREMENT counter across the rebuild (as in 0005)."""
    bind = op.get_bind()
    counter = None
    if bind.dialect.name == "sqlite":
        counter = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'runs'")).scalar()
    with op.batch_alter_table("runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        yield batch
    if counter is not None:  # the rebuilt table's counter only knows the ids it copied
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'runs'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', :seq)"), {"seq": counter})
