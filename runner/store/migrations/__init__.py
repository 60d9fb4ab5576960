"""Alembic migrations for the runner database (run by runner.store.db.upgrade), and what several share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations


@contextmanager
def rebuilt_runs() -> Iterator[BatchOperations]:
    """``batch_alter_table("runs")``, keeping SQLite's AUTOINCREMENT counter across the rebuild.

    SQLite cannot drop or retype a column in place, so batch mode copies ``runs`` into a new table;
    env.py turns foreign keys off around it (or dropping the old table would delete every step)."""
    bind = op.get_bind()
    counter = None
    if bind.dialect.name == "sqlite":
        counter = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'runs'")).scalar()
    with op.batch_alter_table("runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        yield batch
    if counter is not None:  # the rebuilt table's counter only knows the ids it copied
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'runs'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', :seq)"), {"seq": counter})
