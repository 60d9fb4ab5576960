"""The conformance checks for an optimizer plugin.

The rule is run on a small least-squares problem with known gradients,
in each backend it supports, then on every registered model it can train.
"""

from __future__ import annotations

from typing import Any

from runner.testing.results import CheckResult, failed, passed, skipped
from runner.testing.running import train_each

LR = 1e-2
STEPS = 30
MODEL_STEPS = 3


def optimizer_checks(registry: Any, name: str) -> list[CheckResult]:
    spec = registry.optimizers[name].spec
    backends = [b for b in ("numpy", "torch") if spec.builder(b) is not None]
    results = [_guarded(f"updates in place ({b})", _check_descends, spec, b) for b in backends]
    results += [_guarded(f"skips missing gradients ({b})", _check_none_gradients, spec, b) for b in backends]
    results.append(_guarded("backends agree", _check_backends_agree, spec))
    results.append(check_every_model(registry, name, backends))
    return results


def _guarded(name: str, check, *args) -> CheckResult:
    try:
        return check(*args)
    except Exception as exc:  # the rule raised: that is the finding
        return failed(name, f"{type(exc).__name__}: {exc}")


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


def _run(spec: Any, backend: str, problem: _Problem, steps: int = STEPS) -> tuple[list, list[float]]:
    """Train the problem's parameters with ``spec``; returns (final parameters, losses).

    Each loss is computed from the very arrays or tensors handed to the
    rule, so a rule that does not update them in place shows no progress.
    """
    import numpy as np

    if backend == "numpy":
        params = [p.copy() for p in problem.start]
        rule = spec.numpy(list(params), lr=LR, **spec.options)
        losses = []
        for _ in range(steps):
            loss, grads = problem.loss_and_grads(*params)
            losses.append(loss)
            rule.step(grads)
        return [np.array(p) for p in params], losses
    import torch

    params = [torch.tensor(p) for p in problem.start]
    rule = spec.torch(list(params), lr=LR, **spec.options)
    losses = []
    for _ in range(steps):
        loss, grads = problem.loss_and_grads(*(p.detach().numpy() for p in params))
        losses.append(loss)
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        rule.step()
    return [p.detach().numpy().copy() for p in params], losses


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

        params = [torch.tensor(p) for p in problem.start]
        rule = spec.torch(list(params), lr=LR, **spec.options)
        _, grads = problem.loss_and_grads(*(p.numpy() for p in params))
        params[0].grad, params[1].grad = torch.tensor(grads[0]), None
        rule.step()
        after = params[1].numpy()
    if not np.array_equal(after, problem.start[1]):
        return failed(name, "a parameter whose gradient was None changed")
    return passed(name, "a parameter with no gradient keeps its value")


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
            return failed("backends agree", f"after {STEPS} steps parameter {i} differs: max |numpy - torch| = {np.abs(a - b).max():.3g}")
    return passed("backends agree", f"NumPy and torch parameters agree after {STEPS} steps")


def check_every_model(registry: Any, name: str, backends: list[str]) -> CheckResult:
    """Every registered model of a supported backend trains a few finite steps with this optimizer."""
    models = sorted(m for m, e in registry.models.items() if e.spec.backend in backends)
    if not models:
        return skipped("every model", "no registered model uses a backend this optimizer supports")
    cases = {model: {"model": model, "optimizer": name} for model in models}
    done = f"{MODEL_STEPS} finite steps on each of {len(models)} models"
    return train_each(registry, "every model", MODEL_STEPS, cases, done)
