"""The conformance checks for a learning-rate schedule plugin.

Its factor is finite and positive at every step of a run and has the shape
its spec declares (runner.specs.SHAPES); its torch scheduler, if it has one,
gives the factor's lr at every step, to rounding; and a run with it (after a
warm-up) trains with every optimizer, NumPy and torch models alike, and gives
the same losses, bit for bit, when stopped halfway and resumed from a checkpoint.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

from runner.testing.results import CheckResult, failed, passed, skipped
from runner.testing.suite import Check

__all__ = ["STEPS", "AT", "WARMUP", "MODELS", "schedule_checks", "check_shape", "SHAPE_CHECKS"]

STEPS = 30
AT = 13  # steps before the interruption: past the warm-up
WARMUP = 5
MODELS = ("numpy", "module")  # a NumPy model (the factor sets the lr) and a torch one (torch.optim's schedulers)
SMALL = ("batch=16", "d_in=6", "d_out=3", "hidden=5")
TOLERANCE = 1e-9  # relative: torch computes most schedules step by step, the factor in closed form
LR = 1e-3


def schedule_checks(registry: Any, name: str, timeout: float | None) -> list[Check]:
    spec = registry.schedules[name].spec
    return [
        Check("declared shape", lambda: check_shape(spec), needed=True),
        Check("torch agrees", lambda: _check_torch_agrees(spec)),
        *(Check(f"resumes ({model})", functools.partial(_check_resumes, registry, name, model)) for model in MODELS),
        Check("every optimizer", lambda: _check_every_optimizer(registry, name)),
    ]


def _factors(spec: Any, steps: int = STEPS) -> list[float]:
    return [float(spec.factor(step, steps, **spec.params)) for step in range(steps)]


def _factor(spec: Any, steps: int, step: int) -> float:
    return float(spec.factor(step, steps, **spec.params))


def _non_increasing(f: Sequence[float]) -> bool:
    return all(b <= a * (1 + TOLERANCE) for a, b in zip(f, f[1:]))


def _one_peak(f: Sequence[float]) -> bool:
    top = max(range(len(f)), key=f.__getitem__)
    rising = all(b >= a * (1 - TOLERANCE) for a, b in zip(f[: top + 1], f[1 : top + 1]))
    return rising and _non_increasing(f[top:]) and math.isclose(f[top], 1.0, rel_tol=1e-6)


SHAPE_CHECKS: dict[str, Callable[[Sequence[float]], bool]] = {
    "flat": lambda f: all(v == 1.0 for v in f),
    "starts_at_lr": lambda f: f[0] == 1.0,
    "non_increasing": _non_increasing,
    "one_peak": _one_peak,
}


def check_shape(spec: Any) -> CheckResult:
    """The factor at each step of a STEPS-step run: finite, positive, and of each declared shape."""
    f = _factors(spec)
    bad = next((i for i, v in enumerate(f) if not (math.isfinite(v) and v > 0)), None)
    if bad is not None:
        return failed("declared shape", f"factor(step={bad}, steps={STEPS}) is {f[bad]!r}: a multiple of the lr must "
                                        "be a finite number above 0")
    wrong = [shape for shape in spec.shape if not SHAPE_CHECKS[shape](f)]
    if wrong:
        return failed("declared shape", f"it declares {', '.join(wrong)}, but over {STEPS} steps its factors are "
                                        f"{_short(f)}")
    return passed("declared shape", f"{', '.join(spec.shape) or 'no shape declared'}; from {f[0]:.4g} to {f[-1]:.4g} "
                                    f"over {STEPS} steps")


def _short(f: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in (*f[:4], *f[-3:])) + "]" if len(f) > 7 else str(list(f))


def _check_torch_agrees(spec: Any) -> CheckResult:
    if spec.torch is None:
        return skipped("torch agrees", "no torch builder: torch.optim optimizers get a LambdaLR of its factor")
    import torch

    from runner.training.scheduling import build, warmed

    for warmup in (0, WARMUP):
        p = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=LR)
        schedule = build(spec, optimizer, STEPS, warmup, spec.params)
        factor = warmed(functools.partial(_factor, spec, STEPS - warmup), warmup)
        expected = [LR * factor(k) for k in range(STEPS)]
        for step in range(STEPS):
            got = optimizer.param_groups[0]["lr"]
            if not math.isclose(got, expected[step], rel_tol=TOLERANCE):
                return failed("torch agrees", f"with --warmup {warmup}, step {step}: its torch scheduler gives lr {got!r}, "
                                              f"its factor {expected[step]!r}")
            p.grad = torch.zeros(1)
            optimizer.step()
            schedule.step()
    return passed("torch agrees", f"its torch scheduler gives the factor's lr at each of {STEPS} steps, "
                                  f"with and without warm-up")


def _resumed(registry: Any, name: str, model: str, optimizer: str | None) -> str | None:
    """Why a run with this schedule fails to train or to resume bit for bit; None when it does both."""
    from runner.checkpoints.codec import decode, encode
    from runner.checkpoints.state import capture, restore
    from runner.testing.running import last_line, prepared, train

    args = dict(model=model, optimizer=optimizer, lr=LR, schedule=name, warmup=WARMUP, seed=0, steps=STEPS, sets=SMALL)
    whole_trainer, problem = prepared(registry, **args)
    if whole_trainer is None:
        return problem
    whole = train(whole_trainer, STEPS)
    if whole.problem():
        return whole.problem()
    first_trainer, _ = prepared(registry, **args)
    first = train(first_trainer, AT)
    data = encode(capture(first_trainer, AT))
    second, problem = prepared(registry, **args)
    if second is None:
        return problem
    restore(second, decode(data))
    rest = train(second, STEPS, start=AT)
    if rest.error:
        return last_line(rest.error)
    got, wanted = [v.hex() for v in first.losses + rest.losses], [v.hex() for v in whole.losses]
    if got != wanted:
        step = next(i for i, (a, b) in enumerate(zip(got, wanted)) if a != b)
        return f"stopped after {AT} steps and resumed, step {step} differs from the run left alone"
    return None


def _check_resumes(registry: Any, name: str, model: str) -> CheckResult:
    label = f"resumes ({model})"
    if model not in registry.models:
        return skipped(label, f"runner's built-in model {model!r} is not installed")
    problem = _resumed(registry, name, model, None)
    if problem:
        return failed(label, problem)
    return passed(label, f"{STEPS} steps with --warmup {WARMUP}, stopped after {AT} and resumed from its checkpoint: "
                         "the same losses, bit for bit")


def _check_every_optimizer(registry: Any, name: str) -> CheckResult:
    problems = []
    tried = 0
    for model in (m for m in MODELS if m in registry.models):
        backend = registry.models[model].spec.backend
        for optimizer, entry in sorted(registry.optimizers.items()):
            if entry.spec.builder(backend) is None:
                continue
            tried += 1
            problem = _resumed(registry, name, model, optimizer)
            if problem:
                problems.append(f"{optimizer} ({model}): {problem}")
    if problems:
        return failed("every optimizer", "; ".join(problems))
    return passed("every optimizer", f"trains and resumes bit for bit with each of {tried} optimizer and model pairs")
