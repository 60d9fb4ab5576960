"""A flush's writes: its steps and its metric rows, each kind in one executemany.

On SQLite the rows go to the driver as tuples, since SQLAlchemy's per-value
work (a dict per row, LossFloat's bind processor per value) costs twice
the insert itself. They are bound as LossFloat would bind them: floats,
NaN as the text 'NaN'. PostgreSQL keeps NaN natively, and SQLAlchemy's
"insertmanyvalues" batching is what makes its executemany fast, so there
the rows go through SQLAlchemy.

``again``: the rows are offered again after a lost connection, which may have
lost the answer to a COMMIT that went through; a row whose key is stored
already is then skipped instead of failing the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.dialects import postgresql

from runner.store.models import metrics, steps

__all__ = ["insert_steps", "insert_metrics", "insert_into", "sqlite_insert"]


def insert_steps(conn: Connection, run_id: int, rows: Sequence[tuple[int, float, float]], again: bool = False) -> None:
    """(step, loss, elapsed) rows of one run."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            sqlite_insert(steps, again),
            [(run_id, step, x if (x := float(loss)) == x else "NaN", float(elapsed)) for step, loss, elapsed in rows],
        )
    else:
        conn.execute(insert_into(steps, again), [{"run_id": run_id, "step": s, "loss": x, "elapsed": e} for s, x, e in rows])


def insert_metrics(conn: Connection, run_id: int, rows: Sequence[tuple[str, int, float]], again: bool = False) -> None:
    """(name, step, value) rows of one run."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            sqlite_insert(metrics, again),
            [(run_id, name, step, x if (x := float(value)) == x else "NaN") for name, step, value in rows],
        )
    else:
        conn.execute(insert_into(metrics, again), [{"run_id": run_id, "name": n, "step": s, "value": v} for n, s, v in rows])


def insert_into(table: Table, again: bool) -> Insert:
    """INSERT; ``again``: one that skips a row whose key is stored already (PostgreSQL's ON CONFLICT DO NOTHING)."""
    return postgresql.insert(table).on_conflict_do_nothing() if again else insert(table)


@cache
def sqlite_insert(table: Table, again: bool = False) -> str:
    """INSERT of every column of ``table``, in its order, with ? placeholders (OR IGNORE: ``again``)."""
    verb = "INSERT OR IGNORE" if again else "INSERT"
    return f"{verb} INTO {table.name} ({', '.join(table.c.keys())}) VALUES ({', '.join('?' * len(table.c))})"
