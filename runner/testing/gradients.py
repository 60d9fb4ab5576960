"""Gradient checks: hand-written gradients against a reference, custom autograd Functions against gradcheck.

* A torch model that computes its own gradients is run once more with its
  parameters requiring grad; autograd's gradients of the loss it returns
  are the reference. So that a model may itself differentiate with
  ``torch.autograd.grad`` or ``backward`` (which free the graph), autograd
  keeps the graph during that pass; and when the model returns its loss
  detached, the scalar it differentiated, if it has the same value, stands
  in for it. A loss with no graph back to the parameters fails the check:
  there is nothing to compare with.
* A NumPy model is checked against central finite differences along a
  few random directions, in float64.
* A model whose gradients already come from autograd (``AutogradModel``,
  ``loss.backward()``) is skipped: there is nothing hand-written to check.
* Every custom ``torch.autograd.Function`` that the model calls during a
  step is recorded with the inputs it got, and those inputs (in float64)
  go through ``torch.autograd.gradcheck``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from typing import Any

from runner.testing.results import CheckResult, failed, passed, skipped
from runner.testing.running import step_parts

__all__ = ["GRADIENTS", "FUNCTIONS", "DIRECTIONS", "check_gradients", "check_functions"]

GRADIENTS = "hand-written gradients"
FUNCTIONS = "autograd Functions"
DIRECTIONS = 3


def check_gradients(trainer: Any) -> CheckResult:
    """Compare the model's own gradients with autograd's (torch) or finite differences (NumPy)."""
    if trainer.backend == "numpy":
        return _numpy_finite_differences(trainer)
    return _torch_against_autograd(trainer)


def _torch_against_autograd(trainer: Any) -> CheckResult:
    import torch

    model, params = trainer.model, list(trainer.model.parameters())
    with torch.enable_grad(), _graphs_kept() as differentiated:
        for p in params:
            if p.is_leaf and not p.requires_grad and p.is_floating_point():
                p.requires_grad_(True)  # so that autograd can differentiate the model's own forward pass
        loss, grads, _ = step_parts(model.loss_and_grads(trainer.x, trainer.y))
    if any(g is not None for g in grads) and all(g is None or g is p.grad for p, g in zip(params, grads)):
        return skipped(GRADIENTS, "gradients come from autograd (loss.backward()); nothing hand-written to check")
    target = _differentiable_loss(loss, differentiated)
    if target is None:
        return failed(GRADIENTS, "the loss that loss_and_grads returns has no autograd graph back to the parameters "
                      "(no grad_fn), so there is no reference to compare the gradients with: return the loss as "
                      "computed from parameters(), not detached, .item()'d or computed under torch.no_grad()")
    wanted = [i for i, p in enumerate(params) if p.requires_grad]
    try:
        found = torch.autograd.grad(target, [params[i] for i in wanted], allow_unused=True) if wanted else ()
    except RuntimeError as exc:
        return failed(GRADIENTS, f"autograd cannot differentiate the loss once more ({str(exc).split('. ')[0]}): "
                      "the model freed its graph through a call the check does not see, such as a grad imported with "
                      "'from torch.autograd import grad'; call torch.autograd.grad(...) or loss.backward() instead")
    reference: list[Any] = [None] * len(params)
    for i, ref in zip(wanted, found):
        reference[i] = ref
    return _compare(grads, reference)


def _compare(grads: list, reference: list) -> CheckResult:
    import torch

    worst = []
    for i, (g, ref) in enumerate(zip(grads, reference)):
        if g is None or ref is None:
            if (g is None) != (ref is None) and not (ref is not None and not ref.any()):
                return failed(GRADIENTS, f"parameter {i}: the model gives {'no' if g is None else 'a'} gradient, "
                                         f"autograd {'none' if ref is None else 'one'}")
            continue
        g = torch.as_tensor(g).detach().to(ref.dtype)
        if g.shape != ref.shape:
            return failed(GRADIENTS, f"parameter {i}: gradient of shape {tuple(g.shape)}, the parameter is {tuple(ref.shape)}")
        scale = float(ref.abs().max()) or 1.0
        error = float((g - ref).abs().max()) / scale
        worst.append(error)
        if error > 1e-3:
            return failed(GRADIENTS, f"parameter {i}: differs from autograd by {error:.2g} of its largest entry")
    return passed(GRADIENTS, f"match autograd for {len(worst)} parameters "
                             f"(worst relative difference {max(worst, default=0):.1e})")


@contextlib.contextmanager
def _graphs_kept() -> Iterator[list]:
    """While active, ``torch.autograd.grad`` and ``backward`` (``Tensor.backward`` calls it) keep the
    graph they go through, and note what they differentiate, so that the check can differentiate the
    model's loss once more after the model did."""
    from torch import autograd

    differentiated: list = []
    originals: dict[str, Any] = {"grad": autograd.grad, "backward": autograd.backward}

    def keeping(original: Any, first: str) -> Any:
        signature = inspect.signature(original)

        @functools.wraps(original)
        def kept(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.arguments["retain_graph"] = True
            differentiated.append(bound.arguments[first])
            return original(*bound.args, **bound.kwargs)

        return kept

    autograd.grad = keeping(originals["grad"], "outputs")
    autograd.backward = keeping(originals["backward"], "tensors")
    try:
        yield differentiated
    finally:
        autograd.grad, autograd.backward = originals["grad"], originals["backward"]


def _differentiable_loss(loss: Any, differentiated: list) -> Any:
    """The returned loss when autograd can differentiate it; else the scalar of the same value that the model did."""
    import torch

    if isinstance(loss, torch.Tensor) and loss.grad_fn is not None:
        return loss
    try:
        value = float(loss)
    except (TypeError, ValueError, RuntimeError):
        return None
    for outputs in differentiated:
        for t in [outputs] if isinstance(outputs, torch.Tensor) else list(outputs):
            if isinstance(t, torch.Tensor) and t.grad_fn is not None and t.numel() == 1 and float(t.detach()) == value:
                return t
    return None


def _numpy_finite_differences(trainer: Any) -> CheckResult:
    import numpy as np

    model, params = trainer.model, list(trainer.model.parameters())
    if any(np.asarray(p).dtype != np.float64 for p in params):
        return skipped(GRADIENTS, "finite differences need float64 parameters")
    saved = [np.array(p, copy=True) for p in params]
    loss, grads, _ = step_parts(model.loss_and_grads(trainer.x, trainer.y))
    grads = [None if g is None else np.asarray(g, dtype=np.float64) for g in grads]
    for i, (g, p) in enumerate(zip(grads, params)):
        if g is not None and g.shape != np.shape(p):
            return failed(GRADIENTS, f"parameter {i}: gradient of shape {g.shape}, the parameter is {np.shape(p)}")
    rng = np.random.default_rng(0)
    size = float(np.sqrt(sum(float(np.sum(s * s)) for s in saved)))
    eps = 1e-6 * max(1.0, size)
    grad_norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads if g is not None)))
    worst = 0.0
    try:
        for _ in range(DIRECTIONS):
            direction = [rng.standard_normal(np.shape(p)) for p in params]
            norm = float(np.sqrt(sum(float(np.sum(d * d)) for d in direction))) or 1.0
            direction = [d / norm for d in direction]
            analytic = sum(float(np.sum(g * d)) for g, d in zip(grads, direction) if g is not None)
            values = []
            for sign in (1.0, -1.0):
                for p, s, d in zip(params, saved, direction):
                    p[...] = s + sign * eps * d
                values.append(float(step_parts(model.loss_and_grads(trainer.x, trainer.y))[0]))
            numeric = (values[0] - values[1]) / (2 * eps)
            # Rounding in the loss itself bounds how well finite differences can do.
            tolerance = 1e-4 * max(abs(analytic), 1e-3 * grad_norm) + 1e-12 * abs(float(loss)) / eps
            error = abs(numeric - analytic)
            worst = max(worst, error / max(abs(analytic), 1e-300))
            if error > tolerance:
                return failed(GRADIENTS, f"directional derivative {analytic:.6g} by hand, {numeric:.6g} by finite differences")
    finally:
        for p, s in zip(params, saved):
            p[...] = s
    return passed(GRADIENTS, f"match finite differences along {DIRECTIONS} random directions "
                             f"(worst relative difference {worst:.1e})")


