"""What a plugin's objects must do, checked where a fault would otherwise be cryptic.

Each check raises a ``PluginError`` whose message names the plugin (and
the package it came from) and says what it did wrong, so that a broken
plugin fails its own run with a clear line and nothing else.
"""

from __future__ import annotations

from typing import Any

from runner.errors import PluginError
from runner.specs import Model


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
    if isinstance(loss, (int, float)) and not isinstance(loss, bool):
        return
    shape = getattr(loss, "shape", None)
    if shape is not None and len(tuple(shape)) == 0:
        return
    what = f"shape {tuple(shape)}" if shape is not None else f"type {type(loss).__name__}"
    raise PluginError(
        f"{label}: loss_and_grads returned a loss of {what}, not a scalar; "
        "reduce it to one number, e.g. with .sum() or .mean()"
    )
