"""Running one configured experiment against a store: the glue the CLI and workers call.

``start`` checks everything that can be checked before a row is written
(the device, the store), records the run, trains it and records how it
ended (riding out a database that fails for a while: runner.training.patience).
``execute`` trains a run that is already recorded, such as one a
worker took from a sweep's queue (``config_of`` rebuilds its config).
Any exception a plugin raises ends the run as ``failed`` with its
traceback stored; it never escapes as a crash.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.config import Resolved, RunConfig
from runner.errors import RunNotFound, StorageError, StorageUnavailable
from runner.status import RunStatus
from runner.training.buffers import MetricRow, Row
from runner.training.checkpointing import checkpoints
from runner.training.devices import resolve_device
from runner.training.engine import Outcome, failure, train
from runner.training.heartbeat import Heartbeat
from runner.training.keeper import Keeper
from runner.training.options import DEFAULTS, ExecOptions
from runner.training.patience import Patience
from runner.training.provenance import packages
from runner.training.threads import apply_threads
from runner.training.trainer import prepare

if TYPE_CHECKING:
    from runner.store import RunRecord, Store
    from runner.training.handlers import Handler

__all__ = ["Finished", "start", "execute", "record_setup", "resumed", "untrained", "with_earlier_part", "finish_keeping",
    "StepSink", "record_end", "config_of"]


@dataclass(frozen=True)
class Finished:
    run_id: int
    device: str
    outcome: Outcome


def start(resolved: Resolved, store: Store, options: ExecOptions = DEFAULTS, handlers: Sequence[Handler] = ()) -> Finished:
    device = resolve_device(resolved.config.device, resolved.backend)
    run_id = store.create_run(resolved.config, device=str(device), options=options.recorded())
    outcome = execute(run_id, resolved, store, device, options, handlers)
    return Finished(run_id, str(device), outcome)


def execute(run_id: int, resolved: Resolved, store: Store, device: Any, options: ExecOptions = DEFAULTS,
            handlers: Sequence[Handler] = ()) -> Outcome:
    """Train the recorded run ``run_id`` on ``device`` and record how it ended.

    A run with a checkpoint (``runner resume``) continues from it; checkpoints and the
    final weights are kept as ``options`` say (runner.training.keeper). ``handlers`` (the stop
    flag, a progress bar: runner.training.handlers) go to the loop after the checkpoints'. A database
    that fails for a while is ridden out (runner.training.patience); a StorageError says that
    the run's end could not be recorded within ``options.db_deadline``."""
    patience = Patience(options.db_deadline)
    with Heartbeat(store.heartbeat, run_id):
        try:
            record_setup(store, run_id, resolved, options, patience)
            trainer = prepare(resolved, device)
            keeper = Keeper(store, run_id, trainer, options)
            start, elapsed = patience.call(keeper.resume)  # reads the store: a passing fault is ridden out
        except Exception as exc:
            outcome = Outcome(RunStatus.FAILED, 0, None, None, 0.0, failure(exc))
            record = resumed(store, run_id)
            if record is not None:
                outcome = untrained(record, exc)
        else:
            handlers = [checkpoints(options.checkpoint_every, keeper.checkpoint), *handlers]
            outcome = train(trainer, resolved.config.steps, StepSink(store, run_id), options, start, elapsed, patience,
                            handlers)
            if start:
                outcome = with_earlier_part(patience.call(lambda: store.get_run(run_id)), outcome)
            finish_keeping(keeper, outcome)
    record_end(store, run_id, outcome, patience)
    return outcome


def record_setup(store: Store, run_id: int, resolved: Resolved, options: ExecOptions, patience: Patience) -> None:
    """Set this process's threads for the run (runner.training.threads) and record them with the packages it
    trains with (runner.training.provenance), before it trains: they change the losses."""
    threads = apply_threads(options.threads, resolved.backend)
    try:
        found: dict[str, Any] | None = packages(resolved.origins)
    except Exception as exc:  # an odd install must never fail a run: its packages are then not known
        print(f"warning: run {run_id}'s packages were not recorded: {exc}", file=sys.stderr)
        found = None
    patience.call(lambda: store.record_setup(run_id, threads, found))


def resumed(store: Store, run_id: int) -> RunRecord | None:
    """The run's record if it has a checkpoint (it was queued again to continue from it), else None."""
    try:
        if any(a.kind == "checkpoint" for a in store.artifacts([run_id])[run_id]):
            return store.get_run(run_id)
    except (StorageError, RunNotFound):
        pass  # record_end says what is wrong with the store
    return None


def untrained(record: RunRecord, exc: Exception) -> Outcome:
    """A run with a checkpoint that could not be built or take it: nothing trained, nothing lost, so it stays
    interrupted (its checkpoint and weights kept) for `runner resume` once fixed, or with --restart."""
    lines = str(exc).strip().splitlines()
    why = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return Outcome(RunStatus.INTERRUPTED, record.steps_done, record.final_loss, record.best_loss, 0.0,
                   f"not resumed ({why}); fix it and `runner resume {record.id}`, or pass --restart")


def with_earlier_part(record: RunRecord, outcome: Outcome) -> Outcome:
    """A resumed run's outcome over all its steps: the best and final losses of the part before the
    checkpoint (kept in its record by runner.store.resuming) count too."""
    bests = [b for b in (record.best_loss, outcome.best_loss) if b is not None]
    final = outcome.final_loss if outcome.final_loss is not None else record.final_loss
    return dataclasses.replace(outcome, best_loss=min(bests) if bests else None, final_loss=final)


def finish_keeping(keeper: Keeper, outcome: Outcome) -> None:
    """The final weights, if they can be kept (runner.training.keeper); a run that trained is not failed
    for want of them."""
    try:
        keeper.finish(outcome)
    except Exception as exc:  # the store failing past its retries, a full disk under --artifacts
        print(f"warning: run {keeper.run_id}'s weights were not kept: {exc}", file=sys.stderr)


class StepSink:
    """The engine's sink for one run: its rows into ``store``. After a passing fault the rows come
    again, and a row already stored (its COMMIT went through unanswered) is skipped, not a duplicate."""

    def __init__(self, store: Store, run_id: int):
        self.store, self.run_id = store, run_id
        self.again = False

    def __call__(self, rows: list[Row], metric_rows: list[MetricRow]) -> None:
        try:
            self.store.append_steps(self.run_id, rows, metrics=metric_rows, again=self.again)
        except StorageUnavailable:
            self.again = True
            raise
        self.again = False


def record_end(store: Store, run_id: int, outcome: Outcome, patience: Patience) -> None:
    """``store.finish_run`` for ``outcome``, tried again under ``patience``; a StorageError in one line if it cannot be."""
    try:
        patience.call(lambda: store.finish_run(run_id, outcome.status, outcome.final_loss, outcome.best_loss,
                                               outcome.error))
    except StorageError as exc:
        # the same kind of error: a worker tells a database it gave up on (DatabaseGaveUp) from other faults
        raise type(exc)(f"run {run_id} {outcome.status}, but its end could not be recorded: {exc}") from exc
    except RunNotFound as exc:  # never a passing fault: nothing brings the run back
        raise RunNotFound(f"run {run_id} was deleted while it ran (runner rm --force), with all it had stored") from exc


def config_of(record: RunRecord) -> RunConfig:
    """The RunConfig a stored run was queued with."""
    return RunConfig(
        model=record.model, optimizer=record.optimizer, dataset=record.dataset, lr=record.lr,
        steps=record.steps, seed=record.seed, device=record.device, name=record.name,
        **record.config,  # the settings, and the training options that are on (RunConfig.training_options)
    )