def check_functions(trainer: Any) -> CheckResult:
    """gradcheck every custom autograd Function the model calls in one step, on the inputs it got."""
    if trainer.backend != "torch":
        return skipped(FUNCTIONS, "a NumPy model has no autograd Functions")
    import torch

    recorded = _record_function_inputs(trainer)
    if not recorded:
        return skipped(FUNCTIONS, "the model calls no custom torch.autograd.Function")
    names = []
    for cls, args in recorded.items():
        inputs = tuple(
            a.detach().to(torch.float64).requires_grad_() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
            for a in args
        )
        try:
            ok = torch.autograd.gradcheck(cls.apply, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True)
        except Exception as exc:  # gradcheck raises GradcheckError with the jacobians that differ
            return failed(FUNCTIONS, f"{cls.__qualname__} fails gradcheck: {str(exc).strip().splitlines()[0]}")
        if not ok:
            return failed(FUNCTIONS, f"{cls.__qualname__} fails gradcheck")
        names.append(cls.__qualname__)
    return passed(FUNCTIONS, f"gradcheck passes for {', '.join(names)}")


def _record_function_inputs(trainer: Any) -> dict[Any, tuple]:
    """Run one forward and backward pass, noting the first inputs of each custom Function's forward."""
    import torch
    from torch.autograd.function import FunctionCtx

    recorded: dict[Any, tuple] = {}
    patched = []
    for cls in _custom_functions(torch.autograd.Function):
        original = cls.__dict__.get("forward")
        if not isinstance(original, staticmethod):
            continue

        @functools.wraps(original.__func__)
        def recorder(*args, _cls=cls, _forward=original.__func__, **kwargs):
            if _cls not in recorded:
                recorded[_cls] = tuple(a for a in args if not isinstance(a, FunctionCtx))
            return _forward(*args, **kwargs)

        cls.forward = staticmethod(recorder)
        patched.append((cls, original))
    try:
        trainer.model.loss_and_grads(trainer.x, trainer.y)
    finally:
        for cls, original in patched:
            cls.forward = original
    return recorded


def _custom_functions(base: type) -> list[Any]:
    """Subclasses of ``torch.autograd.Function`` defined outside torch: the ones plugins write."""
    found: list[Any] = []
    stack: list[Any] = list(base.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__module__.startswith("torch"):
            found.append(cls)
    return found
