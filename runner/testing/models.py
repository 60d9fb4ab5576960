"""The conformance checks for a model plugin.

Each runs the model through runner's own training loop, on the CPU, with
the model's defaults (its optimizer, learning rate, dataset and params),
for a handful of steps.
"""

from __future__ import annotations

from typing import Any

from runner.errors import ConfigError
from runner.testing.gradients import check_functions, check_gradients
from runner.testing.results import CheckResult, failed, passed
from runner.testing.running import prepared, short, train_each, train_steps

TRAIN_STEPS = 10  # enough for a loss to fall under sane defaults, few enough to take seconds
REPEAT_STEPS = 5
OPTIMIZER_STEPS = 3


def model_checks(registry: Any, name: str) -> list[CheckResult]:
    results = [check_builds(registry, name)]
    if not results[0].passed:
        return results
    results.append(check_trains(registry, name))
    results.append(check_reproducible(registry, name))
    for check_name, check in (("hand-written gradients", check_gradients), ("autograd Functions", check_functions)):
        trainer, problem = prepared(registry, model=name, seed=0)  # fresh: each check steps the model itself
        results.append(failed(check_name, problem) if trainer is None else _guarded(check_name, check, trainer))
    results.append(check_every_optimizer(registry, name))
    return results


def _guarded(name: str, check, trainer) -> CheckResult:
    try:
        return check(trainer)
    except Exception as exc:  # the model raised during the check: that is the finding
        return failed(name, f"{type(exc).__name__}: {exc}")


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
    shapes = "x {}, y {}".format(tuple(run.trainer.x.shape), tuple(run.trainer.y.shape))
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
        if run.problem():
            return failed("reproducible", run.problem())
    if runs[0].losses != runs[1].losses:
        return failed(
            "reproducible",
            f"seed 1 gave {short(runs[0].losses)} then {short(runs[1].losses)}: draw randomness only from "
            "Python's random, NumPy's and torch's global generators, after runner seeds them",
        )
    return passed("reproducible", f"seed 1 gives the same {REPEAT_STEPS} losses twice")


def check_every_optimizer(registry: Any, name: str) -> CheckResult:
    """Every registered optimizer that supports the model's backend trains it for a few finite steps."""
    backend = registry.models[name].spec.backend
    usable = sorted(o for o, e in registry.optimizers.items() if e.spec.builder(backend) is not None)
    if not usable:
        return failed("every optimizer", f"no registered optimizer supports the {backend} backend")
    cases = {optimizer: {"model": name, "optimizer": optimizer} for optimizer in usable}
    done = f"{OPTIMIZER_STEPS} finite steps with each of {', '.join(usable)}"
    return train_each(registry, "every optimizer", OPTIMIZER_STEPS, cases, done)

