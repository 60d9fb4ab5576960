"""Metric names and directions: what a metric may be called and whether higher is better.

Light on purpose (no numpy, no torch): the CLI, the store and the engine
all use it. A metric is a named scalar recorded at some steps of a run:
a model's training metrics (``accuracy``), evaluation values recorded as
``val_<name>`` (``val_loss``), and runner's tracked metrics (``lr``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

__all__ = ["DIRECTIONS", "MAX_LENGTH", "VALIDATION_PREFIX", "TRACKED", "metric_name_problem", "check_metric_name",
    "validation_name", "direction", "unknown_metric_message", "DIRECTIONS_KEY", "declared_directions", "improves"]

Direction = Literal["min", "max"]
DIRECTIONS: tuple[str, ...] = ("min", "max")
MAX_LENGTH = 64  # the store's name column
VALIDATION_PREFIX = "val_"
# runner's tracked metrics (--track), named here so that checking a name needs no torch; each one's
# computation is runner.training.tracking.TRACKERS, which has exactly these keys.
TRACKED = ("lr", "grad_norm", "param_norm")
_WORD = re.compile(r"[a-z][a-z0-9_]*")
# Names that say "higher is better" by their ending (accuracy, top1_acc, macro_f1, roc_auc...).
_HIGHER_IS_BETTER = ("accuracy", "acc", "f1", "auc", "precision", "recall")


def metric_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a model's metric, or None when it can."""
    if not isinstance(name, str) or not _WORD.fullmatch(name):
        return f"{name!r} is not a word of lowercase letters, digits and _ starting with a letter"
    if len(name) > MAX_LENGTH:
        return f"{name!r} is longer than {MAX_LENGTH} characters"
    if name == "loss":
        return "'loss' is recorded already (the loss itself); name the metric for what it measures"
    if name.startswith(VALIDATION_PREFIX):
        return f"{name!r} starts with {VALIDATION_PREFIX!r}, which runner keeps for evaluation values"
    return None


def check_metric_name(name: object) -> str:
    """``name`` itself when it can name a metric, else a ValueError saying why."""
    problem = metric_name_problem(name)
    if problem is not None:
        raise ValueError(f"bad metric name: {problem}")
    assert isinstance(name, str)
    return name


def validation_name(name: str) -> str:
    """The name an evaluation value is recorded under: ``loss`` -> ``val_loss``."""
    return VALIDATION_PREFIX + name


def direction(name: str, declared: Mapping[str, str] | None = None) -> Direction:
    """``max`` when higher is better, else ``min``.

    A direction the model declares (``ModelSpec.metrics``) wins, and
    ``val_X`` inherits X's; otherwise names ending in accuracy, acc, f1,
    auc, precision or recall are ``max`` and everything else (losses, norms,
    the learning rate) ``min``.
    """
    declared = declared or {}
    base = name[len(VALIDATION_PREFIX):] if name.startswith(VALIDATION_PREFIX) else name
    for key in (name, base):
        if declared.get(key) in DIRECTIONS:
            return "max" if declared[key] == "max" else "min"
    return "max" if base.lower().endswith(_HIGHER_IS_BETTER) else "min"


def unknown_metric_message(name: str, known: Iterable[str]) -> str:
    """``unknown metric 'x' (did you mean 'y'?); the selected runs have: a, b``, for every CLI command."""
    known = sorted(set(known))
    message = f"unknown metric {name!r}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return message + "; the selected runs have: " + (", ".join(known) or "no metrics")


DIRECTIONS_KEY = "metric_directions"  # where a run's config JSON keeps its model's declared directions


def declared_directions(configs: Iterable[Mapping[str, Any] | None]) -> dict[str, str]:
    """The metric directions the runs' models declared (stored with each run); the first run to declare a name wins."""
    declared: dict[str, str] = {}
    for config in configs:
        stored = (config or {}).get(DIRECTIONS_KEY)
        for name, way in (stored if isinstance(stored, dict) else {}).items():
            declared.setdefault(name, way)
    return declared


def improves(value: float, best: float | None, way: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` in direction ``way``: early stopping's and the best
    weights' one rule. A first finite value always does; NaN and infinities never do, and a tie does not (the
    earliest of equal values is the best, as the store's summaries say)."""
    if value != value or value in (float("inf"), float("-inf")):
        return False
    if best is None:
        return True
    return value < best - min_delta if way == "min" else value > best + min_delta
