"""Run statuses: the database refuses a status that runner does not define.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00

SQLite cannot add a CHECK to a table, so batch mode rebuilds ``runs``
(copy, drop, rename). env.py turns SQLite's foreign keys off around the
migrations, as the rebuild needs: with them on, dropping the old table
would delete every step through ON DELETE CASCADE. The rebuilt table
keeps AUTOINCREMENT and its counter, so a deleted run's id is still never
reused.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The statuses as of this revision (runner.status.RunStatus); a new status needs a new migration.
STATUSES = ("queued", "running", "completed", "diverged", "failed", "interrupted", "lost")
CHECK = f"status IN ({', '.join(repr(s) for s in STATUSES)})"


def upgrade() -> None:
    with rebuilt_runs() as batch:
        batch.create_check_constraint(op.f("ck_runs_status"), CHECK)


def downgrade() -> None:
    with rebuilt_runs() as batch:
        batch.drop_constraint(op.f("ck_runs_status"), type_="check")


@contextmanager
def rebuilt_runs() -> Iterator[BatchOperations]:
    """``batch_alter_table("runs")``, keeping SQLite's AUTOINCREMENT counter across the rebuild."""
    bind = op.get_bind()
    counter = None
    if bind.dialect.name == "sqlite":
        counter = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'runs'")).scalar()
    with op.batch_alter_table("runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        yield batch
    if counter is not None:  # the rebuilt table's counter only knows the ids it copied
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'runs'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', :seq)"), {"seq": counter})
