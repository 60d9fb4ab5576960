"""The seam between a sweep and what works its queue: an Executor starts workers, is polled until the
sweep is done, and stops them on Ctrl-C.

Three implementations, each an entry of ``runner.execution.executors.EXECUTORS``:
``runner.execution.local_pool.LocalPool``, a pool of worker processes on this host (the default),
``runner.execution.dask_executor.DaskExecutor``, Dask workers on any number of hosts, and
``runner.execution.slurm_executor.SlurmExecutor``, the same on Dask workers that it starts as SLURM jobs. Either way
the database is the single truth: a worker claims a run by compare-and-set (``Store.claim`` or
``Store.claim_run``), trains and finishes it with the same function (``runner.execution.local_worker.run_one``), so
no engine can run a run twice.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from runner.status import RunStatus
from runner.training.options import ExecOptions

if TYPE_CHECKING:
    from runner.execution.slurm_options import SlurmJobs
    from runner.store import RunRecord

__all__ = ["Executor", "PoolOptions", "SweepResult", "drive", "TICK_SECONDS", "WORKER_WAIT"]

TICK_SECONDS = 0.25
WORKER_WAIT = 60.0  # seconds --executor dask or slurm waits for a first worker (--worker-wait)


@dataclass(frozen=True)
class PoolOptions:
    """How a sweep's queue is worked (``runner run`` and ``runner resume`` options), and how each run executes."""

    jobs: int = 1
    per_device: int = 1
    fail_fast: bool = False
    execution: ExecOptions = field(default_factory=ExecOptions)  # what travels of it reaches every worker
    # A run whose worker died goes back to the queue while claimed at most this often (runs.attempts);
    # None: each executor's default (0 here: a run that kills its worker, out of memory say, would again).
    retries: int | None = None
    executor: str = "local"  # a name in runner.execution.executors.EXECUTORS
    address: str | None = None  # the Dask scheduler's
    detach: bool = False  # return once the runs are submitted (Dask)
    worker_wait: float = WORKER_WAIT  # seconds to wait for a first Dask worker
    slurm: SlurmJobs | None = None  # what each SLURM job asks for (--executor slurm; ``jobs`` counts the jobs)


@dataclass
class SweepResult:
    counts: dict[RunStatus, int]
    interrupted: bool = False
    restarted: int = 0
    unmarked: str | None = None  # why dead runs could not be marked lost (the database takes no writes), if so
    left: str | None = None  # why the executor left the sweep before its end (its Dask scheduler went away), if so


class Executor(Protocol):
    interrupted: bool  # set by ``drive`` on the first Ctrl-C or SIGTERM
    on_tick: Callable[[dict[RunStatus, int], list[RunRecord]], None] | None  # progress, at each poll

    def start(self) -> None:
        """Start the workers (or hand them the sweep's runs)."""

    def poll(self) -> bool:
        """One look: replace what died, retry lost runs, show progress. False once nothing more will happen."""

    def stop(self) -> None:
        """Stop claiming; running runs end as interrupted, the rest stay queued."""

    def result(self) -> SweepResult:
        """How the sweep stands, once ``poll`` said it was done."""


def drive(executor: Executor) -> SweepResult:
    """Start ``executor`` and poll it until done; the first Ctrl-C (or SIGTERM) stops it in order, the
    second at once (KeyboardInterrupt)."""

    def on_signal(signum, frame) -> None:
        executor.stop()
        if executor.interrupted:
            raise KeyboardInterrupt
        executor.interrupted = True

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, on_signal)
    try:
        executor.start()
        while executor.poll():
            time.sleep(TICK_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return executor.result()
