"""The training loop researchers expect: threads, plugin provenance, early stopping and the best weights.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:20:00

``runs.threads`` is the count of CPU threads a run trained with (it changes the losses);
``runs.packages`` the distribution, version and commit of every plugin package it used;
``runs.early_stop`` how a run stopped early (metric, step, best value and its step, the reason),
NULL for a run that was not. Artifacts gain the kind "best": the weights at a run's best
evaluation (``--keep-best``). New columns are nullable, so the rows made before stay as they were;
SQLite cannot change a CHECK in place, so batch mode rebuilds ``artifacts``.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from runner.store.migrations import rebuilt_runs

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_KINDS = ("checkpoint", "weights")  # runner.store.models.ARTIFACT_KINDS as of 0006
KINDS = ("checkpoint", "weights", "best")  # ... and as of this revision


def _kinds(kinds: Sequence[str]) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def upgrade() -> None:
    op.add_column("runs", sa.Column("threads", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("packages", sa.JSON(), nullable=True))
    op.add_column("runs", sa.Column("early_stop", sa.JSON(), nullable=True))
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_constraint(op.f("ck_artifacts_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_artifacts_kind"), _kinds(KINDS))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM artifacts WHERE kind = 'best'"))
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_constraint(op.f("ck_artifacts_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_artifacts_kind"), _kinds(OLD_KINDS))
    with rebuilt_runs() as batch:
        batch.drop_column("early_stop")
        batch.drop_column("packages")
        batch.drop_column("threads")
