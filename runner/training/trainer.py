"""A run's ``Trainer``: its model, optimizer, data and generators, built by ``prepare`` from a resolved config.

``prepare`` seeds the generators, builds the dataset, the model and the optimizer (in the tutorial's order:
x, y, then the weights), and moves them to the device; then, only if the run asks for them, the validation
split (drawn aside, so training draws are unchanged), the mini-batch sampler and the tracked metrics. Apart
from the loop (runner.training.engine) so that handlers and checkpoints can name a Trainer without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.config import Resolved
from runner.contracts import check_model
from runner.errors import PluginError
from runner.seeding import seed_everything, seeded_aside
from runner.specs import Model
from runner.training import scheduling
from runner.training.batches import BatchSampler
from runner.training.devices import resolve_device
from runner.training.evaluation import Evaluator
from runner.training.tracking import TRACKERS, Tracked

__all__ = ["Trainer", "prepare", "validation_seed"]


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
    batches: BatchSampler | None = None  # --batch-size: each step trains on the sampler's next batch
    tracked: tuple[Tracked, ...] = ()  # --track, in the order computed: before the update, then after
    evaluator: Evaluator | None = None  # the validation split, when the run evaluates
    eval_every: int | None = None
    schedule: Any = None  # the lr schedule (runner.training.scheduling); None: the lr never changes

    def step(self) -> tuple[Any, Mapping[str, Any] | None, list[Any]]:
        """One update: ``(loss, the model's metrics or None, the tracked metrics' values)``."""
        x, y = (self.x, self.y) if self.batches is None else self.batches.next(self.x, self.y)
        out = self.model.loss_and_grads(x, y)
        grads = out[1]
        tracked = [t.compute(self.optimizer, self.model.parameters(), grads) for t in self.tracked
                   if not t.after_update] if self.tracked else []
        if self.backend == "numpy":
            self.optimizer.step(grads)
        else:
            for p, g in zip(self.model.parameters(), grads):
                if p.grad is not g:  # hand-written gradients reach torch.optim through .grad
                    p.grad = g
            self.optimizer.step()
        if self.tracked:
            tracked += [t.compute(self.optimizer, self.model.parameters(), grads) for t in self.tracked if t.after_update]
        return out[0], (out[2] if len(out) > 2 else None), tracked

    def evaluates_at(self, step: int, last: int) -> bool:
        return self.eval_every is not None and ((step + 1) % self.eval_every == 0 or step == last)


def prepare(resolved: Resolved, device: Any = None) -> Trainer:
    """Seed, build and place everything ``resolved`` names (on its config's device unless ``device`` is given)."""
    config, backend, label = resolved.config, resolved.backend, resolved.label
    device = device if device is not None else resolve_device(config.device, backend)

    seed_everything(config.seed, backend)
    x, y = _build(resolved.labels.get("dataset", "the dataset"), resolved.dataset.build, backend, **config.dataset_params)
    d_out = resolved.dataset.classes or _width(y)  # a classifier's targets are class indices
    model = _build(label, resolved.model.build, _width(x), d_out, device, **config.model_params)
    check_model(model, label)
    if backend == "torch":
        x, y = x.to(device), y.to(device)
    builder = resolved.optimizer.builder(backend)
    assert builder is not None  # resolve() refuses an optimizer without this backend
    optimizer = _build(resolved.labels.get("optimizer", "the optimizer"), builder, list(model.parameters()),
                       lr=config.lr, **config.optimizer_options)
    trainer = Trainer(model, x, y, backend, device, optimizer, label)
    # Built before a checkpoint is restored (building sets the lr), so that restoring then sets lr and schedule.
    trainer.schedule = _build(resolved.labels.get("schedule", "the schedule"), scheduling.build, resolved.schedule,
                              optimizer, config.steps, config.warmup, config.schedule_params)
    _prepare_extras(trainer, resolved)
    return trainer


def _build(label: str, build: Any, *args: Any, **kwargs: Any) -> Any:
    """``build(*args, **kwargs)``; what it raises becomes a PluginError naming the plugin, as other plugin faults do."""
    try:
        return build(*args, **kwargs)
    except Exception as exc:
        raise PluginError(f"{label}: build raised {type(exc).__name__}: {exc}") from exc


def _prepare_extras(trainer: Trainer, resolved: Resolved) -> None:
    """What --eval-every, --batch-size and --track add; after the weights, so no training draw moves."""
    config = resolved.config
    if config.eval_every is not None and resolved.dataset.validation is not None:
        # Drawn from the global generators seeded apart from build's, then put back as they were.
        with seeded_aside(validation_seed(config.seed), trainer.backend):
            x, y = resolved.dataset.validation(trainer.backend, **config.dataset_params)
        if trainer.backend == "torch":
            x, y = x.to(trainer.device), y.to(trainer.device)
        trainer.evaluator = Evaluator(trainer.model, x, y, trainer.backend, trainer.label)
        trainer.eval_every = config.eval_every
    if config.batch_size is not None:
        trainer.batches = BatchSampler(len(trainer.x), config.batch_size, config.seed, trainer.backend, trainer.device)
    chosen = [TRACKERS[name] for name in config.track]
    trainer.tracked = tuple(sorted(chosen, key=lambda t: t.after_update))


def validation_seed(seed: int) -> int:
    """The seed of the global generators while a dataset draws its validation split (not the run's own)."""
    import numpy

    return int(numpy.random.SeedSequence([seed, 0x76616C]).generate_state(1)[0])


def _width(data: Any) -> int:
    """The size of one sample: the last dimension, or 1 when each sample is a single number (1-D data)."""
    shape = tuple(data.shape)
    return shape[-1] if len(shape) > 1 else 1
