"""Looking runs up one record at a time: a run, its events, a listing, and summaries of its loss and metrics.

Reads in bulk (every step, sampled for a page, only what is new) are runner.store.streams'.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from runner.status import RunStatus
from runner.store.base import StoreBase
from runner.store.models import run_events, runs, steps
from runner.store.records import LossSummary, RunEvent, RunRecord, record_of
from runner.store.summaries import MetricSummary, metric_names, metric_summary, summarise

if TYPE_CHECKING:
    from runner.metrics import Direction

__all__ = ["Lookups"]


class Lookups(StoreBase):
    """runner.store.Store's reads of single runs."""

    def get_run(self, run_id: int) -> RunRecord:
        with self._transaction(read_only=True) as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if row is None:
            raise self._not_found([run_id])
        return record_of(row)

    def events(self, run_id: int) -> list[RunEvent]:
        """What happened to a run that its status alone would hide (lost, revived), oldest first."""
        e = run_events.c
        with self._transaction(read_only=True) as conn:
            self._require(conn, [run_id])
            rows = conn.execute(select(e.at, e.kind, e.detail).where(e.run_id == run_id).order_by(e.id)).all()
        return [RunEvent(*row) for row in rows]

    def list_runs(
        self, model: str | None = None, status: RunStatus | None = None, limit: int | None = None, sweep: str | None = None
    ) -> list[RunRecord]:
        """Runs, newest first."""
        query = select(runs).order_by(runs.c.id.desc()).limit(limit)
        if sweep is not None:
            query = query.where(runs.c.sweep == sweep)
        if model is not None:
            query = query.where(runs.c.model == model)
        if status is not None:
            query = query.where(runs.c.status == status)
        with self._transaction(read_only=True) as conn:
            return [record_of(row) for row in conn.execute(query)]

    def steps_stored(self, run_id: int, below: int) -> int:
        """How many of the run's steps 0 to ``below`` - 1 are stored (all of them: ``below``)."""
        with self._transaction(read_only=True) as conn:
            return conn.scalar(select(func.count()).select_from(steps)
                               .where(steps.c.run_id == run_id, steps.c.step < below)) or 0

    def loss_summary(self, run_id: int) -> LossSummary:
        of_run = steps.c.run_id == run_id
        with self._transaction(read_only=True) as conn:
            self._require(conn, [run_id])
            s = summarise(conn, steps.c.step, steps.c.loss, of_run, "min")
            if not s.rows:
                return LossSummary(run_id, 0, None, None, None, None, None, 0)
            elapsed = conn.scalar(select(steps.c.elapsed).where(of_run).order_by(steps.c.step.desc()).limit(1))
        return LossSummary(
            run_id=run_id,
            steps=s.rows,
            first_loss=s.first,
            final_loss=s.final,
            best_loss=s.best.loss if s.best else None,
            best_step=s.best.step if s.best else None,
            steps_per_second=s.rows / elapsed if elapsed and elapsed > 0 else None,
            nonfinite=s.rows - s.finite,
        )

    def metric_names(self, run_ids: Iterable[int]) -> dict[int, list[str]]:
        """The names of the metrics each run recorded, sorted; every run asked about is a key."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            return metric_names(conn, ids) if ids else {}

    def metric_summary(self, run_id: int, name: str, direction: Direction) -> MetricSummary:
        """Count, first, final and best (finite, by ``direction``: "min" or "max") of one metric of a run."""
        with self._transaction(read_only=True) as conn:
            self._require(conn, [run_id])
            return metric_summary(conn, run_id, name, direction)
