"""What a run's recorded values add up to: first, final and best, for its losses and each of its metrics.

The queries here take an open connection; runner.store.Store wraps each
in a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Column, Connection, and_, func, select

from runner.metrics import DIRECTIONS, Direction
from runner.store.models import metrics

__all__ = ["INF", "MetricSummary", "Summary", "summarise", "metric_summary", "metric_names"]

INF = float("inf")


@dataclass(frozen=True)
class MetricSummary:
    """What one metric of a run adds up to."""

    name: str
    count: int  # values stored
    first: float | None
    final: float | None  # at the highest step
    best: float | None  # the lowest finite value for direction "min", the highest for "max"
    best_step: int | None  # the first step that reached it
    direction: Direction


class Summary(NamedTuple):
    rows: int
    finite: int
    first: Any
    final: Any
    best: Any  # a (step, value) row, None when no value is finite


def summarise(conn: Connection, step: Column, value: Column, where: Any, direction: Direction) -> Summary:
    """Count, first, final and best (finite only) of ``value`` over the rows ``where`` selects, by ``step``."""
    # NaN fails both comparisons: PostgreSQL sorts NaN above inf, SQLite sorts the text 'NaN' above every number.
    finite = and_(value > -INF, value < INF)
    count, n_finite = conn.execute(select(func.count(), func.count().filter(finite)).where(where)).one()
    if not count:
        return Summary(0, 0, None, None, None)
    first = conn.scalar(select(value).where(where).order_by(step).limit(1))
    final = conn.scalar(select(value).where(where).order_by(step.desc()).limit(1))
    best_first = value.asc() if direction == "min" else value.desc()
    best = conn.execute(select(step, value).where(where, finite).order_by(best_first, step).limit(1)).first()
    return Summary(count, n_finite, first, final, best)


def metric_summary(conn: Connection, run_id: int, name: str, direction: Direction) -> MetricSummary:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'min' or 'max', not {direction!r}")
    where = and_(metrics.c.run_id == run_id, metrics.c.name == name)
    s = summarise(conn, metrics.c.step, metrics.c.value, where, direction)
    best, best_step = (s.best.value, s.best.step) if s.best else (None, None)
    return MetricSummary(name, s.rows, s.first, s.final, best, best_step, direction)


def metric_names(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
    """The names of the metrics each run recorded, sorted; every id is a key."""
    found: dict[int, list[str]] = {run_id: [] for run_id in ids}
    query = (
        select(metrics.c.run_id, metrics.c.name)
        .where(metrics.c.run_id.in_(ids))
        .group_by(metrics.c.run_id, metrics.c.name)  # the primary key's prefix: read from its index
        .order_by(metrics.c.run_id, metrics.c.name)
    )
    for run_id, name in conn.execute(query):
        found[run_id].append(name)
    return found
