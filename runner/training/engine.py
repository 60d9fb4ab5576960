"""The one training loop that every model and optimizer goes through.

``prepare`` (runner.training.trainer) builds a run's Trainer; ``train`` runs the steps,
hands losses and metric values to a sink in batches at least every
``options.flush_seconds``, and returns an ``Outcome``. What else happens
between steps (evaluation, flushing, checkpoints, the stop flag, progress)
is a handler the loop calls at fixed points (runner.training.handlers):
``train(..., handlers=[...])`` adds one with no change here, and
``train(..., start=)`` continues a run restored from a checkpoint
(runner.checkpoints). Nothing here knows about the database; a sink that
fails for a while (StorageUnavailable) has its rows kept and offered again
(``_Tracker``, runner.training.patience).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.contracts import check_loss, check_metrics
from runner.errors import PluginError, StorageError, StorageUnavailable
from runner.status import RunStatus
from runner.training import timeouts
from runner.training.advancing import Scheduling
from runner.training.buffers import MetricRow, Row, make_buffer
from runner.training.evaluating import Evaluate
from runner.training.flushing import FlushEvery
from runner.training.handlers import Handler, Hooks, Loop
from runner.training.options import DEFAULTS, ExecOptions
from runner.training.patience import Patience
from runner.training.trainer import Trainer, prepare, validation_seed

__all__ = ["PROGRESS_SECONDS", "PENDING_LIMIT", "Outcome", "Trainer", "prepare", "validation_seed", "train",
           "failure"]

Sink = Callable[[list[Row], list[MetricRow]], None]  # (step rows, metric rows (name, step, value))

PROGRESS_SECONDS = 0.1  # how often the handlers' on_tick is called
# Rows (steps and metric values) kept while the store fails, about 150 bytes each: 500,000 take about 75 MB.
# With this many kept, training waits for the store rather than compute rows it might have to drop.
PENDING_LIMIT = 500_000


@dataclass
class Outcome:
    status: RunStatus
    steps_done: int
    final_loss: float | None
    best_loss: float | None
    seconds: float
    error: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)  # the last recorded value of each metric

    @property
    def steps_per_second(self) -> float:
        return self.steps_done / self.seconds if self.seconds > 0 else 0.0


def train(trainer: Trainer, steps: int, sink: Sink, options: ExecOptions = DEFAULTS, start: int = 0,
          elapsed: float = 0.0, patience: Patience | None = None, handlers: Sequence[Handler] = ()) -> Outcome:
    """Run steps ``start`` to ``steps - 1``; every computed loss reaches ``sink`` before this returns, unless the run fails.

    ``start`` and ``elapsed`` continue a run restored from a checkpoint taken after ``start`` steps and
    ``elapsed`` seconds: step numbers and times go on from there. With ``options.step_timeout``
    (seconds), a step that takes longer fails the run (see runner.training.timeouts). A sink that raises
    StorageUnavailable is tried again under ``patience`` (a new one of ``options.db_deadline`` if not
    given; the caller passes its own to record the end under the same deadline). ``handlers`` are called
    at the loop's hooks (runner.training.handlers) after its own: the lr schedule, evaluation, then flushing.
    """
    patience = patience or Patience(options.db_deadline)
    own: list[Handler] = [Scheduling(trainer.schedule)] if trainer.schedule is not None else []
    own += [Evaluate()] if trainer.evaluator is not None else []
    hooks = Hooks([*own, FlushEvery(options.flush_seconds), *handlers])
    if trainer.backend == "numpy":
        import numpy

        # Overflow on the way to inf is how divergence looks; it is reported as a status, not as warnings.
        with numpy.errstate(over="ignore", invalid="ignore"):
            return _train(trainer, steps, sink, options, start, elapsed, patience, hooks)
    return _train(trainer, steps, sink, options, start, elapsed, patience, hooks)


def _train(trainer: Trainer, steps: int, sink: Sink, options: ExecOptions, first: int, before: float,
           patience: Patience, hooks: Hooks) -> Outcome:
    take_step = timeouts.guard(trainer.step, options.step_timeout, trainer.label)
    loop = _Loop(trainer, steps, first, before, _Tracker(sink, patience), hooks)
    buffer, values = loop.buffer, _StepValues()
    before_step, after_step, on_tick = hooks.before_step, hooks.after_step, hooks.on_tick
    start = last_tick = loop.now
    start -= before  # times go on from the checkpoint's
    status, error, stopped = RunStatus.COMPLETED, None, False
    try:
        for hook in hooks.on_start:
            hook(loop)
        for step in range(first, steps):
            for hook in before_step:
                hook(loop, step)
            if loop.stop_reason is not None:
                status, stopped = loop.stop_status, True
                break
            loss, metrics, tracked = take_step()
            if step == first:  # checked once, from names and shapes alone: no per-step cost, no GPU sync
                values = _StepValues.first(trainer, loss, metrics, tracked)
                buffer = loop.buffer = make_buffer(trainer.device, values.names)
            if values.detach_loss:
                loss = loss.detach()
            loop.now = now = time.perf_counter()
            loop.clock = clock = now - start
            buffer.add(step, loss, clock, values.of(metrics, tracked))
            loop.done = step + 1
            if buffer.diverged:
                break
            for hook in after_step:
                hook(loop, step, loss)
            if now - last_tick >= PROGRESS_SECONDS and not buffer.diverged:  # cheap work, a few times a second
                last_tick = now
                for hook in on_tick:
                    hook(loop)
            if buffer.diverged:  # seen by a flush: on a GPU, when the losses reached the host
                break
    except KeyboardInterrupt:  # maybe within a step: its state may be half updated, so no checkpoint is taken
        status = RunStatus.INTERRUPTED
    except Exception as exc:
        status, error = RunStatus.FAILED, failure(exc)
    try:
        loop.tracker.flush(*buffer.drain(), wait=True)  # a failing store is waited for, up to the deadline
    except Exception as exc:  # e.g. a CUDA error surfacing at the copy, or the store failing
        status, error = RunStatus.FAILED, error or failure(exc)
    if buffer.diverged:
        status = RunStatus.DIVERGED
    reason = loop.stop_reason if stopped and status == loop.stop_status else None
    for hook in hooks.on_stop:
        try:
            hook(loop, status, reason)
        except Exception as exc:  # e.g. the checkpoint taken at a stop
            status, error = RunStatus.FAILED, error or failure(exc)
    tracker = loop.tracker
    return Outcome(status, first + tracker.count, tracker.last, tracker.best, time.perf_counter() - start, error,
                   tracker.final_metrics())


class _Loop:
    """The running loop as handlers see it (runner.training.handlers.Loop)."""

    def __init__(self, trainer: Trainer, steps: int, first: int, before: float, tracker: _Tracker, hooks: Hooks):
        self.trainer, self.steps, self.first, self.tracker, self.hooks = trainer, steps, first, tracker, hooks
        self.buffer = make_buffer(trainer.device)
        self.done, self.clock = first, before
        self.now = self.flushed_at = time.perf_counter()
        self.stop_reason: str | None = None
        self.stop_status = RunStatus.INTERRUPTED
        if hooks.on_flush:
            tracker.taken = self._flushed

    def request_stop(self, reason: str, status: RunStatus | None = None) -> None:
        if self.stop_reason is None:
            self.stop_reason, self.stop_status = reason, status or RunStatus.INTERRUPTED

    def flush(self) -> bool:
        self.flushed_at = self.now
        self.tracker.flush(*self.buffer.drain())
        return not self.buffer.diverged

    def all_stored(self) -> bool:
        return not (self.tracker.pending or self.tracker.pending_metrics)

    def latest(self) -> tuple[float | None, Mapping[str, float]]:
        latest = self.buffer.latest()
        return (self.tracker.last if latest is None else latest), {**self.tracker.final_metrics(),
                                                                   **self.buffer.latest_metrics}

    def stored(self) -> tuple[float | None, Mapping[str, float]]:
        return self.tracker.last, self.tracker.final_metrics()

    def record_evaluation(self, step: int, results: Mapping[str, float]) -> None:
        self.buffer.add_metrics(step, results)
        for hook in self.hooks.on_evaluation:
            hook(self, step, results)

    def _flushed(self, rows: list[Row], metric_rows: list[MetricRow]) -> None:
        for hook in self.hooks.on_flush:
            hook(self, rows, metric_rows)


if TYPE_CHECKING:
    def _is_a_loop(loop: _Loop) -> Loop:
        return loop  # mypy checks here that _Loop is what handlers are promised


def failure(exc: Exception) -> str:
    """What a failed run records: the store's one-line reason (no traceback of runner's own
    code helps there), or the traceback of anything else."""
    if isinstance(exc, StorageError):
        return f"StorageError: {exc}"
    return traceback.format_exc()


@dataclass(frozen=True)
class _StepValues:
    """Which metric values a step records, in order, decided from the first step."""

    model_names: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # the model's metrics, then the tracked ones
    detach_loss: bool = False  # a loss that still requires grad is detached before it is read
    detach: bool = False  # so is any metric value that does
    label: str = "the model"

    @classmethod
    def first(cls, trainer: Trainer, loss: Any, metrics: Mapping[str, Any] | None, tracked: list[Any]) -> _StepValues:
        """The choices for this run; a PluginError naming the plugin for a bad loss, metric name or value."""
        check_loss(loss, trainer.label)
        if metrics is not None:
            check_metrics(metrics, trainer.label)
        model_names = tuple(metrics or ())
        clash = set(model_names) & {t.name for t in trainer.tracked}
        if clash:
            raise PluginError(f"{trainer.label}: loss_and_grads returns metric {sorted(clash)[0]!r}, "
                              "which --track records too; leave it out of --track")
        everything = [*(metrics or {}).values(), *tracked]
        return cls(model_names, model_names + tuple(t.name for t in trainer.tracked),
                   _requires_grad(loss), any(_requires_grad(v) for v in everything), trainer.label)

    def of(self, metrics: Mapping[str, Any] | None, tracked: list[Any]) -> Sequence[Any]:
        """This step's values, in the order of ``names``; () when the run records none."""
        if not self.names:
            return ()
        values = self._model_values(metrics) + tracked if self.model_names else tracked
        return [v.detach() if _requires_grad(v) else v for v in values] if self.detach else values

    def _model_values(self, metrics: Any) -> list[Any]:
        try:
            return [metrics[name] for name in self.model_names]
        except (KeyError, TypeError):
            raise PluginError(f"{self.label}: loss_and_grads stopped returning the metrics of its first step "
                              f"({', '.join(self.model_names)}); return the same names at every step") from None


