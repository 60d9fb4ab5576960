"""Running a sweep's queue with a pool of worker processes, one per device slot.

The parent claims nothing itself: it starts workers (``runner.execution.local_worker``),
watches them and the database, restarts a worker that died while runs
are still queued, and turns Ctrl-C into an orderly stop. Because every
run is claimed from the database, the same sweep can be worked on by
several ``runner resume`` processes at once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.errors import StorageError, StorageUnavailable
from runner.execution.executor import PoolOptions, SweepResult
from runner.execution.slots import Slot, plan_slots, slot_environment, slot_name, worker_threads
from runner.processes import start_time
from runner.status import FAILURES, RunStatus

if TYPE_CHECKING:
    from runner.store import RunRecord, Store

__all__ = ["LocalPool", "Worker", "worker_args", "worker_end", "settings", "check_reachable", "open_client",
           "new_executor", "resume_args"]

@dataclass
class Worker:
    slot: Slot
    name: str  # slot_name: a replacement worker keeps it
    process: subprocess.Popen
    started: int | None = None  # the process's start time (runner.processes.start_time), which its runs record


@dataclass
class LocalPool:
    store: Store
    db_url: str  # for the workers, password included (passed in their environment, not on their command line)
    sweep: str
    slots: list[Slot]
    options: PoolOptions = PoolOptions()
    on_tick: Callable[[dict[RunStatus, int], list[RunRecord]], None] | None = None
    workers: list[Worker] = field(default_factory=list)
    stopping: bool = False
    interrupted: bool = False
    max_restarts: int = 10
    unmarked: str | None = None
    restarted: int = 0
    ends: list[tuple[int, int | None, str]] = field(default_factory=list)  # dead workers' (pid, start, how) to record

    def run(self) -> SweepResult:
        from runner.execution.executor import drive

        return drive(self)

    # runner.execution.executor.Executor

    def start(self) -> None:
        self.workers = [self._spawn(slot, slot_name(i, slot)) for i, slot in enumerate(self.slots)]

    def poll(self) -> bool:
        if not self.workers:
            return False
        try:
            self.restarted += self._tick()
        except StorageUnavailable:
            pass  # the workers ride the fault out themselves (runner.training.patience); this one only watches
        return bool(self.workers)

    def result(self) -> SweepResult:
        self._mark_lost()
        return SweepResult(self.store.sweep_counts(self.sweep), self.interrupted, self.restarted, self.unmarked)

    def _tick(self) -> int:
        """Reap and replace workers, apply --fail-fast, show progress; returns how many workers were restarted."""
        restarted = self._reap()
        counts = self.store.sweep_counts(self.sweep)
        if self.options.fail_fast and any(counts.get(s) for s in FAILURES) and not self.stopping:
            self.stop()
        if self.on_tick:
            self.on_tick(counts, self.store.list_runs(sweep=self.sweep, status=RunStatus.RUNNING))
        return restarted

    def stop(self) -> None:
        """Stop claiming; running runs end as interrupted, the rest stay queued."""
        self.stopping = True
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGINT)

    def _reap(self) -> int:
        """Drop finished workers; replace any that died while its runs are still queued."""
        restarted = 0
        for worker in list(self.workers):  # updated as it goes, so that a database error midway loses no worker
            code = worker.process.poll()
            if code is None:
                continue
            replace = False
            if code != 0:  # killed, crashed or stopped by a signal (local_worker.STOPPED_EXIT): the sweep goes on
                self._mark_lost(worker, code)
                replace = (not self.stopping and self.max_restarts > 0 and self._queued_for(worker.slot)
                           and not self.store.sweep_stopped(self.sweep))  # `runner stop`: it would claim nothing
            self.workers.remove(worker)
            if replace:
                self.max_restarts -= 1
                restarted += 1
                self.workers.append(self._spawn(worker.slot, worker.name))
        return restarted

    def _mark_lost(self, worker: Worker | None = None, code: int = 0) -> None:
        """Mark dead runs lost, those of a dead ``worker`` saying how it ended (only its parent saw that);
        a database that takes no writes (a full disk) leaves that to the next command, which does it once it can."""
        if worker is not None:  # kept until recorded: should the database take writes again before the end
            self.ends.append((worker.process.pid, worker.started, worker_end(worker.process.pid, code)))
        try:
            while self.ends:
                self.store.mark_process_lost(*self.ends[0])
                self.ends.pop(0)
            self.store.mark_lost()
            if worker is not None and self.options.retries and not self.stopping:  # its run is queued again, if it may
                self.store.retry_lost(self.sweep, self.options.retries)
            self.unmarked = None
        except StorageError as exc:
            self.unmarked = str(exc)

    def _queued_for(self, slot: Slot) -> bool:
        return any(r.device in slot.accepts for r in self.store.list_runs(sweep=self.sweep, status=RunStatus.QUEUED))

    def _spawn(self, slot: Slot, name: str) -> Worker:
        env = dict(slot_environment(slot), RUNNER_DB=self.db_url)
        command = [sys.executable, "-m", "runner.execution.local_worker", *worker_args(self.sweep, slot, name, self.options)]
        # A session of its own: a terminal's Ctrl-C reaches the parent, which forwards exactly one.
        process = subprocess.Popen(command, env=env, start_new_session=True)
        return Worker(slot, name, process, start_time(process.pid))


def worker_end(pid: int, code: int) -> str:
    """How a worker that exited with ``code`` (Popen's: -N for signal N) ended, as a lost run's error."""
    from runner.execution.local_worker import GAVE_UP_EXIT

    if code == GAVE_UP_EXIT:
        return (f"its worker process (pid {pid}) gave up on the database, which failed for longer than --db-deadline, "
                "without recording an end")
    if code >= 0:
        return f"its worker process (pid {pid}) exited with status {code} without recording an end"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = " (kill -9, or the out-of-memory killer)" if -code == signal.SIGKILL else ""
    return f"its worker process (pid {pid}) was killed by {name}{hint} without recording an end"


def worker_args(sweep: str, slot: Slot, name: str, options: PoolOptions) -> list[str]:
    """The command line of ``python -m runner.execution.local_worker`` for one slot (the database comes in its environment)."""
    args = ["--sweep", sweep, "--device", slot.device, "--slot", name, "--accepts", ",".join(slot.accepts)]
    if options.fail_fast:
        args.append("--fail-fast")
    return args + options.execution.to_args()


# runner.execution.executors.ExecutorModule: the local pool has no options of its own and nothing to reach.


def settings(given: dict[str, Any]) -> dict[str, Any]:
    return {}


def check_reachable(options: PoolOptions) -> None:
    return None


def open_client(options: PoolOptions, url: str, devices: Sequence[str], say: Callable[[str], None]) -> None:
    return None


def new_executor(store: Store, url: str, sweep: str, options: PoolOptions, client: Any, queued: list[RunRecord],
                 say: Callable[[str], None]) -> LocalPool:
    """A worker per slot, no more slots than runs."""
    from runner.training.devices import gpu_count

    threads = worker_threads(options.execution.threads)
    slots = plan_slots(options.jobs, options.per_device, gpu_count(), threads, {r.device for r in queued})
    slots = slots[: len(queued)]
    say(f"sweep {sweep}: {len(queued)} runs queued, {len(slots)} worker{'s' if len(slots) != 1 else ''} "
        f"({', '.join(s.device for s in slots)})")
    return LocalPool(store, url, sweep, slots, options)


def resume_args(options: PoolOptions) -> list[str]:
    return []
