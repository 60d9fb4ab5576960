"""What a plugin's objects must do, checked where a fault would otherwise be cryptic.

Each check raises a ``PluginError`` whose message names the plugin (and
the package it came from) and says what it did wrong, so that a broken
plugin fails its own run with a clear line and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.errors import PluginError
from runner.metrics import metric_name_problem
from runner.specs import Model

__all__ = ["plugin_label", "check_model", "check_loss", "check_metrics"]


def plugin_label(registry: Any, kind: str, name: str) -> str:
    """``plugin 'p' (package 1.0), model 'name'``: who is at fault, for error messages."""
    origin = registry.get(kind, name).origin
    source = f"{origin.package} {origin.version}".strip()
    source = source if source.startswith("(") else f"({source})"  # "(local)" for RUNNER_PLUGINS modules
    return f"plugin {origin.plugin!r} {source}, {kind} {name!r}"


def check_model(model: Any, label: str) -> None:
    """The object a model's ``build`` returned must follow the ``Model`` protocol."""
    if not isinstance(model, Model):
        missing = [m for m in ("parameters", "loss_and_grads") if not callable(getattr(model, m, None))]
        raise PluginError(
            f"{label}: build returned {type(model).__name__}, which has no {' and no '.join(f'{m}()' for m in missing)}; "
            "it must return an object with parameters() and loss_and_grads(x, y)"
        )


def check_loss(loss: Any, label: str) -> None:
    """A loss must be a scalar: a 0-d tensor or array, or a number.

    Called on the first step only. It reads the shape, which is known on
    the host, so it never waits for a GPU.
    """
    what = _not_scalar(loss)
    if what:
        raise PluginError(
            f"{label}: loss_and_grads returned a loss of {what}, not a scalar; "
            "reduce it to one number, e.g. with .sum() or .mean()"
        )


def check_metrics(metrics: Any, label: str, method: str = "loss_and_grads", allow_loss: bool = False) -> None:
    """Metrics must map word names to scalars (checked on the first step, from names and shapes: no sync).

    ``allow_loss``: an evaluation's mapping may (and should) include ``loss``.
    """
    if not isinstance(metrics, Mapping):
        raise PluginError(f"{label}: {method} returned metrics of type {type(metrics).__name__}; "
                          "return a dict of names to scalars, e.g. {'accuracy': acc}")
    for name, value in metrics.items():
        problem = None if (allow_loss and name == "loss") else metric_name_problem(name)
        if problem:
            raise PluginError(f"{label}: {method} returned a metric with a bad name: {problem}")
        what = _not_scalar(value)
        if what:
            raise PluginError(f"{label}: {method} returned metric {name!r} of {what}, not a scalar; "
                              "reduce it to one number, e.g. with .mean()")


def _not_scalar(value: Any) -> str:
    """'' for a scalar (a 0-d tensor or array, or a number), else what it is instead."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ""
    shape = getattr(value, "shape", None)
    if shape is not None and len(tuple(shape)) == 0:
        return ""
    return f"shape {tuple(shape)}" if shape is not None else f"type {type(value).__name__}"