def _requires_grad(value: Any) -> bool:
    return bool(getattr(value, "requires_grad", False))


class _Tracker:
    """Forwards rows to the sink and keeps the running summary.

    Rows the sink could not take for a passing fault (StorageUnavailable) are
    kept and offered again once ``patience`` says so, while training goes on;
    with PENDING_LIMIT rows kept, training waits for the store instead. Any
    other error, or a fault that outlasts the deadline, is raised.
    """

    def __init__(self, sink: Sink, patience: Patience):
        self.sink, self.patience = sink, patience
        self.taken: Sink | None = None  # told of the rows the sink took (the handlers' on_flush)
        self.pending: list[Row] = []
        self.pending_metrics: list[MetricRow] = []
        self.count = 0
        self.last: float | None = None
        self.best: float | None = None
        self.metrics: dict[str, tuple[int, float]] = {}  # name: (step, value) of its latest row

    def flush(self, rows: Sequence[Row], metric_rows: Sequence[MetricRow] = (), wait: bool = False) -> None:
        """Offer every kept row to the sink; ``wait``: until it takes them (or gives up), even during a fault."""
        self.pending.extend(rows)
        self.pending_metrics.extend(metric_rows)
        if not self.pending and not self.pending_metrics:
            return
        wait = wait or len(self.pending) + len(self.pending_metrics) >= PENDING_LIMIT
        if not (wait or self.patience.ready()):
            return
        unsaved = f"{len(self.pending)} computed steps"
        while True:
            try:
                self.sink(self.pending, self.pending_metrics)
                break
            except StorageUnavailable as fault:
                self.patience.failed(fault, unsaved)  # raises once the fault has lasted the deadline
                if not wait:
                    return
                self.patience.sleep()
        self.patience.succeeded()
        self._taken()

    def _taken(self) -> None:
        """The sink stored every kept row: add them to the summary."""
        rows, self.pending = self.pending, []
        metric_rows, self.pending_metrics = self.pending_metrics, []
        for name, step, value in metric_rows:
            if step >= self.metrics.get(name, (-1, 0.0))[0]:
                self.metrics[name] = (step, value)
        if rows:
            self.count += len(rows)
            self.last = rows[-1][1]
            finite = [loss for _, loss, _ in rows if math.isfinite(loss)]
            if finite:
                low = min(finite)
                self.best = low if self.best is None else min(self.best, low)
        if self.taken is not None:
            self.taken(rows, metric_rows)

    def final_metrics(self) -> dict[str, float]:
        return {name: value for name, (_, value) in self.metrics.items()}
