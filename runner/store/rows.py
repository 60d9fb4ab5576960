"""A run's row as runner writes it: new, claimed, owned by its process, lost and revived.

What runner.store's mixins share about a run's row: each function works inside a transaction it is given.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from runner.environment import LOST_VARIABLE
from runner.processes import host_name, start_time
from runner.status import VALUES, RunStatus
from runner.store.models import run_events, runs, steps, utcnow
from runner.store.records import RunRecord, record_of

if TYPE_CHECKING:
    from runner.config import RunConfig

__all__ = [
    "LOST", "REVIVED", "STOPPED", "add_event", "check_status", "insert_run", "new_run", "owned", "recorded", "revive",
    "silent", "stored_summary", "take",
]

# What a later command can tell of a run whose process is gone: not how it ended (only a parent sees that:
# runner.execution.local_pool.worker_end), so every way it could have, a database it gave up on (--db-deadline) included.
STOPPED = "without recording an end (killed, out of memory, a power loss, or it gave up on a failing database)"
LOST, REVIVED = "lost", "revived"  # the kinds of run_events
OWNED_STATUSES = (RunStatus.RUNNING, RunStatus.LOST)  # a run its process may write to (see owned)
INF = float("inf")


def new_run(config: RunConfig, device: str, status: RunStatus, sweep: str | None) -> dict[str, Any]:
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


def recorded(options: dict[str, Any] | None) -> dict[str, Any]:
    """The options column's value for a new run: none given is SQL NULL (a JSON column would keep None as 'null')."""
    return {} if options is None else {"options": options}


def take(conn: Connection, run_id: int, device: str, slot: str | None) -> RunRecord | None:
    """Compare and set: the queued run becomes ``running`` on ``device``, owned by this process of ``slot``
    (None: not queued)."""
    now = utcnow()
    taken = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == RunStatus.QUEUED)
        # a resumed run keeps the start of its first part (runner.store.resuming clears it for a restart)
        .values(status=RunStatus.RUNNING, device=device, started_at=func.coalesce(runs.c.started_at, now),
                heartbeat_at=now, attempts=runs.c.attempts + 1, slot=slot, **this_process(), **environment())
    ).rowcount
    return record_of(conn.execute(select(runs).where(runs.c.id == run_id)).one()) if taken else None


def insert_run(conn: Connection, values: dict[str, Any]) -> int:
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


def owned() -> list[Any]:
    """The conditions under which a run is this process's to write: started here, by this process. A run
    that `runner resume` queued again, or another process then took, is not (RunTakenOver)."""
    return [runs.c.host == host_name(), runs.c.pid == os.getpid(), runs.c.status.in_(OWNED_STATUSES)]


def revive(conn: Connection, run_id: int, how: str) -> None:
    """A lost run whose process writes was not lost: it is running again, and the event is recorded."""
    revived = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == RunStatus.LOST, *owned())
        .values(status=RunStatus.RUNNING, ended_at=None, best_loss=None, error=None)
    ).rowcount
    if revived:
        host, pid = conn.execute(select(runs.c.host, runs.c.pid).where(runs.c.id == run_id)).one()
        add_event(conn, run_id, REVIVED, f"its process (pid {pid} on {host}) was alive after all: it {how}")


def add_event(conn: Connection, run_id: int, kind: str, detail: str) -> None:
    conn.execute(insert(run_events).values(run_id=run_id, at=utcnow(), kind=kind, detail=detail))


def stored_summary(conn: Connection, run_id: int) -> tuple[float | None, float | None, int]:
    """(final loss, best finite loss, count) of a run's stored steps."""
    of_run = steps.c.run_id == run_id
    final = conn.scalar(select(steps.c.loss).where(of_run).order_by(steps.c.step.desc()).limit(1))
    best = conn.scalar(select(func.min(steps.c.loss)).where(of_run, steps.c.loss > -INF, steps.c.loss < INF))
    count = conn.scalar(select(func.count()).select_from(steps).where(of_run)) or 0
    return final, best, count


def check_status(status: str) -> None:
    """Refused before the database's CHECK would, with a message that lists what is allowed."""
    if status not in VALUES:
        raise ValueError(f"unknown run status {status!r}; expected one of {', '.join(VALUES)}")


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
