"""A sweep worker: one process holding one device slot, taking queued runs until none fit.

Started by the scheduler as ``python -m runner.execution.local_worker``; its environment
already sets its threads (runner.execution.slots.slot_environment: OMP_NUM_THREADS, read by torch and
the BLAS as they load; each run sets them again as it starts, runner.training.threads) and, for a GPU
slot, sets CUDA_VISIBLE_DEVICES to that one GPU (which torch then calls cuda:0). The run options arrive as
``ExecOptions`` arguments (runner.training.options), so every option a single run
takes reaches a sweep's runs too.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from typing import TYPE_CHECKING, Any

from runner.status import EXIT_CODES, FAILURES, RunStatus
from runner.training.options import ExecOptions

if TYPE_CHECKING:
    from runner.registry import Registry
    from runner.store import RunRecord, Store
    from runner.training.signals import StopFlag

__all__ = ["STOPPED_EXIT", "GAVE_UP_EXIT", "parse", "local_device", "run_one", "SLOT_VARIABLE", "train_by_id",
    "dask_worker_name", "main", "work"]

# A worker stopped by SIGINT or SIGTERM exits as an interrupted run does, never 0: the
# scheduler then knows that it did not empty its queue (and replaces it unless stopping).
STOPPED_EXIT = EXIT_CODES[RunStatus.INTERRUPTED]
# A worker that gave up on a failing database (--db-deadline: runner.errors.DatabaseGaveUp) exits with this status
# (sysexits' EX_TEMPFAIL), so that the scheduler records why its run is lost rather than guess at a kill.
GAVE_UP_EXIT = 75


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m runner.execution.local_worker")
    parser.add_argument("--db", default=None, help="database URL (default: $RUNNER_DB, so that passwords stay out of ps)")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--device", required=True, help="the slot's device as recorded, e.g. cpu or cuda:1")
    parser.add_argument("--slot", default=None, help="the slot's name, recorded on the runs it takes")
    parser.add_argument("--accepts", required=True, help="comma-separated requested devices this slot takes")
    parser.add_argument("--fail-fast", action="store_true", help="stop claiming after a failed or diverged run")
    ExecOptions.add_arguments(parser)
    return parser.parse_args(argv)


def local_device(slot: str, backend: str) -> Any:
    """The device inside this process: a GPU slot sees only its GPU, which torch calls cuda:0."""
    from runner.training.devices import resolve_device

    return resolve_device("cpu" if slot == "cpu" else "cuda:0", backend)


def run_one(record: RunRecord, registry: Registry, store: Store, slot: str, options: ExecOptions,
            stop: StopFlag) -> RunStatus:
    """Train one claimed run (``stop`` set: it ends between steps); returns its final status."""
    from runner.config import specs_for
    from runner.errors import ConfigError
    from runner.processes import host_name
    from runner.training.engine import Outcome
    from runner.training.patience import Patience
    from runner.training.runs import config_of, execute, record_end

    # A host set up unlike the submitter's (a plugin not installed there, no GPU) fails the run saying where.
    hint = " (install there the plugins the submitting host has: `runner plugins` lists them)"
    try:
        resolved = specs_for(registry, config_of(record))
        hint = ""
        device = local_device(slot, resolved.backend)
    except Exception as exc:
        error = f"on host {host_name()}: {exc}{hint}" if isinstance(exc, ConfigError) else traceback.format_exc()
        record_end(store, record.id, Outcome(RunStatus.FAILED, 0, None, None, 0.0, error), Patience(options.db_deadline))
        return RunStatus.FAILED
    return execute(record.id, resolved, store, device, options, [stop]).status


SLOT_VARIABLE = "RUNNER_SLOT_DEVICE"  # set by `runner worker` for each Dask worker: its slot's device, e.g. cuda:1
_open: dict[str, tuple[Store, Registry]] = {}  # per process: a Dask worker keeps one store (and its connections)


def train_by_id(db_url: str, run_id: int, sweep: str, retries: int, option_args: list[str]) -> str:
    """A Dask task (runner.execution.dask_executor): claim run ``run_id`` in the database, train it, finish it;
    returns its final status, or why it did nothing.

    The claim is the guard against an engine running a task twice: a run already running elsewhere,
    or ended, is left alone. A run still held by a dead worker (Dask runs its task again elsewhere)
    is marked lost once its death shows (its pid is gone on its host, or its heartbeat went stale),
    and retried from its checkpoint while claimed at most ``retries`` times."""
    import os

    from runner.errors import RunNotFound, RunTakenOver
    from runner.execution.stopping import SweepWatch
    from runner.training.signals import StopFlag

    store, registry = _opened(db_url)
    parser = argparse.ArgumentParser()
    ExecOptions.add_arguments(parser)
    slot, name = os.environ.get(SLOT_VARIABLE, "cpu"), dask_worker_name()
    if store.sweep_stopped(sweep):
        return "stopped"
    record = store.claim_run(run_id, slot, name)
    if record is None and store.get_run(run_id).status == RunStatus.RUNNING:
        store.mark_lost()
        if store.retry_lost(sweep, retries, [run_id]):
            record = store.claim_run(run_id, slot, name)
    if record is None:
        return f"skipped: run {run_id} is {store.get_run(run_id).status}"
    stop = StopFlag()
    options = ExecOptions.from_namespace(parser.parse_args(option_args))
    with SweepWatch(store, sweep, stop):
        try:
            return str(run_one(record, registry, store, slot, options, stop))
        except (RunTakenOver, RunNotFound) as exc:  # given to another worker meanwhile (this host was silent), or deleted
            return f"left: {exc}"


def dask_worker_name() -> str | None:
    """The name of the Dask worker this task runs on (``runner worker`` names it by runner.execution.local_pool.slot_name)."""
    from distributed import get_worker

    try:
        return str(get_worker().name)
    except ValueError:  # called outside a worker
        return None


def _opened(db_url: str) -> tuple[Store, Registry]:
    if db_url not in _open:
        from runner.registry import load_registry
        from runner.store import open_store

        _open[db_url] = (open_store(db_url, must_exist=True), load_registry())  # the sweep made it
    return _open[db_url]


def main(argv: list[str] | None = None) -> int:
    """Work through the queue; a database that fails past the deadline is one line on stderr and exit
    status GAVE_UP_EXIT (any other domain error: 1), and the sweep marks its run lost, saying which."""
    from runner.errors import DatabaseGaveUp, RunnerError

    try:
        return work(parse(sys.argv[1:] if argv is None else argv))
    except DatabaseGaveUp as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return GAVE_UP_EXIT
    except RunnerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def work(args: argparse.Namespace) -> int:
    from runner.errors import RunNotFound, RunTakenOver
    from runner.execution.stopping import SweepWatch
    from runner.registry import load_registry
    from runner.store import open_store
    from runner.training.signals import graceful_stop

    registry = load_registry()
    accepts = args.accepts.split(",")
    with open_store(args.db, must_exist=True) as store, graceful_stop() as stop, SweepWatch(store, args.sweep, stop):
        options = ExecOptions.from_namespace(args)
        while not stop.requested and not store.sweep_stopped(args.sweep):
            record = store.claim(args.sweep, accepts, args.device, args.slot)
            if record is None:
                break
            try:
                status = run_one(record, registry, store, args.device, options, stop)
            except (RunTakenOver, RunNotFound) as exc:  # that run is another's now, or deleted: the queue goes on
                print(f"warning: {exc}", file=sys.stderr)
                continue
            if args.fail_fast and status in FAILURES:
                break
    return STOPPED_EXIT if stop.requested else 0


if __name__ == "__main__":
    sys.exit(main())
