"""Running one configured experiment against a store: the glue the CLI and workers call.

``start`` checks everything that can be checked before a row is written
(the device, the store), records the run, trains it and records how it
ended. ``run_claimed`` does the same for a run a worker took from a
sweep's queue. Any exception a plugin raises ends the run as ``failed``
with its traceback stored; it never escapes as a crash.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from runner.config import RunConfig
from runner.devices import resolve_device
from runner.engine import FAILED, Outcome, Progress, StopFlag, prepare, train
from runner.heartbeat import Heartbeat
from runner.registry import Registry


@dataclass(frozen=True)
class Finished:
    run_id: int
    device: str
    outcome: Outcome


def start(
    config: RunConfig,
    registry: Registry,
    store: Any,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    flush_seconds: float = 1.0,
    step_timeout: float | None = None,
) -> Finished:
    backend = registry.get("model", config.model).spec.backend
    device = resolve_device(config.device, backend)
    run_id = store.create_run(config, device=str(device))
    outcome = execute(run_id, config, registry, store, device, progress, stop, flush_seconds, step_timeout)
    return Finished(run_id, str(device), outcome)


def execute(
    run_id: int,
    config: RunConfig,
    registry: Registry,
    store: Any,
    device: Any,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    flush_seconds: float = 1.0,
    step_timeout: float | None = None,
) -> Outcome:
    """Train the recorded run ``run_id`` on ``device`` and record how it ended.

    ``step_timeout``: seconds a step may take before the run fails (runner.timeouts).
    """
    with Heartbeat(store, run_id):
        try:
            trainer = prepare(config, registry, device)
        except Exception:
            outcome = Outcome(FAILED, 0, None, None, 0.0, traceback.format_exc())
        else:
            sink = lambda rows: store.append_steps(run_id, rows)  # noqa: E731
            outcome = train(trainer, config.steps, sink, progress, stop, flush_seconds, step_timeout)
    store.finish_run(run_id, outcome.status, outcome.final_loss, outcome.best_loss, outcome.error)
    return outcome


def config_of(record: Any) -> RunConfig:
    """The RunConfig a stored run was queued with."""
    return RunConfig(
        model=record.model, optimizer=record.optimizer, dataset=record.dataset, lr=record.lr,
        steps=record.steps, seed=record.seed, device=record.device, name=record.name,
        **record.config,
    )
