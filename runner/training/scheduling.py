"""Learning-rate schedules: built with the run's optimizer (``build``), advanced after each step by the loop's
handler (runner.training.advancing).

A torch.optim optimizer gets the schedule's ``torch.optim.lr_scheduler``
object (``ScheduleSpec.torch``, else a ``LambdaLR`` of its factor), with
``--warmup N`` as a ``LinearLR`` in front (``SequentialLR``). Any other
optimizer (the NumPy rules, the tutorial's gd) gets ``FactorSchedule``,
which sets its ``lr`` from the schedule's factor: the same lr at each step,
to rounding. Either is told the run's steps less the warm-up, keeps its
state in ``state_dict()`` (saved in checkpoints: runner.checkpoints.state)
and is stepped once after each optimizer step, on the host: no device sync.

Warm-up: step ``k < N`` trains at ``(k + 1) / (N + 1)`` of the lr the
schedule starts at, so the lr rises in equal steps and reaches it at step N.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from runner.specs import Lazy, ScheduleSpec

__all__ = ["build", "FactorSchedule", "warmed"]


def build(spec: ScheduleSpec | None, optimizer: Any, steps: int, warmup: int, params: Mapping[str, Any]) -> Any:
    """The schedule of a run of ``steps`` steps (None: the lr never changes); ``spec`` None is the constant lr."""
    flat = spec is None or "flat" in spec.shape
    if flat and not warmup:
        return None
    main = steps - warmup
    if _is_torch_optimizer(optimizer):
        return _torch_schedule(None if flat else spec, optimizer, main, warmup, params)
    if spec is None:
        return FactorSchedule(optimizer, warmed(lambda step: 1.0, warmup))
    rule = spec.factor.load() if isinstance(spec.factor, Lazy) else spec.factor  # imported once, not each step
    return FactorSchedule(optimizer, warmed(lambda step: rule(step, main, **params), warmup))


def _is_torch_optimizer(optimizer: Any) -> bool:
    torch: Any = sys.modules.get("torch")
    return torch is not None and isinstance(optimizer, torch.optim.Optimizer)


def _torch_schedule(spec: ScheduleSpec | None, optimizer: Any, steps: int, warmup: int, params: Mapping[str, Any]) -> Any:
    from torch.optim import lr_scheduler

    main = None
    if spec is not None:  # built first, from the run's lr: the warm-up then rises to where it starts
        main = (spec.torch(optimizer, steps, **params) if spec.torch is not None
                else lr_scheduler.LambdaLR(optimizer, lambda step: spec.factor(step, steps, **params)))
    if not warmup:
        return main
    ramp = lr_scheduler.LinearLR(optimizer, start_factor=1 / (warmup + 1), end_factor=1.0, total_iters=warmup)
    return ramp if main is None else lr_scheduler.SequentialLR(optimizer, [ramp, main], milestones=[warmup])


def warmed(factor: Callable[[int], float], warmup: int) -> Callable[[int], float]:
    """``factor`` with ``warmup`` steps of linear warm-up in front, as LinearLR then SequentialLR compute it."""
    if not warmup:
        return factor
    first = factor(0)
    return lambda step: first * (step + 1) / (warmup + 1) if step < warmup else factor(step - warmup)


class FactorSchedule:
    """Sets an optimizer's lr to its starting lr times ``factor(step)``: ``param_groups``' ``lr`` when it has
    them, else its ``lr`` attribute. The twin of a torch scheduler, with ``step``, ``state_dict`` and
    ``load_state_dict``; set for step 0 when built, as torch's are."""

    def __init__(self, optimizer: Any, factor: Callable[[int], float]):
        self.optimizer, self.factor = optimizer, factor
        groups = getattr(optimizer, "param_groups", None)
        if groups is None and not isinstance(getattr(optimizer, "lr", None), (int, float)):
            raise TypeError(f"{type(optimizer).__name__} has neither param_groups nor a number lr for a schedule to set")
        self.base_lrs = [float(g["lr"]) for g in groups] if groups is not None else [float(optimizer.lr)]
        self.last_epoch = 0
        self._apply()

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = [float(lr) for lr in state["base_lrs"]]
        self._apply()

    def _apply(self) -> None:
        factor = self.factor(self.last_epoch)
        groups = getattr(self.optimizer, "param_groups", None)
        if groups is None:
            self.optimizer.lr = self.base_lrs[0] * factor
            return
        for group, lr in zip(groups, self.base_lrs):
            group["lr"] = lr * factor
