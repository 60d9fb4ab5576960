"""The conformance checks for a model plugin.

Each runs the model through runner's own training loop, on the CPU, with
the model's defaults (its optimizer, learning rate, dataset and params),
for a handful of steps.
"""

from __future__ import annotations

from typing import Any

from runner.errors import ConfigError
from runner.testing.gradients import FUNCTIONS, GRADIENTS, check_functions, check_gradients
from runner.testing.measures import EVALUATION, METRICS, check_evaluation, check_metrics
from runner.testing.pairs import paired_lr, train_each
from runner.testing.results import CheckResult, failed, passed
from runner.testing.resumes import RESUMES, check_resumes
from runner.testing.running import last_line, prepared, short, step_parts, train, train_steps
from runner.testing.snapshots import same, snapshot
from runner.testing.suite import Check

__all__ = ["TRAIN_STEPS", "REPEAT_STEPS", "OPTIMIZER_STEPS", "EVERY_PARAMETER", "model_checks", "check_builds",
    "check_trains", "check_reproducible", "check_every_parameter", "check_every_optimizer"]

TRAIN_STEPS = 10  # enough for a loss to fall under sane defaults, few enough to take seconds
REPEAT_STEPS = 5
OPTIMIZER_STEPS = 3
EVERY_PARAMETER = "every parameter"


def model_checks(registry: Any, name: str, timeout: float | None) -> list[Check]:
    return [
        Check("builds", lambda: check_builds(registry, name), needed=True),
        Check("trains", lambda: check_trains(registry, name)),
        Check(EVERY_PARAMETER, lambda: check_every_parameter(registry, name)),
        Check("reproducible", lambda: check_reproducible(registry, name)),
        Check(RESUMES, lambda: check_resumes(registry, name)),
        Check(GRADIENTS, lambda: _on_a_fresh_trainer(registry, name, GRADIENTS, check_gradients)),
        Check(FUNCTIONS, lambda: _on_a_fresh_trainer(registry, name, FUNCTIONS, check_functions)),
        Check(METRICS, lambda: _on_a_fresh_trainer(registry, name, METRICS, check_metrics)),
        Check(EVALUATION, lambda: check_evaluation(registry, name)),
        Check("every optimizer", lambda: check_every_optimizer(registry, name, timeout), timed=False),
    ]


def _on_a_fresh_trainer(registry: Any, name: str, check_name: str, check) -> CheckResult:
    """``check`` on the model at its starting point: each of these checks steps the model itself."""
    trainer, problem = prepared(registry, model=name, seed=0)
    return failed(check_name, problem) if trainer is None else check(trainer)


def check_builds(registry: Any, name: str) -> CheckResult:
    """The model's defaults resolve (its dataset fits) and build an object that follows the Model protocol."""
    try:
        run = train_steps(registry, 1, model=name, seed=0)
    except ConfigError as exc:
        return failed("builds", str(exc))
    if run.trainer is None:
        return failed("builds", run.problem() or "could not be prepared")
    spec = registry.models[name].spec
    params = list(run.trainer.model.parameters())
    if not params:
        return failed("builds", "parameters() is empty: there is nothing to train")
    shapes = f"x {tuple(run.trainer.x.shape)}, y {tuple(run.trainer.y.shape)}"
    return passed("builds", f"{spec.backend} model, {len(params)} parameters, dataset {_dataset(registry, name)!r} ({shapes})")


def _dataset(registry: Any, name: str) -> str:
    from runner.config import DEFAULT_DATASET

    return registry.models[name].spec.dataset or DEFAULT_DATASET


def check_trains(registry: Any, name: str) -> CheckResult:
    """A few steps under the model's defaults: finite scalar losses, and the last below the first."""
    run = train_steps(registry, TRAIN_STEPS, model=name, seed=0)
    problem = run.problem()
    if problem:
        return failed("trains", problem)
    first, last = run.losses[0], run.losses[-1]
    if not last < first:
        return failed("trains", f"the loss did not fall in {TRAIN_STEPS} steps: {first:.6g} -> {last:.6g}; check the default lr")
    return passed("trains", f"loss {first:.6g} -> {last:.6g} in {TRAIN_STEPS} steps")


