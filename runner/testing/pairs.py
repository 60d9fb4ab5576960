"""The cross-plugin checks: the plugin under test trained with each installed plugin of another kind.

A pair that fails is the fault of the plugin under test unless the other
plugin fails on its own too (``alone``): then the other plugin is named in
a warning and the check still passes, so that one broken plugin installed
beside yours does not fail your checks. Each pair, and each look at the
other plugin alone, has its own time limit, so a plugin that hangs is
told apart from the one under test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from runner.errors import ConfigError
from runner.testing.results import CheckResult
from runner.testing.running import last_line, train_steps
from runner.testing.suite import CheckTimeout, time_limit

__all__ = ["train_each", "model_alone", "paired_lr"]

Alone = Callable[[str], "str | None"]  # the other plugin's name -> why it fails on its own, or None


def train_each(registry: Any, check: str, steps: int, other: str, cases: dict[str, dict[str, Any]],
               done: str, alone: Alone, timeout: float | None) -> CheckResult:
    """Train ``steps`` steps, seed 0, for each case: the name of the ``other`` plugin and the resolve() arguments.

    Passes with ``done`` when every case trains with finite losses, or fails
    only because its other plugin is broken alone (a warning); fails naming
    each case that did not, and why.
    """
    problems, warnings = [], []
    for label, resolve_args in cases.items():
        problem = _timed(timeout, _describe(resolve_args), functools.partial(_pair_problem, registry, steps, resolve_args))
        if problem is None:
            continue
        broken = _timed(timeout, f"{other} {label!r} alone", functools.partial(alone, label))
        if broken:
            plugin = registry.get(other, label).origin.plugin
            warnings.append(f"{other} {label!r} (plugin {plugin!r}) failed here ({problem}), but it fails on its own "
                            f"too ({broken}): not counted against this plugin")
        else:
            problems.append(f"{label}: {problem}")
    if problems:
        return CheckResult(check, False, "; ".join(problems), warnings=tuple(warnings))
    return CheckResult(check, True, done, warnings=tuple(warnings))


def paired_lr(registry: Any, model: str, optimizer: str) -> dict[str, float]:
    """``{"lr": ...}`` for a check that trains ``model`` with ``optimizer``, or {} for the lr a run would take.

    A run given no --lr takes the optimizer's declared lr with any model but the one whose recipe it is
    (runner.config.default_lr). That lr is what the rule wants on a typical problem (Lion's 1e-4), not
    what every model stands: the tutorial's, tuned with gd, need about 1e-6 and diverge in 3 steps at
    1e-3 with momentum. Whether a default suits a model is the user's to settle with --lr; what the
    check asks is whether the two work together at all. So where the optimizer's lr is larger than the
    model's own, the pair trains at the model's: the scale at which the model is known to stay finite, and
    at which a rule whose step is about proportional to lr (its check "scales with lr") moves the
    weights about as far as the model's recipe does. A smaller declared lr is kept: it is within both.
    """
    model_spec = registry.get("model", model).spec
    declared = registry.get("optimizer", optimizer).spec.lr
    if optimizer == model_spec.optimizer or declared is None or declared <= model_spec.lr:
        return {}
    return {"lr": model_spec.lr}


def _pair_problem(registry: Any, steps: int, resolve_args: dict[str, Any]) -> str | None:
    try:
        return train_steps(registry, steps, seed=0, **resolve_args).problem()
    except ConfigError as exc:
        return str(exc)


def _timed(timeout: float | None, subject: str, work: Callable[[], str | None]) -> str | None:
    """``work()``, or the time-out's message when it runs past ``timeout``, or the error it raised."""
    try:
        with time_limit(timeout, subject, hint=False):
            return work()
    except CheckTimeout as exc:
        return str(exc)
    except Exception as exc:
        return last_line(f"{type(exc).__name__}: {exc}")


def _describe(resolve_args: dict[str, Any]) -> str:
    return " with ".join(f"{kind} {name!r}" if kind != "lr" else f"lr {name:g}" for kind, name in resolve_args.items())


def model_alone(registry: Any, model: str, steps: int, instead_of: tuple[str, str]) -> str | None:
    """Why ``model`` does not train ``steps`` finite steps with its own defaults; None when it does.

    ``instead_of`` is (kind, name) of the plugin under test: when it is one
    of the model's defaults, another installed optimizer or dataset that
    fits takes its place, so the model is tried without it. None too when
    there is none to try (the model cannot be told apart from it).
    """
    kind, name = instead_of
    spec = registry.get("model", model).spec
    default = spec.optimizer if kind == "optimizer" else spec.dataset or _default_dataset()
    args: dict[str, Any] = {"model": model}
    if default == name:
        substitute = _substitute(registry, spec, kind, name)
        if substitute is None:
            return None
        args[kind] = substitute
    problem = _pair_problem(registry, steps, args)
    if problem is None:
        return None
    return f"{_describe(args)}: {problem}" if len(args) > 1 else f"with its defaults: {problem}"


def _default_dataset() -> str:
    from runner.config import DEFAULT_DATASET

    return DEFAULT_DATASET


def _substitute(registry: Any, model_spec: Any, kind: str, avoid: str) -> str | None:
    """The first other optimizer of the model's backend, or dataset whose declared shapes it fits."""
    from runner.shapes import fits

    for other, entry in sorted(registry.table(kind).items()):
        if other == avoid:
            continue
        spec = entry.spec
        if kind == "optimizer" and spec.builder(model_spec.backend) is not None:
            return other
        if kind == "dataset" and spec.shapes is not None:
            try:
                shapes = spec.shapes(**spec.params)
            except Exception:  # a third plugin's fault: it is not the one to try
                continue
            if model_spec.shapes is None or fits(model_spec.shapes, *shapes):
                return other
    return None
