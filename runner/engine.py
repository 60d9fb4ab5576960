"""The one training loop that every model and optimizer goes through.

``prepare`` seeds the generators, builds the dataset, the model and the
optimizer (in the tutorial's order: x, y, then the weights), and moves
them to the device. ``train`` runs the steps, hands losses to a sink in
batches at least every ``flush_seconds``, and returns an ``Outcome``.
Nothing here knows about the database.
"""

from __future__ import annotations

import math
import random
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from runner.config import RunConfig
from runner.devices import resolve_device
from runner.errors import PluginError
from runner.losses import Row, make_buffer
from runner.registry import Registry
from runner.specs import Model

Sink = Callable[[list[Row]], None]
Progress = Callable[[int, float], None]

COMPLETED, DIVERGED, FAILED, INTERRUPTED = "completed", "diverged", "failed", "interrupted"
PROGRESS_SECONDS = 0.1


@dataclass
class Outcome:
    status: str
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


def seed_everything(seed: int, backend: str) -> None:
    """Seed the generators the tutorial's code draws from."""
    random.seed(seed)
    import numpy

    numpy.random.seed(seed)
    if backend == "torch":
        import torch

        torch.manual_seed(seed)


def prepare(config: RunConfig, registry: Registry, device: Any = None) -> Trainer:
    model_spec = registry.get("model", config.model).spec
    dataset_spec = registry.get("dataset", config.dataset).spec
    optimizer_spec = registry.get("optimizer", config.optimizer).spec
    backend = model_spec.backend
    device = device if device is not None else resolve_device(config.device, backend)

    seed_everything(config.seed, backend)
    x, y = dataset_spec.build(backend, **config.dataset_params)
    model = model_spec.build(_width(x), _width(y), device, **config.model_params)
    if not isinstance(model, Model):
        raise PluginError(f"model {config.model!r} built {type(model).__name__}, which has no parameters() and loss_and_grads()")
    if backend == "torch":
        x, y = x.to(device), y.to(device)
    builder = optimizer_spec.builder(backend)
    optimizer = builder(list(model.parameters()), lr=config.lr, **config.optimizer_options)
    return Trainer(model, x, y, backend, device, optimizer)


def _width(data: Any) -> int:
    shape = tuple(data.shape)
    return shape[-1] if shape else 1


def train(
    trainer: Trainer,
    steps: int,
    sink: Sink,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    flush_seconds: float = 1.0,
) -> Outcome:
    """Run ``steps`` steps; every computed loss reaches ``sink`` before this returns."""
    buffer = make_buffer(trainer.device)
    stop = stop or StopFlag()
    tracker = _Tracker(sink, progress)
    start = last_flush = last_tick = time.perf_counter()
    status, error, done = COMPLETED, None, 0
    try:
        for step in range(steps):
            if stop.requested:
                status = INTERRUPTED
                break
            loss = trainer.step()
            now = time.perf_counter()
            buffer.add(step, loss, now - start)
            done = step + 1
            if buffer.diverged:
                status = DIVERGED
                break
            if now - last_tick >= PROGRESS_SECONDS:  # cheap work, a few times a second
                last_tick = now
                if now - last_flush >= flush_seconds:
                    last_flush = now
                    tracker.flush(buffer.drain())
                    if buffer.diverged:
                        status = DIVERGED
                        break
                tracker.report(done, buffer.latest())
    except KeyboardInterrupt:
        status = INTERRUPTED
    except Exception:
        status, error = FAILED, traceback.format_exc()
    try:
        tracker.flush(buffer.drain())
    except Exception:  # e.g. a CUDA error surfacing at the copy, or the store failing
        status, error = FAILED, error or traceback.format_exc()
    if buffer.diverged:
        status = DIVERGED
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
        self.count, self.last, self.best = 0, None, None

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