def check_reproducible(registry: Any, name: str) -> CheckResult:
    """One seed gives the same losses twice (draw only from the generators runner seeds)."""
    runs = [train_steps(registry, REPEAT_STEPS, model=name, seed=1) for _ in range(2)]
    for run in runs:
        problem = run.problem()
        if problem:
            return failed("reproducible", problem)
    if runs[0].losses != runs[1].losses:
        return failed(
            "reproducible",
            f"seed 1 gave {short(runs[0].losses)} then {short(runs[1].losses)}: draw randomness only from "
            "Python's random, NumPy's and torch's global generators, after runner seeds them",
        )
    return passed("reproducible", f"seed 1 gives the same {REPEAT_STEPS} losses twice")


def check_every_parameter(registry: Any, name: str) -> CheckResult:
    """In a few steps under the model's defaults, each parameter gets a non-zero gradient at least once, and changes.

    At seed 0, so that a model that uses a parameter on some steps only
    (DynamicNet's middle layer, with a random depth per pass) is judged the
    same way every time.
    """
    trainer, problem = prepared(registry, model=name, seed=0)
    if trainer is None:
        return failed(EVERY_PARAMETER, problem)
    before = [snapshot(p) for p in trainer.model.parameters()]
    watch = trainer.model = _GradientWatch(trainer.model, len(before))
    run = train(trainer, TRAIN_STEPS)
    if run.error:
        return failed(EVERY_PARAMETER, last_line(run.error))
    after = list(watch.parameters())
    steps = f"{len(run.losses)} steps"
    faults = [f"parameter {i} {_shape(p)} got no gradient in {steps} (None or zeros each time): "
              "does the loss use it, and is nothing detached on the way?"
              for i, p in enumerate(after) if i < len(watch.received) and not watch.received[i]]
    faults += [f"parameter {i} {_shape(p)} got a gradient but never changed in {steps}: does parameters() "
               "return the very arrays or tensors the model computes with, and does its optimizer update them?"
               for i, (b, p) in enumerate(zip(before, after)) if watch.received[i] and same(b, p)]
    if faults:
        return failed(EVERY_PARAMETER, "; ".join(faults))
    every = "the 1 parameter" if len(after) == 1 else f"all {len(after)} parameters"
    return passed(EVERY_PARAMETER, f"{every} got a gradient and changed in {steps}")


class _GradientWatch:
    """The model as the training loop sees it, noting which parameters ever get a non-zero gradient."""

    def __init__(self, model: Any, count: int):
        self.model, self.received = model, [False] * count

    def parameters(self) -> Any:
        return self.model.parameters()

    def loss_and_grads(self, x: Any, y: Any) -> tuple[Any, ...]:
        loss, grads, metrics = step_parts(self.model.loss_and_grads(x, y))
        for i, g in enumerate(grads[: len(self.received)]):
            if not self.received[i] and g is not None and _nonzero(g):
                self.received[i] = True
        return (loss, grads) if metrics is None else (loss, grads, metrics)


def _nonzero(g: Any) -> bool:
    import numpy as np

    return bool((g != 0).any()) if hasattr(g, "detach") else bool(np.any(np.asarray(g) != 0))


def _shape(p: Any) -> str:
    return f"(shape {tuple(getattr(p, 'shape', ()))})"


def check_every_optimizer(registry: Any, name: str, timeout: float | None) -> CheckResult:
    """Every registered optimizer that supports the model's backend trains it for a few finite steps.

    Each at the lr a run would take, or at the model's where the optimizer declares a larger one
    (runner.testing.pairs.paired_lr).

    An optimizer that fails here and also fails its own checks is broken on
    its own: a warning, not a failure of this model.
    """
    from runner.testing.optimizer_checks import optimizer_alone

    backend = registry.models[name].spec.backend
    usable = sorted(o for o, e in registry.optimizers.items() if e.spec.builder(backend) is not None)
    if not usable:
        return failed("every optimizer", f"no registered optimizer supports the {backend} backend")
    cases = {optimizer: {"model": name, "optimizer": optimizer, **paired_lr(registry, name, optimizer)}
             for optimizer in usable}
    scaled = [optimizer for optimizer, args in cases.items() if "lr" in args]
    done = f"{OPTIMIZER_STEPS} finite steps with each of {', '.join(usable)}"
    if scaled:  # they declare a larger lr than the model's: at the model's (pairs.paired_lr says why)
        done += f" ({', '.join(scaled)} at the model's lr, {registry.models[name].spec.lr:g}, below their own)"
    return train_each(registry, "every optimizer", OPTIMIZER_STEPS, "optimizer", cases, done,
                      lambda optimizer: optimizer_alone(registry, optimizer, backend), timeout)
