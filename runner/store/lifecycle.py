"""A run's life in the store: created, its steps and metrics written, its end recorded, events noted, deleted.

Only the run's own process writes to a running run (runner.store.rows.owned): any other write is refused
with RunTakenOver, and a lost run whose process writes again takes its status back (rows.revive).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from runner.status import RunStatus
from runner.store import artifacts as kept
from runner.store import names
from runner.store.base import StoreBase
from runner.store.bulk import insert_metrics, insert_steps
from runner.store.models import runs, steps, utcnow
from runner.store.rows import add_event, check_status, insert_run, new_run, owned, recorded, revive

if TYPE_CHECKING:
    from runner.config import RunConfig

__all__ = ["Lifecycle"]


class Lifecycle(StoreBase):
    """runner.store.Store's writes of one run, from its creation to its deletion."""

    def create_run(
        self, config: RunConfig, device: str, status: RunStatus = RunStatus.RUNNING, sweep: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> int:
        """Record a new run of ``config`` on ``device``, started with ``options`` (ExecOptions.recorded(), kept
        for runner resume); returns its id."""
        check_status(status)
        with self._transaction() as conn:
            return insert_run(conn, {**new_run(config, device, status, sweep), **recorded(options)})

    def record_setup(self, run_id: int, threads: int | None, packages: dict[str, Any] | None) -> None:
        """Record what the run's process trains it with: its CPU threads (runner.training.threads) and its
        plugin packages (runner.training.provenance), each time a process starts or resumes it."""
        with self._transaction() as conn:
            touched = conn.execute(
                update(runs).where(runs.c.id == run_id, *owned()).values(threads=threads, packages=packages)
            ).rowcount
            if not touched:
                raise self._not_ours(conn, run_id)

    def append_steps(
        self,
        run_id: int,
        rows: Sequence[tuple[int, float, float]],
        metrics: Sequence[tuple[str, int, float]] = (),
        again: bool = False,
    ) -> None:
        """Store (step, loss, elapsed) rows and (name, step, value) metric rows, all in one transaction,
        each kind with one bulk insert. Either may be empty (evaluation values can come after their steps).
        ``again``: rows offered again after a lost connection; those stored already are skipped (see bulk)."""
        if not rows and not metrics:
            return
        progress = dict(steps_done=runs.c.steps_done + len(rows), final_loss=rows[-1][1]) if rows else {}
        with self._transaction() as conn:
            revive(conn, run_id, "stored steps")
            touched = conn.execute(
                update(runs).where(runs.c.id == run_id, *owned()).values(heartbeat_at=utcnow(), **progress)
            ).rowcount
            if not touched:
                raise self._not_ours(conn, run_id)
            if rows:
                insert_steps(conn, run_id, rows, again)
            if metrics:
                insert_metrics(conn, run_id, metrics, again)

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        final_loss: float | None,
        best_loss: float | None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended; steps_done becomes the number of steps stored. A run marked lost
        meanwhile was not: it takes this status, and its revival is recorded."""
        check_status(status)
        now = utcnow()
        stored = select(func.count()).select_from(steps).where(steps.c.run_id == run_id).scalar_subquery()
        with self._transaction() as conn:
            revive(conn, run_id, f"recorded its end ({status})")
            touched = conn.execute(
                update(runs)
                .where(runs.c.id == run_id, *owned())
                .values(
                    status=status,
                    final_loss=final_loss,
                    best_loss=best_loss,
                    error=error,
                    ended_at=now,
                    heartbeat_at=now,
                    steps_done=stored,
                )
            ).rowcount
            if not touched:
                raise self._not_ours(conn, run_id)

    def add_event(self, run_id: int, kind: str, detail: str) -> None:
        """Record that ``kind`` happened to the run (see RunEvent), in words."""
        with self._transaction() as conn:
            self._require(conn, [run_id])
            add_event(conn, run_id, kind, detail)

    def delete_runs(self, run_ids: Iterable[int]) -> int:
        """Delete runs with their steps and metrics, all or nothing; returns how many runs were deleted.
        A sweep left with no run is forgotten: its name is free again (runner.store.names)."""
        ids = sorted(set(run_ids))
        if not ids:
            return 0
        with self._transaction() as conn:
            self._require(conn, ids)
            files = kept.files_of(conn, ids)
            kept.unremovable(files)  # a read-only disk: nothing is deleted, rather than rows without files
            swept = set(conn.scalars(select(runs.c.sweep).where(runs.c.id.in_(ids))))
            # their steps, metrics and artifacts go by ON DELETE CASCADE
            deleted = conn.execute(delete(runs).where(runs.c.id.in_(ids))).rowcount
            names.free_names(conn, swept)  # a sweep whose last run went: its name may be used again
        kept.remove_files(files)  # after the commit: a failed delete leaves every file in place
        return deleted
