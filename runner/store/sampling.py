"""A few rows of each run's steps instead of all of them: what a report draws of a long run.

Reading ten million steps into Python takes longer than anything a report
does with them, and a GROUP BY on a bucket of steps (min and max per bucket)
makes SQLite sort every row, which is slower still. Two plain passes in the
primary key's order are cheap on SQLite and PostgreSQL alike:
``step_extents`` (one GROUP BY run_id: each run's count, lowest and highest
loss; its first and last step are a seek each) and ``sampled_steps`` (a
run's rows at every Nth step, the rows holding its lowest and highest
losses, its first and last).

The queries here take an open connection; runner.store.Store wraps each
in a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Float, Select, bindparam, func, or_, select

from runner.store.models import runs, steps

__all__ = ["StepExtent", "sampled_steps", "step_extents"]

INF = float("inf")


@dataclass(frozen=True)
class StepExtent:
    """What one pass over a run's stored steps tells, before reading any of them."""

    run_id: int
    rows: int  # steps stored
    first_step: int
    last_step: int
    low: float  # the lowest loss as the database orders them: -inf if any, NaN only if every loss is NaN
    high: float  # the highest: NaN if any loss is NaN (both databases sort NaN above inf), else inf if any

    @property
    def finite(self) -> bool:
        """Whether every stored loss is finite: only then are both ends of the order finite numbers."""
        return -INF < self.low < INF and -INF < self.high < INF


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


def sampled_steps() -> Select:
    """(step, loss, elapsed) of one run (parameter ``run_id``), by step: the rows whose step is a multiple of
    ``every``, whose loss is ``low`` or ``high``, or whose step is ``first`` or ``last``.

    One query per run, not one for all: with every run's lowest and highest loss in one IN list, SQLite
    looks each row's loss up in that list, which costs more than a query per run.
    """
    s = steps.c
    wanted = or_(
        s.step % bindparam("every") == 0,  # the cheap test first: most rows fail it, and OR stops at the first true one
        s.loss == bindparam("low", type_=Float), s.loss == bindparam("high", type_=Float),
        s.step == bindparam("first"), s.step == bindparam("last"),
    )
    return select(s.step, s.loss, s.elapsed).where(s.run_id == bindparam("run_id"), wanted).order_by(s.step)
