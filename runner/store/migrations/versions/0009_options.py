"""Options: how each run and each sweep was started, and artifact paths relative to their run's root.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 14:30:00

``runs.options`` holds the execution options a run was started with (``--artifacts``,
``--checkpoint-every``, ``--keep-checkpoints``, ``--no-weights``, ``--step-timeout``,
``--db-deadline``), so that ``runner resume`` continues it as it was started. ``sweeps``
records each sweep's name with how it was started (``--jobs``, ``--per-device``, the executor):
a name is taken once, and ``runner resume SWEEP`` works it as before.

``artifacts.path`` becomes relative to the run's artifacts root (``runs.options["artifacts"]``):
a row can then name only a file inside that root, never any path on the machine. Rows made
before the upgrade held absolute paths ``ROOT/run-N/FILE``; ROOT is recorded as the run's root.
"""
import os
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from runner.store.migrations import rebuilt_runs

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "sweeps",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_sweeps"),
    )
    bind = op.get_bind()
    # Every sweep named so far is taken: a new sweep under its name is refused (or added to, when asked).
    bind.execute(sa.text(
        "INSERT INTO sweeps (name, created_at) SELECT sweep, min(created_at) FROM runs WHERE sweep IS NOT NULL GROUP BY sweep"
    ))
    relative_paths(bind)


def relative_paths(bind: sa.Connection) -> None:
    """ROOT/run-N/FILE becomes run-N/FILE, and ROOT the run's artifacts root."""
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("options", sa.JSON))
    artifacts = sa.table("artifacts", sa.column("id", sa.Integer), sa.column("run_id", sa.Integer), sa.column("path", sa.Text))
    roots: dict[int, str] = {}
    for row in bind.execute(sa.select(artifacts.c.id, artifacts.c.run_id, artifacts.c.path).where(artifacts.c.path.is_not(None))):
        folder, name = os.path.split(row.path)
        root = os.path.dirname(folder)
        roots.setdefault(row.run_id, root)
        relative = os.path.join(os.path.basename(folder), name) if roots[row.run_id] == root else row.path
        bind.execute(sa.update(artifacts).where(artifacts.c.id == row.id).values(path=relative))
    for run_id, root in roots.items():
        bind.execute(sa.update(runs).where(runs.c.id == run_id).values(options={"artifacts": root}))


def downgrade() -> None:
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("options", sa.JSON))
    artifacts = sa.table("artifacts", sa.column("id", sa.Integer), sa.column("run_id", sa.Integer), sa.column("path", sa.Text))
    query = sa.select(artifacts.c.id, artifacts.c.path, runs.c.options).join(runs, runs.c.id == artifacts.c.run_id)
    for row in bind.execute(query.where(artifacts.c.path.is_not(None))).all():
        root = (row.options or {}).get("artifacts")
        if root and not os.path.isabs(row.path):
            bind.execute(sa.update(artifacts).where(artifacts.c.id == row.id).values(path=os.path.join(root, row.path)))
    op.drop_table("sweeps")
    with rebuilt_runs() as batch:
        batch.drop_column("options")
