"""Sweeps in the store: their queued runs, how they are worked, claims of their runs, counts and stop flags.

A claim is a compare and set (runner.store.rows.take), so two workers in any processes never take the
same run; on PostgreSQL the candidate is locked with SKIP LOCKED first (benchmarks/claims.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, func, insert, select, update

from runner.status import RunStatus
from runner.store import names
from runner.store.base import StoreBase
from runner.store.models import runs, sweep_stops, sweeps, utcnow
from runner.store.records import RunRecord
from runner.store.rows import insert_run, new_run, recorded, take

if TYPE_CHECKING:
    from runner.config import RunConfig

__all__ = ["Sweeps"]


class Sweeps(StoreBase):
    """runner.store.Store's sweep methods: enqueue and claim runs, record how a sweep is worked, ask it to stop."""

    def enqueue(
        self, configs: Sequence[RunConfig], sweep: str, options: dict[str, Any] | None = None, add: bool = False
    ) -> list[int]:
        """Store every run of a grid as queued in sweep ``sweep``, all in one transaction, each with ``options`` (as
        create_run); returns their ids in order.

        SweepNameTaken (nothing stored) if another sweep has the name, unless ``add``: add these runs to it."""
        with self._transaction() as conn:
            names.take_name(conn, sweep, add)
            return [insert_run(conn, {**new_run(config, config.device, RunStatus.QUEUED, sweep), **recorded(options)})
                    for config in configs]

    def record_sweep_options(self, sweep: str, options: dict[str, Any]) -> None:
        """Record how ``sweep`` is worked (its jobs, executor and their settings: runner.cli.executor_options), so that
        runner resume works it alike; the newest start's replace an earlier one's."""
        with self._transaction() as conn:
            if not conn.execute(update(sweeps).where(sweeps.c.name == sweep).values(options=options)).rowcount:
                conn.execute(insert(sweeps).values(name=sweep, created_at=utcnow(), options=options))

    def sweep_options(self, sweep: str) -> dict[str, Any]:
        """What ``record_sweep_options`` recorded for ``sweep`` ({}: nothing, or a sweep from before it)."""
        with self._transaction(read_only=True) as conn:
            options = conn.scalar(select(sweeps.c.options).where(sweeps.c.name == sweep))
        return options if isinstance(options, dict) else {}

    def claim(self, sweep: str, accepts: Sequence[str], device: str, slot: str | None = None) -> RunRecord | None:
        """Take the oldest queued run of ``sweep`` that asked for one of ``accepts``.

        The run becomes ``running`` on ``device``, owned by this process (of ``slot``). The
        update only succeeds while the run is still queued (compare and set),
        so two workers, in any processes, never take the same run. On
        PostgreSQL the candidate is locked with SKIP LOCKED first, so that
        claimers at once take different runs instead of racing for the oldest
        (benchmarks/claims.py).
        """
        query = (select(runs.c.id)
                 .where(runs.c.sweep == sweep, runs.c.status == RunStatus.QUEUED, runs.c.device.in_(list(accepts)))
                 .order_by(runs.c.id).limit(1))
        while True:
            with self._transaction() as conn:
                candidate = conn.scalar(self._skip_locked(query))
                if candidate is None:
                    return None
                taken = take(conn, candidate, device, slot)
                if taken is not None:
                    return taken

    def claim_run(self, run_id: int, device: str, slot: str | None = None) -> RunRecord | None:
        """Take queued run ``run_id`` as ``claim`` takes a sweep's next one; None if it is not queued (any more)."""
        with self._transaction() as conn:
            if conn.scalar(self._skip_locked(select(runs.c.id).where(runs.c.id == run_id))) is None:
                return None  # another claimer holds it this moment (PostgreSQL), or it is gone
            return take(conn, run_id, device, slot)

    def _skip_locked(self, query: Select) -> Select:
        """``query`` with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time anyway."""
        return query.with_for_update(skip_locked=True) if self._engine.dialect.name == "postgresql" else query

    def sweep_counts(self, sweep: str) -> dict[RunStatus, int]:
        """How many runs of ``sweep`` have each status."""
        with self._transaction(read_only=True) as conn:
            rows = conn.execute(select(runs.c.status, func.count()).where(runs.c.sweep == sweep).group_by(runs.c.status))
            return {status: n for status, n in rows}

    def latest_sweep(self, status: RunStatus | Sequence[RunStatus] | None = None) -> str | None:
        """The newest sweep (with a run of ``status``, or of one of several, if given)."""
        query = select(runs.c.sweep).where(runs.c.sweep.is_not(None)).order_by(runs.c.id.desc()).limit(1)
        if status is not None:
            query = query.where(runs.c.status.in_([status] if isinstance(status, str) else list(status)))
        with self._transaction(read_only=True) as conn:
            return conn.scalar(query)

    def stop_sweep(self, sweep: str, by: str) -> None:
        """Ask every worker of ``sweep``, on every host, to stop (see runner.execution.stopping); ``by``: who asks."""
        with self._transaction() as conn:
            conn.execute(delete(sweep_stops).where(sweep_stops.c.sweep == sweep))
            conn.execute(insert(sweep_stops).values(sweep=sweep, at=utcnow(), by=by))

    def sweep_stopped(self, sweep: str) -> bool:
        with self._transaction(read_only=True) as conn:
            return conn.scalar(select(sweep_stops.c.sweep).where(sweep_stops.c.sweep == sweep)) is not None

    def clear_stop(self, sweep: str) -> None:
        """The sweep may run again: ``runner resume`` works it on purpose. Nothing else clears a stop (a new sweep
        of a freed name starts without one: runner.store.names), so no stop is lost to the sweep it stops."""
        with self._transaction() as conn:
            conn.execute(delete(sweep_stops).where(sweep_stops.c.sweep == sweep))
