"""What the user asked to run, before any plugin default is applied.

``runner run`` builds one RunRequest from its options (runner.cli.params.take);
runner.grid expands it into a RunChoice per run of the grid, and
runner.config.resolve turns each choice into a complete, checked RunConfig.
A new run option is a field here, named as its click option's parameter in
runner/cli/run.py, and, when each run stores it, the same field on RunChoice
(runner.grid hands every run the fields that are no axis: SHARED) and on RunConfig.

Stdlib only: ``runner run --help`` must not import torch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RunRequest", "RunChoice", "AXES", "SHARED"]


@dataclass(frozen=True)
class RunRequest:
    """A run, or the grid of every combination of its axes (the plural fields), as the command line gave it.

    None in an axis is "the plugins' own default" (the model's optimizer, say).
    """

    models: Sequence[str]
    """The model plugins to train (--model): a grid axis."""
    optimizers: Sequence[str | None] = (None,)
    """The optimizer plugins (--optimizer); None: the model's own."""
    lrs: Sequence[float | None] = (None,)
    """The learning rates (--lr); None: the model's, or another optimizer's declared one."""
    steps: Sequence[int | None] = (None,)
    """How many steps each run trains (--steps); None: the model's, else 500."""
    seeds: Sequence[int | None] = (None,)
    """The seeds (--seed), the grid's innermost axis; a range stays counted, never listed; None: 0."""
    devices: Sequence[str] = ("auto",)
    """Where each run trains (--device): auto, cpu, cuda, cuda:N or mps."""
    datasets: Sequence[str | None] = (None,)
    """The dataset plugins (--dataset); None: the model's, else random."""
    batch_sizes: Sequence[int | None] = (None,)
    """Rows per step (--batch-size); None: the whole training split."""
    sets: Sequence[str] = ()
    """``key=value[,value]`` overrides of plugin settings (--set), each a grid axis of its values."""
    name: str | None = None
    """The runs' name (--name)."""
    eval_every: int | None = None
    """Evaluate on the validation split every N steps (--eval-every); None: never."""
    track: Sequence[str] = ()
    """Runner-computed metrics recorded each step (--track): lr, grad_norm, param_norm."""
    early_stop: str | None = None
    """End the run when this evaluation metric stops improving (--early-stop val_loss); None: never."""
    patience: int | None = None
    """Evaluations without improvement that end the run (--patience); needs early_stop."""
    min_delta: float | None = None
    """The least change that counts as an improvement (--min-delta); None: 0."""
    keep_best: str | None = None
    """Keep the weights at the best evaluation of this metric besides the final ones (--keep-best); None: don't."""
    schedules: Sequence[str | None] = (None,)
    """The lr schedule plugins (--schedule), a grid axis; None: constant."""
    warmup: int | None = None
    """Steps of linear lr warm-up before the schedule (--warmup); None: 0."""


@dataclass(frozen=True)
class RunChoice:
    """One run of a RunRequest: a value of each axis, and the request's fields that every run shares."""

    model: str
    """The model plugin."""
    optimizer: str | None = None
    """The optimizer plugin; None: the model's own."""
    lr: float | None = None
    """The learning rate; None: the model's, or another optimizer's declared one."""
    steps: int | None = None
    """Steps to train; None: the model's, else 500."""
    seed: int | None = None
    """The seed; None: 0."""
    device: str = "auto"
    """auto, cpu, cuda, cuda:N or mps."""
    dataset: str | None = None
    """The dataset plugin; None: the model's, else random."""
    batch_size: int | None = None
    """Rows per step; None: the whole training split."""
    sets: Sequence[str] = ()
    """``key=value`` overrides, one value each, applied in order."""
    name: str | None = None
    """The run's name."""
    eval_every: int | None = None
    """Evaluate on the validation split every N steps; None: never."""
    track: Sequence[str] = ()
    """Runner-computed metrics recorded each step."""
    early_stop: str | None = None
    """The evaluation metric whose lack of improvement ends the run; None: never."""
    patience: int | None = None
    """Evaluations without improvement that end the run."""
    min_delta: float | None = None
    """The least change that counts as an improvement; None: 0."""
    keep_best: str | None = None
    """The evaluation metric whose best value's weights are kept; None: none."""
    schedule: str | None = None
    """The lr schedule plugin; None: constant."""
    warmup: int | None = None
    """Steps of linear lr warm-up; None: 0."""


AXES = ("models", "optimizers", "lrs", "steps", "seeds", "devices", "datasets", "batch_sizes", "sets", "schedules")
"""RunRequest's grid axes: each run takes one value of each (of ``sets``, one value of each --set)."""
SHARED = tuple(f.name for f in dataclasses.fields(RunRequest) if f.name not in AXES)
"""The rest of a RunRequest, which each of its runs takes as it is: a RunChoice field of the same name."""
