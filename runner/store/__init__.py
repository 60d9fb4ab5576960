"""Where runs, every step's loss and every recorded metric are kept: SQLite by default, or PostgreSQL.

    store = open_store()                      # resolve_url(None): $RUNNER_DB, else sqlite:///experiments.db
    run_id = store.create_run(config, device="cpu")
    store.append_steps(run_id, [(0, 1.25, 0.01), (1, 1.10, 0.02)], metrics=[("accuracy", 1, 0.5)])
    store.finish_run(run_id, RunStatus.COMPLETED, final_loss=1.10, best_loss=1.10)

A run marked lost records why in ``run_events``; a lost run whose process
writes again (append_steps, heartbeat, finish_run) takes its status back, and
that is recorded too (``events``).

Every method is one transaction. Database errors come out as StorageError
and missing run ids as RunNotFound, each with a one-line message. Nothing
here imports torch, and opening a database whose schema is current does not
import alembic.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import make_url

from runner.environment import LOST_AFTER_SECONDS
from runner.errors import CheckpointError, NoDatabase, StorageError
from runner.processes import host_name, process_alive
from runner.status import RunStatus
from runner.store import artifacts as kept
from runner.store import names, resuming
from runner.store.artifacts import Artifact, ArtifactInfo
from runner.store.bulk import insert_metrics, insert_steps
from runner.store.db import (
    check_schema,
    create_engine_for,
    display_url,
    empty_engine,
    ensure_schema,
    sqlite_path,
    sqlite_writable,
    to_url,
)
from runner.store.models import HEAD, run_events, runs, steps, sweep_stops, sweeps, utcnow
from runner.store.records import LossSummary, RunEvent, RunRecord, record_of
from runner.store.rows import (
    LOST,
    STOPPED,
    add_event,
    check_status,
    insert_run,
    new_run,
    owned,
    revive,
    silent,
    stored_summary,
    take,
)
from runner.store.sampling import StepExtent
from runner.store.streams import STREAM_BATCH, Streams
from runner.store.summaries import MetricSummary, metric_names, metric_summary, summarise

if TYPE_CHECKING:
    from runner.config import RunConfig
    from runner.metrics import Direction

__all__ = [
    "Artifact", "ArtifactInfo",
    "DEFAULT_URL", "STREAM_BATCH", "URL_VARIABLE", "LossSummary", "MetricSummary", "RunEvent", "RunRecord", "StepExtent", "Store",
    "open_store", "resolve_url",
]

DEFAULT_URL = "sqlite:///experiments.db"
URL_VARIABLE = "RUNNER_DB"  # the environment variable that names the database when no URL is given


def resolve_url(url: str | None = None) -> str:
    """The database to use: ``url`` if given, else $RUNNER_DB, else DEFAULT_URL (./experiments.db)."""
    return url or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def open_store(url: str | None = None, create: bool = True, must_exist: bool = False) -> Store:
    """Open the store at ``resolve_url(url)``.

    ``create`` (commands that write): a new database gets runner's schema and an old one
    is upgraded. Without it (commands that only read) nothing is created or upgraded:
    a database that does not exist yet, or has no tables, reads as one with no runs; an
    out-of-date one is refused; a SQLite file this process cannot write (a read-only
    filesystem) is opened read-only, and the store then marks no run lost. Either way a
    database that is not runner's (runner.store.db.check_ours) is refused untouched.
    ``must_exist`` (commands that work on stored runs: rm, resume, stop, show, a sweep's workers): a SQLite
    file that does not exist is refused (NoDatabase) rather than created or read as empty.
    """
    url = resolve_url(url)
    engine = create_engine_for(url)
    path = sqlite_path(make_url(to_url(url)))
    where = path or display_url(url)
    if must_exist and path is not None and not os.path.exists(path):
        engine.dispose()
        raise NoDatabase(f"no database at {path}; give --db the file your runs are in (or set ${URL_VARIABLE})")
    try:
        if path is not None and not os.path.exists(path):
            revision = None  # nothing to look at, and a read-only look would fail
        else:
            probe = create_engine_for(url, read_only=True) if path is not None else engine
            try:
                revision = check_schema(probe, where, create)  # before anything (WAL mode too) is written
            finally:
                if probe is not engine:
                    probe.dispose()
        if not create and revision is None:
            engine.dispose()
            return Store(empty_engine(), url, where, writable=False)
        if create and revision != HEAD:
            ensure_schema(engine, where)
        if not create and path is not None and not sqlite_writable(path):
            engine.dispose()
            return Store(create_engine_for(url, read_only=True), url, where, writable=False)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, url, where)


def recorded(options: dict[str, Any] | None) -> dict[str, Any]:
    """The options column's value for a new run: none given is SQL NULL (a JSON column would keep None as 'null')."""
    return {} if options is None else {"options": options}


class Store(Streams):
    """A runner database: every method is one transaction (see the module's docstring)."""

    # writing

    def create_run(
        self, config: RunConfig, device: str, status: RunStatus = RunStatus.RUNNING, sweep: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> int:
        """Record a new run of ``config`` on ``device``, started with ``options`` (ExecOptions.recorded(), kept
        for runner resume); returns its id."""
        check_status(status)
        with self._transaction() as conn:
            return insert_run(conn, {**new_run(config, device, status, sweep), **recorded(options)})

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
        """Record how ``sweep`` is worked (its jobs, executor and their settings: runner.cli.executors), so that
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

    def _skip_locked(self, query: Select) -> Select:
        """``query`` with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time anyway."""
        return query.with_for_update(skip_locked=True) if self._engine.dialect.name == "postgresql" else query

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
        $RUNNER_LOST_AFTER_SECONDS, see runner.heartbeat); should its process
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

    def requeue_sweep(self, sweep: str, restart: bool = False) -> dict[int, int]:
        """``requeue`` for every interrupted and lost run of ``sweep`` (none is an error: another resume
        at the same time may have taken them); returns those this call queued."""
        removed: list[ArtifactInfo] = []
        with self._transaction() as conn:
            found = {run_id: resuming.requeue(conn, run_id, restart, strict=False, removed=removed)
                     for run_id in resuming.resumable(conn, sweep)}
        kept.remove_files(removed)
        return {run_id: step for run_id, step in found.items() if step is not None}

    def claim_run(self, run_id: int, device: str, slot: str | None = None) -> RunRecord | None:
        """Take queued run ``run_id`` as ``claim`` takes a sweep's next one; None if it is not queued (any more)."""
        with self._transaction() as conn:
            if conn.scalar(self._skip_locked(select(runs.c.id).where(runs.c.id == run_id))) is None:
                return None  # another claimer holds it this moment (PostgreSQL), or it is gone
            return take(conn, run_id, device, slot)

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

    def stop_sweep(self, sweep: str, by: str) -> None:
        """Ask every worker of ``sweep``, on every host, to stop (see runner.stopping); ``by``: who asks."""
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

    # artifacts: checkpoints and weights (runner.store.artifacts)

    def save_artifact(
        self, run_id: int, kind: str, step: int, data: bytes, fmt: str, keep: int = 1, directory: str | None = None
    ) -> ArtifactInfo:
        """Keep ``data`` as run ``run_id``'s newest ``kind`` ("checkpoint" or "weights"), saved after ``step``
        steps, in the database or (``directory``, the run's artifacts root) in a file under it; older ones beyond
        ``keep`` are removed (a file that cannot be is left with a warning line)."""
        kept.check_kind(kind)
        root = os.path.realpath(directory) if directory else None
        path = self._write_file(root, run_id, kind, step, fmt, data) if root else None
        try:
            with self._transaction() as conn:
                self._require(conn, [run_id])
                # the run's root recorded here too, should its options lack it (a run created before 0009's options)
                recorded = kept.claim_root(conn, run_id, root) if root else None
                info = kept.insert_artifact(conn, run_id, kind, step, fmt, data, path, recorded)
                old = kept.prune(conn, run_id, kind, keep)
        except BaseException:
            if root and path:
                kept.discard(root, path)
            raise
        kept.remove_files(old)
        return info

    def drop_artifacts(self, run_id: int, kind: str) -> None:
        """Remove every ``kind`` the run keeps (a completed run's checkpoints, which nothing resumes)."""
        kept.check_kind(kind)
        with self._transaction() as conn:
            old = kept.prune(conn, run_id, kind, 0)
        kept.remove_files(old)

    def latest_artifact(self, run_id: int, kind: str) -> Artifact | None:
        """Run ``run_id``'s newest ``kind`` with its bytes, checked against their SHA-256 (None: none kept).
        CheckpointError if its file is missing or the bytes are not the ones saved."""
        kept.check_kind(kind)
        with self._transaction(read_only=True) as conn:
            self._require(conn, [run_id])
            found = kept.latest(conn, run_id, kind)
        return None if found is None else kept.verified(*found)

    def artifacts(self, run_ids: Iterable[int]) -> dict[int, list[ArtifactInfo]]:
        """What each run keeps (no bytes), oldest first; every run asked about is a key."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            found: dict[int, list[ArtifactInfo]] = {i: [] for i in ids}
            for info in kept.infos(conn, ids) if ids else []:
                found[info.run_id].append(info)
        return found

    @staticmethod
    def _write_file(directory: str, run_id: int, kind: str, step: int, fmt: str, data: bytes) -> str:
        if not os.path.isdir(directory):
            raise CheckpointError(f"the artifacts directory {directory} does not exist; create it or give another")
        try:
            return kept.write_file(directory, run_id, kind, step, fmt, data)
        except OSError as exc:
            raise StorageError(f"cannot write the {kind} of run {run_id} under {directory} ({exc.strerror or exc}); "
                               "free space or give another --artifacts directory") from None

    # reading

    def get_run(self, run_id: int) -> RunRecord:
        with self._transaction(read_only=True) as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if row is None:
            raise self._not_found([run_id])
        return record_of(row)

    def add_event(self, run_id: int, kind: str, detail: str) -> None:
        """Record that ``kind`` happened to the run (see RunEvent), in words."""
        with self._transaction() as conn:
            self._require(conn, [run_id])
            add_event(conn, run_id, kind, detail)

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
