"""A flush's writes: its steps and its metric rows, each kind in one executemany.

On SQLite the rows go to the driver as tuples, since SQLAlchemy's per-value
work (a dict per row, LossFloat's bind processor per value) costs twice
the insert itself. They are bound as LossFloat would bind them: floats,
NaN as the text 'NaN'. PostgreSQL keeps NaN natively, and SQLAlchemy's
"insertmanyvalues" batching is what makes its executemany fast, so there
the rows go through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Connection, Table, insert

from runner.store.models import metrics, steps


def insert_steps(conn: Connection, run_id: int, rows: Sequence[tuple[int, float, float]]) -> None:
    """(step, loss, elapsed) rows of one run."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            sqlite_insert(steps),
            [(run_id, step, x if (x := float(loss)) == x else "NaN", float(elapsed)) for step, loss, elapsed in rows],
        )
    else:
        conn.execute(insert(steps), [{"run_id": run_id, "step": s, "loss": x, "elapsed": e} for s, x, e in rows])


def insert_metrics(conn: Connection, run_id: int, rows: Sequence[tuple[str, int, float]]) -> None:
    """(name, step, value) rows of one run."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            sqlite_insert(metrics),
            [(run_id, name, step, x if (x := float(value)) == x else "NaN") for name, step, value in rows],
        )
    else:
        conn.execute(insert(metrics), [{"run_id": run_id, "name": n, "step": s, "value": v} for n, s, v in rows])


@cache
def sqlite_insert(table: Table) -> str:
    """INSERT of every column of ``table``, in its order, with ? placeholders."""
    return f"INSERT INTO {table.name} ({', '.join(table.c.keys())}) VALUES ({', '.join('?' * len(table.c))})"
