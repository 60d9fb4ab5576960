"""A few rows of each run's steps (or of one of its metrics) instead of all of them: what a report draws of a long run.

Reading ten million steps into Python takes longer than anything a report
does with them, and a GROUP BY on a bucket of steps (min and max per bucket)
makes SQLite sort every row, which is slower still. Two plain passes in the
primary key's order are cheap on SQLite and PostgreSQL alike:
``step_extents`` / ``metric_extents`` (each run's count, lowest and highest
value, first and last step: a query per run on SQLite, one GROUP BY run_id
on PostgreSQL) and ``sampled_rows`` (a run's rows on a grid of steps, the
rows holding its lowest and highest values, its first and last). On SQLite
the second pass tests each row for its lowest and highest value only, and
seeks the grid's rows in the primary key when they are far enough apart.

The grid: the steps ``origin + k * every`` for the loss (origin 0; every
run steps by one), or for a metric recorded every ``spacing`` steps from
its first one, the one row in each window of ``spacing`` steps at the
start of every ``every`` steps: runs with the same cadence (a seed group's)
are read at the same steps.

The queries here take an open connection; runner.store.Store wraps each
in a transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    CompoundSelect,
    Connection,
    Float,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    union,
)

from runner.store.models import metrics, runs, steps

__all__ = ["StepExtent", "metric_extents", "sampled_metric", "per_run", "sampled_form", "sampled_rows", "sampled_steps",
           "step_extents"]

INF = float("inf")
SEEK_FROM = 10  # rows between two grid rows from which seeking them beats one pass over the run


@dataclass(frozen=True)
class StepExtent:
    """What one pass over a run's stored losses (or values of one metric) tells, before reading any of them."""

    run_id: int
    rows: int  # rows stored
    first_step: int
    last_step: int
    low: float  # the lowest value as the database orders them: -inf if any, NaN only if every value is NaN
    high: float  # the highest: NaN if any value is NaN (both databases sort NaN above inf), else inf if any

    @property
    def finite(self) -> bool:
        """Whether every stored value is finite: only then are both ends of the order finite numbers."""
        return -INF < self.low < INF and -INF < self.high < INF

    @property
    def spacing(self) -> int:
        """The steps between two rows, on average (rounded up): 1 for the loss, 10 for a metric evaluated every 10."""
        return max(1, math.ceil((self.last_step - self.first_step) / (self.rows - 1))) if self.rows > 1 else 1


def step_extents(conn: Connection, ids: Sequence[int]) -> dict[int, StepExtent]:
    """Each run's extent, one pass over its rows in primary-key order; runs with no steps are left out."""
    if conn.dialect.name == "sqlite":
        return _extents(conn, ids, _extent(steps, steps.c.loss))
    s = steps.c
    # The first and last step are a seek each in the primary key, cheaper than two more aggregates per row.
    ends = {
        run_id: (first, last)
        for run_id, first, last in conn.execute(
            select(
                runs.c.id,
                select(func.min(s.step)).where(s.run_id == runs.c.id).scalar_subquery(),
                select(func.max(s.step)).where(s.run_id == runs.c.id).scalar_subquery(),
            ).where(runs.c.id.in_(list(ids)))
        )
        if first is not None
    }
    query = (
        select(s.run_id, func.count(), func.min(s.loss), func.max(s.loss))
        .where(s.run_id.in_(list(ends)))
        .group_by(s.run_id)
    )
    return {
        run_id: StepExtent(run_id, rows, *ends[run_id], float(low), float(high))
        for run_id, rows, low, high in conn.execute(query)
    }


def metric_extents(conn: Connection, ids: Sequence[int], name: str) -> dict[int, StepExtent]:
    """Each run's extent of metric ``name``, one pass over its rows; runs that did not record it are left out."""
    if conn.dialect.name == "sqlite":
        return _extents(conn, ids, _extent(metrics, metrics.c.value, name=name))
    m = metrics.c
    query = (
        select(m.run_id, func.count(), func.min(m.step), func.max(m.step), func.min(m.value), func.max(m.value))
        .where(m.run_id.in_(list(ids)), m.name == name)
        .group_by(m.run_id)
    )
    return {
        run_id: StepExtent(run_id, rows, first, last, float(low), float(high))
        for run_id, rows, first, last, low, high in conn.execute(query)
    }


def _extent(table: Table, value: Column, **where: Any) -> Select:
    """(count, first step, last step, lowest value, highest value) of one run (parameter ``run_id``).

    On SQLite a query per run, not one GROUP BY run_id for all: its GROUP BY compares each row's run_id
    with the last one's, which costs a third more than the pass itself. PostgreSQL is the other way round
    (a thousand queries cost it more than its GROUP BY), so it keeps the GROUP BY. The first and last step
    are a seek each in the primary key, cheaper than two more aggregates per row.
    """
    t = table.c
    mine = [t.run_id == bindparam("run_id"), *(t[key] == bindparam(key, value) for key, value in where.items())]
    return select(
        func.count(),
        select(func.min(t.step)).where(*mine).scalar_subquery(),
        select(func.max(t.step)).where(*mine).scalar_subquery(),
        func.min(value),
        func.max(value),
    ).where(*mine)


