"""Telling a dead run from a live one: heartbeats, and marking ``lost`` the running runs whose process is gone.

On this host a run is judged by its process (its pid and start time); on another, by the age of its
heartbeat (runner.environment.LOST_AFTER_SECONDS). Every verdict is recorded as a run event.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update

from runner.environment import LOST_AFTER_SECONDS
from runner.processes import host_name, process_alive
from runner.status import RunStatus
from runner.store.base import StoreBase
from runner.store.models import runs, utcnow
from runner.store.rows import LOST, STOPPED, add_event, owned, revive, silent, stored_summary

__all__ = ["Liveness"]


class Liveness(StoreBase):
    """runner.store.Store's heartbeats and lost-run verdicts."""

    def heartbeat(self, run_id: int) -> None:
        with self._transaction() as conn:
            revive(conn, run_id, "beat")
            if not conn.execute(update(runs).where(runs.c.id == run_id, *owned()).values(heartbeat_at=utcnow())).rowcount:
                raise self._not_ours(conn, run_id)

    def mark_lost(self, lost_after: float | None = None) -> list[int]:
        """Mark ``running`` runs whose process is gone as ``lost``, recording why; returns their ids.

        On this host a run is gone only when its process is: its pid is free, or
        is another process's (a different start time). A stopped or busy process
        keeps its run running however old its heartbeat. A run on another host is
        gone when its heartbeat is older than ``lost_after`` seconds (default
        $RUNNER_LOST_AFTER_SECONDS, see runner.environment); should its process
        write again, the run takes its status back. Its stored steps are kept and
        summarised. Every command that shows or schedules runs calls this first,
        so a dead run never stays running. A store opened read-only marks nothing
        and returns [].
        """
        if not self._writable:
            return []
        return [run_id for run_id, reason, still in self._gone(lost_after) if self._lose(run_id, reason, still)]

    def dead_runs(self, sweep: str | None = None, lost_after: float | None = None) -> list[int]:
        """The ``running`` runs (of ``sweep``, if given) that ``mark_lost`` would mark lost, read only: what a
        summary counts as lost while the database takes no writes (a full disk)."""
        return [run_id for run_id, _, _ in self._gone(lost_after, sweep)]

    def _gone(self, lost_after: float | None, sweep: str | None = None) -> list[tuple[int, str, ColumnElement[bool] | None]]:
        """Each running run whose process is gone (see mark_lost): its id, why, and what must still hold to mark it."""
        lost_after = LOST_AFTER_SECONDS if lost_after is None else lost_after
        host, now = host_name(), utcnow()
        cutoff = now - timedelta(seconds=lost_after)
        query = (select(runs.c.id, runs.c.host, runs.c.pid, runs.c.pid_start, runs.c.heartbeat_at)
                 .where(runs.c.status == RunStatus.RUNNING))
        if sweep is not None:
            query = query.where(runs.c.sweep == sweep)
        with self._transaction(read_only=True) as conn:
            running = conn.execute(query).all()
        gone: list[tuple[int, str, ColumnElement[bool] | None]] = []
        for r in running:
            if r.host == host and r.pid:
                if process_alive(r.pid, r.pid_start):
                    continue
                reused = " (its pid is now another process's)" if process_alive(r.pid, None) else ""
                gone.append((r.id, f"its process (pid {r.pid} on {host}) is gone{reused} {STOPPED}", None))
            else:
                if r.heartbeat_at is not None and r.heartbeat_at >= cutoff:
                    continue
                still = or_(runs.c.heartbeat_at.is_(None), runs.c.heartbeat_at < cutoff)  # unless it beat meanwhile
                gone.append((r.id, silent(r.host, r.heartbeat_at, now, lost_after), still))
        return gone

    def mark_process_lost(self, pid: int, pid_start: int | None, reason: str) -> list[int]:
        """Mark the ``running`` runs of process ``pid`` on this host (started at ``pid_start``, if known) as
        ``lost`` because of ``reason``: what a parent saw of its child's end. Returns their ids."""
        if not self._writable:
            return []
        of_process = [runs.c.status == RunStatus.RUNNING, runs.c.host == host_name(), runs.c.pid == pid]
        if pid_start is not None:
            of_process.append(or_(runs.c.pid_start.is_(None), runs.c.pid_start == pid_start))
        with self._transaction(read_only=True) as conn:
            ids = list(conn.scalars(select(runs.c.id).where(*of_process).order_by(runs.c.id)))
        return [run_id for run_id in ids if self._lose(run_id, reason, None)]

    def _lose(self, run_id: int, reason: str, still: ColumnElement[bool] | None) -> bool:
        """Mark one run lost, if it is still running (and ``still`` holds), and record why."""
        with self._transaction() as conn:
            final, best, count = stored_summary(conn, run_id)
            ended = conn.scalar(select(runs.c.heartbeat_at).where(runs.c.id == run_id)) or utcnow()
            condition = runs.c.status == RunStatus.RUNNING if still is None else and_(runs.c.status == RunStatus.RUNNING, still)
            if not conn.execute(
                update(runs)
                .where(runs.c.id == run_id, condition)
                .values(status=RunStatus.LOST, ended_at=ended, final_loss=final, best_loss=best, steps_done=count,
                        error=reason)
            ).rowcount:
                return False
            add_event(conn, run_id, LOST, reason)
            return True
