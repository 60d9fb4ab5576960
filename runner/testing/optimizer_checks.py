"""The conformance checks for an optimizer plugin.

The rule is run on a small least-squares problem with known gradients,
in each backend it supports, then on every registered model it can train.
"""

from __future__ import annotations

import functools
from typing import Any

from runner.testing.pairs import model_alone, paired_lr, train_each
from runner.testing.results import CheckResult, failed, passed, skipped
from runner.testing.resumes import RESUMES, check_optimizer_resumes
from runner.testing.suite import Check

__all__ = ["LR", "STEPS", "MODEL_STEPS", "SMALL_LR", "LR_STEPS", "LR_TOLERANCE", "optimizer_checks",
    "optimizer_alone", "ALONE", "check_every_model"]

LR = 1e-2
STEPS = 30
MODEL_STEPS = 3
SMALL_LR = 1e-4  # small enough that the gradients barely change in LR_STEPS steps, so a step is linear in lr
LR_STEPS = 3
LR_TOLERANCE = 0.2  # of the expected step, 2x the one at SMALL_LR


def optimizer_checks(registry: Any, name: str, timeout: float | None) -> list[Check]:
    spec = registry.optimizers[name].spec
    backends = [b for b in ("numpy", "torch") if spec.builder(b) is not None]
    checks = [Check(f"{label} ({b})", functools.partial(check, spec, b)) for label, check in ALONE for b in backends]
    checks += [Check(f"{RESUMES} ({b})", functools.partial(_check_resumes, spec, b)) for b in backends]
    checks.append(Check("backends agree", lambda: _check_backends_agree(spec)))
    checks.append(Check("every model", lambda: check_every_model(registry, name, backends, timeout), timed=False))
    return checks


def optimizer_alone(registry: Any, name: str, backend: str) -> str | None:
    """Why optimizer ``name`` fails its own checks (no model involved) in ``backend``; None when it passes them."""
    spec = registry.get("optimizer", name).spec
    for label, check in ALONE:
        try:
            result = check(spec, backend)
        except Exception as exc:
            return f"its check '{label} ({backend})' raised {type(exc).__name__}: {exc}"
        if not result.passed:
            return f"its check {result.name!r} fails: {result.detail}"
    return None


class _Problem:
    """``loss = mean((x @ w + b - y)^2)`` with fixed data; gradients by hand, in float64."""

    def __init__(self) -> None:
        import numpy as np

        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((32, 5))
        self.y = self.x @ rng.standard_normal((5, 3)) + 0.5
        self.start = [rng.standard_normal((5, 3)) * 0.1, np.zeros(3)]

    def loss_and_grads(self, w, b):
        residual = self.x @ w + b - self.y
        n = residual.size
        return float((residual**2).sum() / n), [2 * self.x.T @ residual / n, 2 * residual.sum(0) / n]


def _session(spec: Any, backend: str, problem: _Problem, lr: float = LR) -> tuple[list, Any, Any]:
    """The problem's starting parameters, ``spec``'s rule over them, and one step: returns the loss, then updates.

    Each loss is computed from the very arrays or tensors handed to the
    rule, so a rule that does not update them in place shows no progress.
    """
    if backend == "numpy":
        params = [p.copy() for p in problem.start]
        rule = spec.numpy(list(params), lr=lr, **spec.options)

        def step() -> float:
            loss, grads = problem.loss_and_grads(*params)
            rule.step(grads)
            return loss

        return params, rule, step
    import torch

    tensors = [torch.tensor(p) for p in problem.start]
    rule = spec.torch(list(tensors), lr=lr, **spec.options)

    def torch_step() -> float:
        loss, grads = problem.loss_and_grads(*(t.detach().numpy() for t in tensors))
        for t, g in zip(tensors, grads):
            t.grad = torch.tensor(g)
        rule.step()
        return loss

    return tensors, rule, torch_step


def _run(spec: Any, backend: str, problem: _Problem, steps: int = STEPS, lr: float = LR) -> tuple[list, list[float]]:
    """Train the problem's parameters with ``spec``; returns (final parameters, losses)."""
    import numpy as np

    params, _, step = _session(spec, backend, problem, lr)
    losses = [step() for _ in range(steps)]
    if backend == "numpy":
        return [np.array(p) for p in params], losses
    return [t.detach().numpy().copy() for t in params], losses


def _check_descends(spec: Any, backend: str) -> CheckResult:
    """The rule updates the very parameters it was given, and the loss falls at lr 1e-2."""
    name = f"updates in place ({backend})"
    problem = _Problem()
    _, losses = _run(spec, backend, problem)
    if not losses[-1] < losses[0]:
        return failed(name, f"the loss did not fall in {STEPS} steps at lr {LR:g}: {losses[0]:.4g} -> {losses[-1]:.4g}")
    return passed(name, f"least squares, lr {LR:g}: loss {losses[0]:.4g} -> {losses[-1]:.4g} in {STEPS} steps")


