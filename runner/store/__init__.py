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

import importlib.metadata
import os
import platform
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import make_url

from runner.errors import CheckpointError, RunnerError, RunNotFound, RunTakenOver, StorageError
from runner.heartbeat import LOST_AFTER_SECONDS, LOST_VARIABLE
from runner.processes import host_name, process_alive, start_time
from runner.status import VALUES, RunStatus
from runner.store import artifacts as kept
from runner.store import resuming
from runner.store.artifacts import Artifact, ArtifactInfo
from runner.store.bulk import insert_metrics, insert_steps
from runner.store.db import (
    READ_ONLY,
    check_same_file,
    check_schema,
    create_engine_for,
    display_url,
    empty_engine,
    ensure_schema,
    file_identity,
    sqlite_path,
    sqlite_writable,
    to_url,
    transaction,
)
from runner.store.models import HEAD, run_events, runs, steps, sweep_stops, utcnow
from runner.store.models import metrics as metrics_table
from runner.store.sampling import StepExtent, metric_extents, sampled_metric, sampled_steps, step_extents
from runner.store.summaries import MetricSummary, metric_names, metric_summary, summarise

if TYPE_CHECKING:
    from runner.config import RunConfig
    from runner.metrics import Direction

__all__ = [
    "Artifact", "ArtifactInfo",
    "DEFAULT_URL", "URL_VARIABLE", "LossSummary", "MetricSummary", "RunEvent", "RunRecord", "StepExtent", "Store",
    "open_store", "resolve_url",
]

DEFAULT_URL = "sqlite:///experiments.db"
URL_VARIABLE = "RUNNER_DB"  # the environment variable that names the database when no URL is given
STREAM_BATCH = 10_000  # rows fetched at a time by iter_steps and iter_metrics
STOPPED = "without recording an end (killed, out of memory, or a power loss)"
LOST, REVIVED = "lost", "revived"  # the kinds of run_events
OWNED_STATUSES = (RunStatus.RUNNING, RunStatus.LOST)  # a run its process may write to (see _owned)
INF = float("inf")


@dataclass(frozen=True)
class RunRecord:
    """One row of the runs table."""

    id: int
    name: str | None
    sweep: str | None
    model: str
    optimizer: str
    dataset: str
    lr: float
    steps: int
    seed: int
    device: str
    config: dict[str, Any]
    status: RunStatus
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    heartbeat_at: datetime | None
    steps_done: int
    final_loss: float | None
    best_loss: float | None
    error: str | None
    host: str | None
    pid: int | None
    pid_start: int | None  # when that process started (runner.processes.start_time); None without /proc
    python_version: str | None
    torch_version: str | None
    numpy_version: str | None
    runner_version: str | None
    attempts: int = 0  # claims so far: a dead worker's run is retried while this is at most --retries


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to a run that its status alone would hide: ``kind`` is "lost", "revived",
    "requeued" (by runner resume) or "resumed" (from a checkpoint, by a process on some host)."""

    at: datetime
    kind: str
    detail: str | None


@dataclass(frozen=True)
class LossSummary:
    """What a run's stored losses add up to."""

    run_id: int
    steps: int  # steps stored
    first_loss: float | None
    final_loss: float | None
    best_loss: float | None  # the lowest finite loss
    best_step: int | None
    steps_per_second: float | None  # steps / the last step's elapsed seconds
    nonfinite: int  # NaN, inf and -inf losses


def resolve_url(url: str | None = None) -> str:
    """The database to use: ``url`` if given, else $RUNNER_DB, else DEFAULT_URL (./experiments.db)."""
    return url or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def open_store(url: str | None = None, create: bool = True) -> Store:
    """Open the store at ``resolve_url(url)``.

    ``create`` (commands that write): a new database gets runner's schema and an old one
    is upgraded. Without it (commands that only read) nothing is created or upgraded:
    a database that does not exist yet, or has no tables, reads as one with no runs; an
    out-of-date one is refused; a SQLite file this process cannot write (a read-only
    filesystem) is opened read-only, and the store then marks no run lost. Either way a
    database holding someone else's tables and none of runner's is refused untouched.
    """
    url = resolve_url(url)
    engine = create_engine_for(url)
    path = sqlite_path(make_url(to_url(url)))
    where = path or display_url(url)
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


