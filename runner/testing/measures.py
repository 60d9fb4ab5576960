"""The checks of what a model measures: its metrics, and evaluation that leaves training alone.

* metrics: the mapping ``loss_and_grads`` may return as its third item has
  word names (``runner.metrics.check_metric_name``), the same names on every
  step, and scalar values on the model's device: a 0-d tensor on the
  device of its parameters for a torch model (a Python number would mean
  a ``.item()``, a host sync, every step), a NumPy or Python scalar for a
  NumPy model. Skipped for a model that reports none.
* evaluation: evaluating the model the way ``--eval-every`` does leaves
  training as it was (runner.testing.evaluations, imported here).
"""

from __future__ import annotations

from typing import Any

from runner.metrics import metric_name_problem
from runner.testing.evaluations import EVAL_STEPS, EVALUATION, check_evaluation
from runner.testing.results import CheckResult, failed, passed, skipped
from runner.testing.running import step_parts

__all__ = ["METRICS", "EVALUATION", "EVAL_STEPS", "check_metrics", "check_evaluation"]

METRICS = "metrics"


def check_metrics(trainer: Any) -> CheckResult:
    """Two calls of ``loss_and_grads``: word names, the same both times, scalars on the model's device."""
    first = step_parts(trainer.model.loss_and_grads(trainer.x, trainer.y))[2]
    if not first:
        return skipped(METRICS, "the model reports no metrics (loss_and_grads returns (loss, grads))")
    if not hasattr(first, "items"):
        return failed(METRICS, f"the third item loss_and_grads returns is a {type(first).__name__}, "
                               "not a mapping of names to scalars such as {'accuracy': acc}")
    device = _device(trainer)
    problems = [problem for name, value in first.items()
                for problem in (metric_name_problem(name), _value_problem(name, value, trainer.backend, device))
                if problem]
    second = step_parts(trainer.model.loss_and_grads(trainer.x, trainer.y))[2] or {}
    if not problems and set(second) != set(first):
        problems.append(f"the first step reports {sorted(first)}, the second {sorted(second)}: "
                        "report the same names at every step")
    if problems:
        return failed(METRICS, "; ".join(problems))
    where = f"0-d tensors on {device}" if trainer.backend == "torch" else "scalars"
    return passed(METRICS, f"{', '.join(sorted(first))}: words, the same at every step, {where}")


def _device(trainer: Any) -> Any:
    params = list(trainer.model.parameters())
    return getattr(params[0], "device", "cpu") if params else trainer.device


def _value_problem(name: str, value: Any, backend: str, device: Any) -> str | None:
    import numpy as np

    is_tensor = hasattr(value, "detach")
    if backend == "torch":
        if not is_tensor:
            return (f"{name!r} is a {type(value).__name__}, not a tensor: keep it a 0-d tensor on the device "
                    "(a Python number means .item(), which waits for the device every step)")
        if value.dim() != 0:
            return f"{name!r} has shape {tuple(value.shape)}, not a scalar: reduce it, e.g. with .mean()"
        if value.device != device:
            return f"{name!r} is on {value.device}, the model's parameters on {device}: compute it where they are"
        return f"{name!r} is complex" if value.is_complex() else None
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if is_tensor or not (number or (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf")):
        shape = getattr(value, "shape", None)
        what = f"of shape {tuple(shape)}" if shape is not None else f"a {type(value).__name__}"
        return f"{name!r} is {what}, not a NumPy or Python scalar"
    return None
