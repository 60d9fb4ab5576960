"""A few rows of each run's steps (or of one of its metrics) instead of all of them: what a report draws of a long run.

Reading ten million steps into Python takes longer than anything a report
does with them, and a GROUP BY on a bucket of steps (min and max per bucket)
makes SQLite sort every row, which is slower still. Two plain passes in the
primary key's order are cheap on SQLite and PostgreSQL alike:
``step_extents`` / ``metric_extents`` (one GROUP BY run_id: each run's
count, lowest and highest value, first and last step) and ``sampled_rows``
(a run's rows on a grid of steps, the rows holding its lowest and highest
values, its first and last).

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Float, Select, Table, bindparam, func, or_, select

from runner.store.models import metrics, runs, steps

__all__ = ["StepExtent", "metric_extents", "sampled_metric", "sampled_rows", "sampled_steps", "step_extents"]

INF = float("inf")


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
    """Each run's extent, in one pass over its rows in primary-key order; runs with no steps are left out."""
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
    # float() also reads back the text 'NaN' that SQLite stores for NaN (see models.LossFloat).
    return {
        run_id: StepExtent(run_id, rows, *ends[run_id], float(low), float(high))
        for run_id, rows, low, high in conn.execute(query)
    }


def metric_extents(conn: Connection, ids: Sequence[int], name: str) -> dict[int, StepExtent]:
    """Each run's extent of metric ``name``, in one pass over its rows; runs that did not record it are left out."""
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


def sampled_rows(table: Table, value: Column, *columns: Column, **where: Any) -> Select:
    """(step, value, *columns) of one run (parameter ``run_id``), by step: the rows on the grid (parameters
    ``origin``, ``every``, ``spacing``; see the module's doc), whose value is ``low`` or ``high``, or whose
    step is ``first`` or ``last``; ``where`` narrows by other columns (the metric's name).

    One query per run, not one for all: with every run's lowest and highest loss in one IN list, SQLite
    looks each row's loss up in that list, which costs more than a query per run.
    """
    t = table.c
    on_grid = (t.step - bindparam("origin")) % bindparam("every") < bindparam("spacing")
    wanted = or_(
        on_grid,  # the cheap test first: most rows fail it, and OR stops at the first true one
        value == bindparam("low", type_=Float), value == bindparam("high", type_=Float),
        t.step == bindparam("first"), t.step == bindparam("last"),
    )
    narrow = [t[key] == bindparam(key, value) for key, value in where.items()]
    return select(t.step, value, *columns).where(t.run_id == bindparam("run_id"), *narrow, wanted).order_by(t.step)


def sampled_steps() -> Select:
    """The loss's rows (step, loss, elapsed) of one run: ``sampled_rows`` of the steps table."""
    return sampled_rows(steps, steps.c.loss, steps.c.elapsed)


def sampled_metric(name: str) -> Select:
    """One metric's rows (step, value) of one run: ``sampled_rows`` of the metrics table."""
    return sampled_rows(metrics, metrics.c.value, name=name)
