"""Sweeps: a run may belong to a named group of runs (a grid).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("sweep", sa.String(), nullable=True))
        batch.create_index("ix_runs_sweep", ["sweep"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_sweep")
        batch.drop_column("sweep")