def _check_none_gradients(spec: Any, backend: str) -> CheckResult:
    """A parameter whose gradient is None (unused this step, as in DynamicNet) is left untouched."""
    import numpy as np

    name = f"skips missing gradients ({backend})"
    problem = _Problem()
    if backend == "numpy":
        params = [p.copy() for p in problem.start]
        rule = spec.numpy(list(params), lr=LR, **spec.options)
        _, grads = problem.loss_and_grads(*params)
        rule.step([grads[0], None])
        after = params[1]
    else:
        import torch

        tensors = [torch.tensor(p) for p in problem.start]
        rule = spec.torch(list(tensors), lr=LR, **spec.options)
        _, grads = problem.loss_and_grads(*(t.numpy() for t in tensors))
        tensors[0].grad, tensors[1].grad = torch.tensor(grads[0]), None
        rule.step()
        after = tensors[1].numpy()
    if not np.array_equal(after, problem.start[1]):
        return failed(name, "a parameter whose gradient was None changed")
    return passed(name, "a parameter with no gradient keeps its value")


def _check_scales_with_lr(spec: Any, backend: str) -> CheckResult:
    """Twice the lr moves the parameters twice as far, the same way, in a few small steps from one start.

    The first steps of SGD, momentum, Adam (about lr * sign(g)) and RMSprop
    are all proportional to lr; a rule that ignores lr moves as far either way.
    """
    import numpy as np

    name = f"scales with lr ({backend})"
    problem = _Problem()
    moves = []
    for lr in (SMALL_LR, 2 * SMALL_LR):
        params, _ = _run(spec, backend, problem, LR_STEPS, lr)
        moves.append(np.concatenate([(p - s).ravel() for p, s in zip(params, problem.start)]))
    one, two = moves
    size = float(np.linalg.norm(one))
    if not size:
        return failed(name, f"{LR_STEPS} steps at lr {SMALL_LR:g} left the parameters where they were")
    ratio = float(np.linalg.norm(two)) / size
    error = float(np.linalg.norm(two - 2 * one)) / (2 * size)
    said = f"{LR_STEPS} steps at lr {2 * SMALL_LR:g} moved the parameters {ratio:.2f} times as far as at lr {SMALL_LR:g}"
    if not error <= LR_TOLERANCE:
        return failed(name, f"{said}, not about 2 times as far the same way (off by {error:.0%}): does the rule use lr?")
    return passed(name, f"{said}, the same way (within {error:.1%} of 2 times)")


def _check_resumes(spec: Any, backend: str) -> CheckResult:
    """Stopped halfway and resumed from a checkpoint, the rule takes the steps it takes uninterrupted, bit for bit."""
    problem = _Problem()
    return check_optimizer_resumes(backend, lambda: _session(spec, backend, problem))


ALONE = (("updates in place", _check_descends), ("skips missing gradients", _check_none_gradients),
         ("scales with lr", _check_scales_with_lr))  # the checks that need no model, for each backend


def _check_backends_agree(spec: Any) -> CheckResult:
    """With both backends, NumPy and torch take the same steps from the same gradients."""
    import numpy as np

    if spec.numpy is None or spec.torch is None:
        return skipped("backends agree", "the rule has one backend")
    problem = _Problem()
    np_params, _ = _run(spec, "numpy", problem)
    torch_params, _ = _run(spec, "torch", problem)
    for i, (a, b) in enumerate(zip(np_params, torch_params)):
        if not np.allclose(a, b, rtol=1e-6, atol=1e-9):
            return failed("backends agree", f"after {STEPS} steps parameter {i} differs: "
                          f"max |numpy - torch| = {np.abs(a - b).max():.3g}")
    return passed("backends agree", f"NumPy and torch parameters agree after {STEPS} steps")


def check_every_model(registry: Any, name: str, backends: list[str], timeout: float | None) -> CheckResult:
    """Every registered model of a supported backend trains a few finite steps with this optimizer.

    Each model trains at the lr a run would take, or at its own where this optimizer declares a larger one
    (runner.testing.pairs.paired_lr). A model that fails here and also fails with its own defaults (another
    optimizer in place of this one, when it is the model's default) is
    broken on its own: a warning, not a failure of this optimizer.
    """
    models = sorted(m for m, e in registry.models.items() if e.spec.backend in backends)
    if not models:
        return skipped("every model", "no registered model uses a backend this optimizer supports")
    cases = {model: {"model": model, "optimizer": name, **paired_lr(registry, model, name)} for model in models}
    scaled = [model for model, args in cases.items() if "lr" in args]
    done = f"{MODEL_STEPS} finite steps on each of {len(models)} models"
    if scaled:  # the optimizer's lr is larger than theirs: each at its own (pairs.paired_lr says why)
        done += f" ({len(scaled)} of them at their own lr, below this optimizer's {registry.optimizers[name].spec.lr:g})"
    return train_each(registry, "every model", MODEL_STEPS, "model", cases, done,
                      lambda model: model_alone(registry, model, MODEL_STEPS, ("optimizer", name)), timeout)