def _extents(conn: Connection, ids: Sequence[int], query: Select) -> dict[int, StepExtent]:
    found = zip(ids, per_run(conn, [query], [(0, {"run_id": i}) for i in ids]))
    # float() also reads back the text 'NaN' that SQLite stores for NaN (see models.LossFloat).
    return {
        run_id: StepExtent(run_id, n, first, last, float(low), float(high))
        for run_id, [(n, first, last, low, high)] in found
        if n
    }


def per_run(
    conn: Connection, queries: Sequence[Select[Any] | CompoundSelect], calls: Iterable[tuple[int, Mapping[str, Any]]]
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``queries[i]`` for each (i, parameters) of ``calls``, in turn: each statement is compiled once
    and run through the driver's cursor (a thousand runs: a thousand runs of one statement, without
    SQLAlchemy's cost per execution)."""
    compiled = [query.compile(dialect=conn.dialect) for query in queries]
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # an open Connection's
    cursor = dbapi.cursor()
    try:
        for i, values in calls:
            bound = compiled[i].construct_params(dict(values))
            order = compiled[i].positiontup if compiled[i].positional else None
            cursor.execute(str(compiled[i]), bound if order is None else tuple(bound[k] for k in order))
            yield list(cursor.fetchall())
    finally:
        cursor.close()


def sampled_rows(table: Table, value: Column, *columns: Column, **where: Any) -> tuple[Select[Any], CompoundSelect]:
    """(step, value, *columns) of one run (parameter ``run_id``), by step: the rows on the grid (parameters
    ``origin``, ``every``, ``spacing``; see the module's doc), whose value is ``low`` or ``high``, or whose
    step is ``first`` or ``last``; ``where`` narrows by other columns (the metric's name). Two queries for
    the same rows: ``scanned`` tests each of the run's rows; ``sought`` seeks the grid in the primary key
    (see ``sampled_form`` for which is quicker).

    One query per run, not one for all: with every run's lowest and highest loss in one IN list, SQLite
    looks each row's loss up in that list, which costs more than a query per run.
    """
    t = table.c
    mine = [t.run_id == bindparam("run_id"), *(t[key] == bindparam(key, value) for key, value in where.items())]
    rows = select(t.step, value, *columns)
    origin, every, last = (bindparam(key, type_=Integer) for key in ("origin", "every", "last"))
    on_grid = (t.step - origin) % every < bindparam("spacing")
    low_high = [bindparam("low", type_=Float), bindparam("high", type_=Float)]
    ends = [bindparam("first", type_=Integer), last]
    # the cheap test first: most rows fail it, and OR stops at the first true one
    scanned = rows.where(*mine, or_(on_grid, value.in_(low_high), t.step.in_(ends))).order_by(t.step)
    start = select(cast(origin, Integer).label("s")).cte("grid", recursive=True)  # typed: PostgreSQL could not tell
    grid = start.union_all(select((start.c.s + every).label("s")).where(start.c.s + every <= last))
    sought = union(  # each a seek in the primary key but the last, one pass with the one test that finds them
        rows.select_from(grid).join(table, and_(*mine, t.step >= grid.c.s, t.step < grid.c.s + bindparam("spacing"))),
        rows.where(*mine, t.step.in_(ends)),
        rows.where(*mine, t.step < origin),  # on the grid: (step - origin) % every is negative
        rows.where(*mine, t.step > last, on_grid),  # stored since the extent was read
        rows.where(*mine, value.in_(low_high)),
    ).order_by(t.step.name)
    return scanned, sought


def sampled_form(dialect: str, every: int, spacing: int) -> int:
    """Which of ``sampled_rows``'s queries reads a run quicker: 1 (sought) on SQLite when its grid's rows are
    ``SEEK_FROM`` or more rows apart (a seek costs it about what testing 10 rows does), else 0 (scanned).
    PostgreSQL always scans: it plans the grid's join as a pass over the run for each grid step."""
    return 1 if dialect == "sqlite" and every >= SEEK_FROM * spacing else 0


def sampled_steps() -> tuple[Select[Any], CompoundSelect]:
    """The loss's rows (step, loss, elapsed) of one run: ``sampled_rows`` of the steps table."""
    return sampled_rows(steps, steps.c.loss, steps.c.elapsed)


def sampled_metric(name: str) -> tuple[Select[Any], CompoundSelect]:
    """One metric's rows (step, value) of one run: ``sampled_rows`` of the metrics table."""
    return sampled_rows(metrics, metrics.c.value, name=name)
