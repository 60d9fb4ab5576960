"""The one training loop that every model and optimizer goes through.

``prepare`` seeds the generators, builds the dataset, the model and the
optimizer of a resolved config (in the tutorial's order: x, y, then the
weights), and moves them to the device. ``train`` runs the steps, hands
losses to a sink in batches at least every ``options.flush_seconds``, and
returns an ``Outcome``. Nothing here knows about the database.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from runner import timeouts
from runner.config import Resolved
from runner.contracts import check_loss, check_model
from runner.devices import resolve_device
from runner.losses import Row, make_buffer
from runner.options import DEFAULTS, ExecOptions
from runner.seeding import seed_everything
from runner.specs import Model
from runner.status import RunStatus

Sink = Callable[[list[Row]], None]
Progress = Callable[[int, float | None], None]  # (steps done, latest loss: None before the first)

PROGRESS_SECONDS = 0.1


@dataclass
class Outcome:
    status: RunStatus
    steps_done: int
    final_loss: float | None
    best_loss: float | None
    seconds: float
    error: str | None = None

    @property
    def steps_per_second(self) -> float:
        return self.steps_done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Trainer:
    """A model, its data and its optimizer, ready to step."""

    model: Model
    x: Any
    y: Any
    backend: str
    device: Any
    optimizer: Any
    label: str = "the model"  # who is at fault when the model misbehaves: plugin, package and model

    def step(self) -> Any:
        loss, grads = self.model.loss_and_grads(self.x, self.y)
        if self.backend == "numpy":
            self.optimizer.step(grads)
        else:
            for p, g in zip(self.model.parameters(), grads):
                if p.grad is not g:  # hand-written gradients reach torch.optim through .grad
                    p.grad = g
            self.optimizer.step()
        return loss


class StopFlag:
    """Set from a signal handler; the loop checks it between steps."""

    requested = False


def prepare(resolved: Resolved, device: Any = None) -> Trainer:
    """Seed, build and place everything ``resolved`` names (on its config's device unless ``device`` is given)."""
    config, backend, label = resolved.config, resolved.backend, resolved.label
    device = device if device is not None else resolve_device(config.device, backend)

    seed_everything(config.seed, backend)
    x, y = resolved.dataset.build(backend, **config.dataset_params)
    model = resolved.model.build(_width(x), _width(y), device, **config.model_params)
    check_model(model, label)
    if backend == "torch":
        x, y = x.to(device), y.to(device)
    builder = resolved.optimizer.builder(backend)
    assert builder is not None  # resolve() refuses an optimizer without this backend
    optimizer = builder(list(model.parameters()), lr=config.lr, **config.optimizer_options)
    return Trainer(model, x, y, backend, device, optimizer, label)


def _width(data: Any) -> int:
    """The size of one sample: the last dimension, or 1 when each sample is a single number (1-D data)."""
    shape = tuple(data.shape)
    return shape[-1] if len(shape) > 1 else 1


def train(trainer: Trainer, steps: int, sink: Sink, options: ExecOptions = DEFAULTS) -> Outcome:
    """Run ``steps`` steps; every computed loss reaches ``sink`` before this returns.

    With ``options.step_timeout`` (seconds), a step that takes longer fails the run (see runner.timeouts).
    """
    if trainer.backend == "numpy":
        import numpy

        # Overflow on the way to inf is how divergence looks; it is reported as a status, not as warnings.
        with numpy.errstate(over="ignore", invalid="ignore"):
            return _train(trainer, steps, sink, options)
    return _train(trainer, steps, sink, options)


def _train(trainer: Trainer, steps: int, sink: Sink, options: ExecOptions) -> Outcome:
    buffer = make_buffer(trainer.device)
    take_step = timeouts.guard(trainer.step, options.step_timeout, trainer.label)
    stop = options.stop or StopFlag()
    tracker = _Tracker(sink, options.progress)
    flush_seconds = options.flush_seconds
    start = last_flush = last_tick = time.perf_counter()
    status, error, done = RunStatus.COMPLETED, None, 0
    try:
        for step in range(steps):
            if stop.requested:
                status = RunStatus.INTERRUPTED
                break
            loss = take_step()
            if step == 0:
                check_loss(loss, trainer.label)  # once, from the shape alone: no per-step cost, no GPU sync
            now = time.perf_counter()
            buffer.add(step, loss, now - start)
            done = step + 1
            if buffer.diverged:
                status = RunStatus.DIVERGED
                break
            if now - last_tick >= PROGRESS_SECONDS:  # cheap work, a few times a second
                last_tick = now
                if now - last_flush >= flush_seconds:
                    last_flush = now
                    tracker.flush(buffer.drain())
                    if buffer.diverged:
                        status = RunStatus.DIVERGED
                        break
                tracker.report(done, buffer.latest())
    except KeyboardInterrupt:
        status = RunStatus.INTERRUPTED
    except Exception:
        status, error = RunStatus.FAILED, traceback.format_exc()
    try:
        tracker.flush(buffer.drain())
    except Exception:  # e.g. a CUDA error surfacing at the copy, or the store failing
        status, error = RunStatus.FAILED, error or traceback.format_exc()
    if buffer.diverged:
        status = RunStatus.DIVERGED
    tracker.report(done, None)
    return Outcome(status, tracker.count, tracker.last, tracker.best, time.perf_counter() - start, error)


class _Tracker:
    """Forwards rows to the sink and keeps the running summary.

    Rows the sink could not take (a storage error) are kept and offered
    again at the next flush, so a passing fault loses nothing.
    """

    def __init__(self, sink: Sink, progress: Progress | None):
        self.sink, self.progress = sink, progress
        self.pending: list[Row] = []
        self.count = 0
        self.last: float | None = None
        self.best: float | None = None

    def flush(self, rows: Sequence[Row]) -> None:
        self.pending.extend(rows)
        if not self.pending:
            return
        self.sink(self.pending)
        rows, self.pending = self.pending, []
        self.count += len(rows)
        self.last = rows[-1][1]
        finite = [loss for _, loss, _ in rows if math.isfinite(loss)]
        if finite:
            low = min(finite)
            self.best = low if self.best is None else min(self.best, low)

    def report(self, steps_done: int, latest: float | None) -> None:
        if self.progress is not None:
            self.progress(steps_done, self.last if latest is None else latest)