class Store:
    def __init__(self, engine: Engine, url: str, where: str | None = None, writable: bool = True):
        self._engine = engine
        self._writable = writable  # False: opened read-only (see open_store), so mark_lost changes nothing
        self._reader = engine.execution_options(**{READ_ONLY: True})
        self._url = display_url(url)
        self._where = where or self._url
        # A SQLite file deleted or replaced under this process must not swallow its writes unseen:
        # each write transaction first checks that the file is still the one opened here (one stat).
        self._path = sqlite_path(engine.url) if writable else None
        self._identity = file_identity(self._path) if self._path else None

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return self._url

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._url!r})"

    def _transaction(self, read_only: bool = False):  # -> ContextManager[Connection]
        if not read_only and self._path and self._identity:
            check_same_file(self._path, self._identity)
        return transaction(self._reader if read_only else self._engine, self._where)

    # writing

    def create_run(
        self, config: RunConfig, device: str, status: RunStatus = RunStatus.RUNNING, sweep: str | None = None
    ) -> int:
        """Record a new run of ``config`` on ``device``; returns its id."""
        _check_status(status)
        with self._transaction() as conn:
            return _insert_run(conn, _new_run(config, device, status, sweep))

    def enqueue(self, configs: Sequence[RunConfig], sweep: str) -> list[int]:
        """Store every run of a grid as queued, all in one transaction; returns their ids in order."""
        with self._transaction() as conn:
            return [_insert_run(conn, _new_run(config, config.device, RunStatus.QUEUED, sweep)) for config in configs]

    def claim(self, sweep: str, accepts: Sequence[str], device: str) -> RunRecord | None:
        """Take the oldest queued run of ``sweep`` that asked for one of ``accepts``.

        The run becomes ``running`` on ``device``, owned by this process. The
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
                taken = _take(conn, candidate, device)
                if taken is not None:
                    return taken

    def _skip_locked(self, query: Select) -> Select:
        """``query`` with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time anyway."""
        return query.with_for_update(skip_locked=True) if self._engine.dialect.name == "postgresql" else query

    def heartbeat(self, run_id: int) -> None:
        with self._transaction() as conn:
            _revive(conn, run_id, "beat")
            if not conn.execute(update(runs).where(runs.c.id == run_id, *_owned()).values(heartbeat_at=utcnow())).rowcount:
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
        lost_after = LOST_AFTER_SECONDS if lost_after is None else lost_after
        host, now = host_name(), utcnow()
        cutoff = now - timedelta(seconds=lost_after)
        with self._transaction(read_only=True) as conn:
            running = conn.execute(
                select(runs.c.id, runs.c.host, runs.c.pid, runs.c.pid_start, runs.c.heartbeat_at)
                .where(runs.c.status == RunStatus.RUNNING)
            ).all()
        lost = []
        for r in running:
            if r.host == host and r.pid:
                if process_alive(r.pid, r.pid_start):
                    continue
                reused = " (its pid is now another process's)" if process_alive(r.pid, None) else ""
                reason, still = f"its process (pid {r.pid} on {host}) is gone{reused} {STOPPED}", None
            else:
                if r.heartbeat_at is not None and r.heartbeat_at >= cutoff:
                    continue
                reason = silent(r.host, r.heartbeat_at, now, lost_after)
                still = or_(runs.c.heartbeat_at.is_(None), runs.c.heartbeat_at < cutoff)  # unless it beat meanwhile
            if self._lose(r.id, reason, still):
                lost.append(r.id)
        return lost

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
            final, best, count = _stored_summary(conn, run_id)
            ended = conn.scalar(select(runs.c.heartbeat_at).where(runs.c.id == run_id)) or utcnow()
            condition = runs.c.status == RunStatus.RUNNING if still is None else and_(runs.c.status == RunStatus.RUNNING, still)
            if not conn.execute(
                update(runs)
                .where(runs.c.id == run_id, condition)
                .values(status=RunStatus.LOST, ended_at=ended, final_loss=final, best_loss=best, steps_done=count,
                        error=reason)
            ).rowcount:
                return False
            _add_event(conn, run_id, LOST, reason)
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
            _revive(conn, run_id, "stored steps")
            touched = conn.execute(
                update(runs).where(runs.c.id == run_id, *_owned()).values(heartbeat_at=utcnow(), **progress)
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
        _check_status(status)
        now = utcnow()
        stored = select(func.count()).select_from(steps).where(steps.c.run_id == run_id).scalar_subquery()
        with self._transaction() as conn:
            _revive(conn, run_id, f"recorded its end ({status})")
            touched = conn.execute(
                update(runs)
                .where(runs.c.id == run_id, *_owned())
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
        ids = sorted(set(run_ids))
        with self._transaction() as conn:
            self._require(conn, ids)
            return {run_id: resuming.requeue(conn, run_id, restart) or 0 for run_id in ids}

    def requeue_sweep(self, sweep: str, restart: bool = False) -> dict[int, int]:
        """``requeue`` for every interrupted and lost run of ``sweep`` (none is an error: another resume
        at the same time may have taken them); returns those this call queued."""
        with self._transaction() as conn:
            found = {run_id: resuming.requeue(conn, run_id, restart, strict=False) for run_id in resuming.resumable(conn, sweep)}
        return {run_id: step for run_id, step in found.items() if step is not None}

    def claim_run(self, run_id: int, device: str) -> RunRecord | None:
        """Take queued run ``run_id`` as ``claim`` takes a sweep's next one; None if it is not queued (any more)."""
        with self._transaction() as conn:
            if conn.scalar(self._skip_locked(select(runs.c.id).where(runs.c.id == run_id))) is None:
                return None  # another claimer holds it this moment (PostgreSQL), or it is gone
            return _take(conn, run_id, device)

    def retry_lost(self, sweep: str, retries: int, run_ids: Iterable[int] | None = None) -> dict[int, int]:
        """Queue again the lost runs of ``sweep`` (of ``run_ids`` only, if given) claimed at most ``retries``
        times, to continue from their latest checkpoint (runner.store.resuming); returns those queued,
        with the step each continues from. A run claimed more often stays lost."""
        query = select(runs.c.id).where(runs.c.sweep == sweep, runs.c.status == RunStatus.LOST,
                                        runs.c.attempts <= retries).order_by(runs.c.id)
        if run_ids is not None:
            query = query.where(runs.c.id.in_(list(run_ids)))
        with self._transaction() as conn:
            found = {run_id: resuming.requeue(conn, run_id, False, strict=False) for run_id in conn.scalars(query)}
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
        """The sweep may run again (runner resume, a new runner run with its name)."""
        with self._transaction() as conn:
            conn.execute(delete(sweep_stops).where(sweep_stops.c.sweep == sweep))

    def delete_runs(self, run_ids: Iterable[int]) -> int:
        """Delete runs with their steps and metrics, all or nothing; returns how many runs were deleted."""
        ids = sorted(set(run_ids))
        if not ids:
            return 0
        with self._transaction() as conn:
            self._require(conn, ids)
            files = kept.files_of(conn, ids)
            # their steps, metrics and artifacts go by ON DELETE CASCADE
            deleted = conn.execute(delete(runs).where(runs.c.id.in_(ids))).rowcount
        kept.remove_files(files)  # after the commit: a failed delete leaves every file in place
        return deleted

    # artifacts: checkpoints and weights (runner.store.artifacts)

    def save_artifact(
        self, run_id: int, kind: str, step: int, data: bytes, fmt: str, keep: int = 1, directory: str | None = None
    ) -> ArtifactInfo:
        """Keep ``data`` as run ``run_id``'s newest ``kind`` ("checkpoint" or "weights"), saved after ``step``
        steps, in the database or (``directory``) in a file under it; older ones beyond ``keep`` are removed."""
        kept.check_kind(kind)
        path = self._write_file(directory, run_id, kind, step, fmt, data) if directory else None
        try:
            with self._transaction() as conn:
                self._require(conn, [run_id])
                info = kept.insert_artifact(conn, run_id, kind, step, fmt, data, path)
                old = kept.prune(conn, run_id, kind, keep)
        except BaseException:
            kept.remove_files([path] if path else [])
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
        return _record(row)

    def add_event(self, run_id: int, kind: str, detail: str) -> None:
        """Record that ``kind`` happened to the run (see RunEvent), in words."""
        with self._transaction() as conn:
            self._require(conn, [run_id])
            _add_event(conn, run_id, kind, detail)

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
            return [_record(row) for row in conn.execute(query)]

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

    def iter_steps(self, run_ids: list[int] | None = None) -> Iterator[tuple[int, int, float, float]]:
        """(run_id, step, loss, elapsed) for the given runs (all if None), by run then step, streamed."""
        ids = None if run_ids is None else sorted(set(run_ids))
        if ids:
            with self._transaction(read_only=True) as conn:
                self._require(conn, ids)  # raised here, not at the first next()
        query = select(steps.c.run_id, steps.c.step, steps.c.loss, steps.c.elapsed).order_by(steps.c.run_id, steps.c.step)
        if ids is not None:
            query = query.where(steps.c.run_id.in_(ids))
        # float() also reads back the text 'NaN' that SQLite stores for NaN (see LossFloat).
        return (
            (run_id, step, float(loss), elapsed)
            for batch in self._stream(query, "runner_steps")
            for run_id, step, loss, elapsed in batch
        )

    def step_extents(self, run_ids: Iterable[int]) -> dict[int, StepExtent]:
        """Each run's count of steps, first and last step, lowest and highest loss (runs with no steps left out),
        in one pass over the rows: what ``iter_sampled_steps`` needs to know first."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            return step_extents(conn, ids) if ids else {}

    def iter_sampled_steps(
        self, extents: Iterable[StepExtent], every: int
    ) -> Iterator[tuple[int, list[tuple[int, float, float]]]]:
        """(run_id, its rows) for each run of ``extents`` (as ``step_extents`` gave them): the (step, loss,
        elapsed) rows whose step is a multiple of ``every``, those holding its lowest and highest loss,
        and its first and last, by step. Each run is one query, in one read transaction (and the first
        ``next()`` runs it: a ValueError for ``every`` comes then)."""
        extents = list(extents)
        grid = {e.run_id: {"origin": 0, "spacing": 1} for e in extents}  # every step stored: its multiples of every
        return self._iter_sampled(sampled_steps(), extents, every, grid)

    def metric_extents(self, run_ids: Iterable[int], name: str) -> dict[int, StepExtent]:
        """Each run's count of values of metric ``name``, first and last step, lowest and highest value (runs
        that did not record it left out), in one pass over its rows: what ``iter_sampled_metric`` needs."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            return metric_extents(conn, ids, name) if ids else {}

    def iter_sampled_metric(
        self, name: str, extents: Iterable[StepExtent], every: int
    ) -> Iterator[tuple[int, list[tuple[int, float]]]]:
        """(run_id, its rows) for each run of ``extents`` (as ``metric_extents`` gave them): the (step, value)
        rows of metric ``name``, one in each ``every`` steps (a run recording it every k steps: in the first
        k steps of each ``every`` from its first step), those holding its lowest and highest value, and its
        first and last, by step; as ``iter_sampled_steps``."""
        extents = list(extents)
        grid = {e.run_id: {"origin": e.first_step, "spacing": e.spacing} for e in extents}
        return self._iter_sampled(sampled_metric(name), extents, every, grid)

    def _iter_sampled(
        self, query: Select, extents: list[StepExtent], every: int, grid: Mapping[int, Mapping[str, int]]
    ) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        """Each run's rows of ``query`` (runner.store.sampling.sampled_rows), run by run in one transaction;
        the statement is compiled once and run through the driver's cursor (a thousand runs: a thousand runs of
        one statement, without SQLAlchemy's cost per execution)."""
        if every < 1:
            raise ValueError(f"every must be at least 1, not {every}")
        with self._transaction(read_only=True) as conn:
            compiled = query.compile(dialect=self._engine.dialect)
            sql, positional = str(compiled), compiled.positiontup if compiled.positional else None
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                for e in extents:
                    values = {"run_id": e.run_id, "every": every, **grid[e.run_id], "low": e.low, "high": e.high,
                              "first": e.first_step, "last": e.last_step}
                    params = compiled.construct_params(values)
                    cursor.execute(sql, params if positional is None else tuple(params[k] for k in positional))
                    # float() also reads back the text 'NaN' that SQLite stores for NaN (see LossFloat).
                    yield e.run_id, [(step, float(value), *rest) for step, value, *rest in cursor.fetchall()]
            finally:
                cursor.close()

    def iter_metrics(
        self, run_ids: Iterable[int], names: Iterable[str] | None = None
    ) -> Iterator[tuple[int, str, int, float]]:
        """(run_id, name, step, value) of the given runs' metrics (those in ``names``, or all),
        by run, name, then step, streamed."""
        ids = sorted(set(run_ids))
        wanted = None if names is None else sorted(set(names))
        for name in wanted or ():
            if not (isinstance(name, str) and name.isascii() and name.replace("_", "").isalnum()):
                raise ValueError(f"{name!r} is not a metric name")  # nor ever stored: names are words
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)  # raised here, not at the first next()
        m = metrics_table.c
        query = select(m.run_id, m.name, m.step, m.value).where(m.run_id.in_(ids)).order_by(m.run_id, m.name, m.step)
        if wanted is not None:
            query = query.where(m.name.in_(wanted))
        return (
            (run_id, name, step, float(value))
            for batch in self._stream(query, "runner_metrics")
            for run_id, name, step, value in batch
        )

    def steps_after(self, after: Mapping[int, int]) -> list[tuple[int, int, float, float]]:
        """(run_id, step, loss, elapsed) of each run in ``after`` whose step is after the one given for it
        (-1: every step), by run then step: what a watcher has not seen yet, read through the primary key."""
        if not after:
            return []
        s = steps.c
        newer = or_(*(and_(s.run_id == int(i), s.step > int(last)) for i, last in after.items()))
        query = select(s.run_id, s.step, s.loss, s.elapsed).where(newer).order_by(s.run_id, s.step)
        return [(run_id, step, float(loss), elapsed) for batch in self._stream(query, "runner_tail")
                for run_id, step, loss, elapsed in batch]

    def metrics_after(self, after: Mapping[int, int], names: Iterable[str]) -> list[tuple[int, str, int, float]]:
        """(run_id, name, step, value) of the metrics in ``names`` of each run in ``after`` recorded after the
        step given for it (-1: all), by run, name, then step."""
        wanted = sorted(set(names))
        for name in wanted:
            if not (isinstance(name, str) and name.isascii() and name.replace("_", "").isalnum()):
                raise ValueError(f"{name!r} is not a metric name")  # inlined by _stream: words only
        if not after or not wanted:
            return []
        m = metrics_table.c
        newer = or_(*(and_(m.run_id == int(i), m.step > int(last)) for i, last in after.items()))
        query = (select(m.run_id, m.name, m.step, m.value).where(newer, m.name.in_(wanted))
                 .order_by(m.run_id, m.name, m.step))
        return [(run_id, name, step, float(value)) for batch in self._stream(query, "runner_tail_metrics")
                for run_id, name, step, value in batch]

    def _stream(self, query: Select, cursor_name: str) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``query``, in batches of STREAM_BATCH. Its parameters are inlined: give only ints and words."""
        with self._transaction(read_only=True) as conn:
            # The driver's own cursor: a report reads millions of rows, and SQLAlchemy's per-row
            # processing would cost several times the query. Ids are ints and names words, safe to inline.
            sql = str(query.compile(dialect=self._engine.dialect, compile_kwargs={"literal_binds": True}))
            raw = conn.connection.dbapi_connection
            # On PostgreSQL a named cursor streams from the server instead of loading every row first.
            cursor = raw.cursor(cursor_name) if self._engine.dialect.name == "postgresql" else raw.cursor()
            try:
                cursor.execute(sql)
                while batch := cursor.fetchmany(STREAM_BATCH):
                    yield batch
            finally:
                cursor.close()

    # helpers

    def _require(self, conn: Connection, ids: list[int]) -> None:
        found = set(conn.scalars(select(runs.c.id).where(runs.c.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            raise self._not_found(missing)

    def _not_ours(self, conn: Connection, run_id: int) -> RunnerError:
        """Why this process may not write to run ``run_id``: it is gone, or another process took it over."""
        row = conn.execute(select(runs.c.status, runs.c.host, runs.c.pid).where(runs.c.id == run_id)).first()
        if row is None:
            return self._not_found([run_id])
        owner = f"pid {row.pid} on {row.host}" if row.pid else "nobody yet"
        return RunTakenOver(f"run {run_id} is no longer this process's ({row.status}, held by {owner}): "
                            "`runner resume` gave it to another; this process stops training it")

    def _not_found(self, ids: list[int]) -> RunNotFound:
        which = f"run {ids[0]}" if len(ids) == 1 else "runs " + ", ".join(map(str, ids))
        return RunNotFound(f"no {which} in {self._url}; see `runner ls`")


def _new_run(config: RunConfig, device: str, status: RunStatus, sweep: str | None) -> dict[str, Any]:
    """The runs row for a new run of ``config``."""
    now = utcnow()
    running = status == RunStatus.RUNNING
    return dict(
        name=config.name,
        sweep=sweep,
        model=config.model,
        optimizer=config.optimizer,
        dataset=config.dataset,
        lr=config.lr,
        steps=config.steps,
        seed=config.seed,
        device=device,
        config={
            "model_params": config.model_params,
            "optimizer_options": config.optimizer_options,
            "dataset_params": config.dataset_params,
            **config.training_options(),  # batch_size, eval_every, track: only those a run turns on
        },
        status=status,
        created_at=now,
        started_at=now if running else None,
        heartbeat_at=now if running else None,
        attempts=1 if running else 0,  # a run started at once is its first claim
        **(this_process() if running else {}),
        **environment(),
    )


def _take(conn: Connection, run_id: int, device: str) -> RunRecord | None:
    """Compare and set: the queued run becomes ``running`` on ``device``, owned by this process (None: not queued)."""
    now = utcnow()
    taken = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == RunStatus.QUEUED)
        # a resumed run keeps the start of its first part (runner.store.resuming clears it for a restart)
        .values(status=RunStatus.RUNNING, device=device, started_at=func.coalesce(runs.c.started_at, now),
                heartbeat_at=now, attempts=runs.c.attempts + 1, **this_process(), **environment())
    ).rowcount
    return _record(conn.execute(select(runs).where(runs.c.id == run_id)).one()) if taken else None


def _insert_run(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(insert(runs).values(values)).inserted_primary_key  # not RETURNING: SQLite < 3.35 lacks it
    assert key is not None  # an INSERT's result always has one
    return key[0]


def this_process() -> dict[str, Any]:
    """Where a run that starts now runs: this host and process (pid and start time)."""
    return dict(host=host_name(), pid=os.getpid(), pid_start=start_time(os.getpid()))


def silent(host: str | None, heartbeat_at: datetime | None, now: datetime, lost_after: float) -> str:
    """Why a run on another host is lost: its heartbeat stopped."""
    where = f" from {host}" if host else ""
    since = f"for {(now - heartbeat_at).total_seconds():.0f} s" if heartbeat_at else "at all"
    return (f"no heartbeat{where} {since} (over {LOST_VARIABLE}={lost_after:g}): its process stopped {STOPPED}, "
            "or cannot reach the database (should it write again, the run is running again)")


def _owned() -> list[Any]:
    """The conditions under which a run is this process's to write: started here, by this process. A run
    that `runner resume` queued again, or another process then took, is not (RunTakenOver)."""
    return [runs.c.host == host_name(), runs.c.pid == os.getpid(), runs.c.status.in_(OWNED_STATUSES)]


def _revive(conn: Connection, run_id: int, how: str) -> None:
    """A lost run whose process writes was not lost: it is running again, and the event is recorded."""
    revived = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == RunStatus.LOST, *_owned())
        .values(status=RunStatus.RUNNING, ended_at=None, best_loss=None, error=None)
    ).rowcount
    if revived:
        host, pid = conn.execute(select(runs.c.host, runs.c.pid).where(runs.c.id == run_id)).one()
        _add_event(conn, run_id, REVIVED, f"its process (pid {pid} on {host}) was alive after all: it {how}")


def _add_event(conn: Connection, run_id: int, kind: str, detail: str) -> None:
    conn.execute(insert(run_events).values(run_id=run_id, at=utcnow(), kind=kind, detail=detail))


def _stored_summary(conn: Connection, run_id: int) -> tuple[float | None, float | None, int]:
    """(final loss, best finite loss, count) of a run's stored steps."""
    of_run = steps.c.run_id == run_id
    final = conn.scalar(select(steps.c.loss).where(of_run).order_by(steps.c.step.desc()).limit(1))
    best = conn.scalar(select(func.min(steps.c.loss)).where(of_run, steps.c.loss > -INF, steps.c.loss < INF))
    count = conn.scalar(select(func.count()).select_from(steps).where(of_run)) or 0
    return final, best, count


def _check_status(status: str) -> None:
    """Refused before the database's CHECK would, with a message that lists what is allowed."""
    if status not in VALUES:
        raise ValueError(f"unknown run status {status!r}; expected one of {', '.join(VALUES)}")


def _record(row: Row) -> RunRecord:
    return RunRecord(**row._mapping)


@cache
def environment() -> dict[str, str | None]:
    """The versions a run records, read from package metadata (never by importing torch)."""

    def version(distribution: str) -> str | None:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    from runner import __version__

    return {
        "python_version": platform.python_version(),
        "torch_version": version("torch"),
        "numpy_version": version("numpy"),
        "runner_version": version("runner") or __version__,
    }
