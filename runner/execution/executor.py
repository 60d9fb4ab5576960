"""The seam between a sweep and what works its queue: an Executor starts workers, is polled until the
sweep is done, and stops them on Ctrl-C.

Three implementations: ``runner.execution.local_pool.Scheduler``, a pool of worker processes on this host (the
default), ``runner.execution.dask_executor.DaskExecutor``, Dask workers on any number of hosts, and
``runner.execution.slurm_executor.SlurmExecutor``, the same on Dask workers that it starts as SLURM jobs. Either way
the database is the single truth: a worker claims a run by compare-and-set (``Store.claim`` or
``Store.claim_run``), trains and finishes it with the same function (``runner.execution.local_worker.run_one``), so
no engine can run a run twice.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runner.execution.local_pool import SweepResult
    from runner.status import RunStatus
    from runner.store import RunRecord

TICK_SECONDS = 0.25
EXECUTORS = ("local", "dask", "slurm")  # what --executor takes
WORKER_WAIT = 60.0  # seconds --executor dask or slurm waits for a first worker (--worker-wait)


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
