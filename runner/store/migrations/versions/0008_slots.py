"""Slots: the worker slot each run was last claimed by.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 22:10:00

``runs.slot`` names the slot that took the run: a Dask worker's name (``runner worker`` names them
HOST-INDEX-DEVICE) or a local pool's slot (the same form). A run retried after its worker went
silent is sent to another slot than this one. Runs made before the upgrade, and single runs, have none.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from runner.store.migrations import rebuilt_runs

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("slot", sa.String(), nullable=True))


def downgrade() -> None:
    with rebuilt_runs() as batch:
        batch.drop_column("slot")
