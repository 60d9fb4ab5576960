"""Queueing runs again: ``runner resume``'s interrupted and lost runs, and a sweep's retries of its lost ones.

What happens to each run's rows is runner.store.resuming's; here each call is one transaction, and the
files of the artifacts it dropped are removed once it has committed (as ``runner rm`` does).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from runner.status import RunStatus
from runner.store import artifacts as kept
from runner.store import resuming
from runner.store.artifacts import ArtifactInfo
from runner.store.base import StoreBase
from runner.store.models import runs

__all__ = ["Requeues"]


class Requeues(StoreBase):
    """runner.store.Store's requeues: resume's and retries'."""

    def requeue(self, run_ids: Iterable[int], restart: bool = False) -> dict[int, int]:
        """Queue interrupted and lost runs again, all or none; returns each one's step to continue from
        (its latest checkpoint's, or 0 with ``restart`` or without one: runner.store.resuming).
        RunStateError names a run in another status."""
        ids, removed = sorted(set(run_ids)), list[ArtifactInfo]()
        with self._transaction() as conn:
            self._require(conn, ids)
            found = {run_id: resuming.requeue(conn, run_id, restart, removed=removed) or 0 for run_id in ids}
        kept.remove_files(removed)  # after the commit, as runner rm does
        return found

    def continue_past_early_stop(self, run_id: int) -> int:
        """Queue again a run that stopped early, to continue from its checkpoint at the stop without early
        stopping (runner.store.resuming.reopen_stopped_early), in one transaction; returns the step it
        continues from. RunStateError, nothing changed, for a run that did not stop early or kept no checkpoint."""
        removed: list[ArtifactInfo] = []
        with self._transaction() as conn:
            self._require(conn, [run_id])
            resuming.reopen_stopped_early(conn, run_id)
            step = resuming.requeue(conn, run_id, False, removed=removed) or 0
        kept.remove_files(removed)
        return step

    def requeue_sweep(self, sweep: str, restart: bool = False) -> dict[int, int]:
        """``requeue`` for every interrupted and lost run of ``sweep`` (none is an error: another resume
        at the same time may have taken them); returns those this call queued."""
        removed: list[ArtifactInfo] = []
        with self._transaction() as conn:
            found = {run_id: resuming.requeue(conn, run_id, restart, strict=False, removed=removed)
                     for run_id in resuming.resumable(conn, sweep)}
        kept.remove_files(removed)
        return {run_id: step for run_id, step in found.items() if step is not None}

    def retry_lost(self, sweep: str, retries: int, run_ids: Iterable[int] | None = None) -> dict[int, int]:
        """Queue again the lost runs of ``sweep`` (of ``run_ids`` only, if given) claimed at most ``retries``
        times, to continue from their latest checkpoint (runner.store.resuming); returns those queued,
        with the step each continues from. A run claimed more often stays lost."""
        query = select(runs.c.id).where(runs.c.sweep == sweep, runs.c.status == RunStatus.LOST,
                                        runs.c.attempts <= retries).order_by(runs.c.id)
        if run_ids is not None:
            query = query.where(runs.c.id.in_(list(run_ids)))
        removed: list[ArtifactInfo] = []
        with self._transaction() as conn:
            found = {run_id: resuming.requeue(conn, run_id, False, strict=False, removed=removed)
                     for run_id in conn.scalars(query)}
        kept.remove_files(removed)
        return {run_id: step for run_id, step in found.items() if step is not None}
