"""What the store hands out about a run: its record, its events, the summary of its losses (plain data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from runner.status import RunStatus

__all__ = ["RunRecord", "RunEvent", "LossSummary", "record_of"]


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
    pid_start: int | None  # when that process started (runner.processes.start_time); None where it could not be read
    python_version: str | None
    torch_version: str | None
    numpy_version: str | None
    runner_version: str | None
    attempts: int = 0  # claims so far: a dead worker's run is retried while this is at most --retries
    slot: str | None = None  # the worker slot that last claimed it (runner.execution.local_pool.slot_name); None for a single run
    options: dict[str, Any] | None = None  # the execution options it was started with (runner.training.options); None before 0009
    threads: int | None = None  # the CPU threads it trained with; None before 0010 or where unknown
    packages: dict[str, Any] | None = None  # {distribution: {"version", "commit"}} of its plugin packages; None before 0010
    early_stop: dict[str, Any] | None = None  # how it stopped early (--early-stop); None: it did not


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


def record_of(row: Row) -> RunRecord:
    return RunRecord(**row._mapping)
