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
from typing import Sequence, Union

from alembic import op

from runner.store.migrations import rebuilt_runs

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

