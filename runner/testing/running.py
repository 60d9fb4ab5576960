"""Training a plugin for a few steps through runner's own loop, as ``runner run`` would."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class Trained:
    trainer: Any
    status: str
    losses: list[float]
    error: str | None

    @property
    def finite(self) -> bool:
        return bool(self.losses) and all(math.isfinite(v) for v in self.losses)

    def problem(self) -> str | None:
        """Why this run does not count as trained, in one line; None when it does."""
        if self.error:
            return last_line(self.error)
        if self.status != "completed":
            return f"the run {self.status} after {len(self.losses)} steps"
        if not self.finite:
            return f"a loss was not finite: {self.losses}"
        return None


def train_steps(registry: Any, steps: int, **resolve_args: Any) -> Trained:
    """Resolve a config (on the CPU), prepare it and train ``steps`` steps; never raises for plugin faults.

    A config that does not resolve raises ConfigError, as ``runner run`` would refuse it.
    """
    trainer, problem = prepared(registry, steps=steps, **resolve_args)
    if trainer is None:
        return Trained(None, "failed", [], problem)
    return train(trainer, steps)


def prepared(registry: Any, **resolve_args: Any) -> tuple[Any, str]:
    """A trainer at its starting point (seeded, built, not stepped) and "", or None and why not."""
    from runner.config import resolve
    from runner.training import engine

    resolved = resolve(registry, device="cpu", **resolve_args)
    try:
        return engine.prepare(resolved), ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def train(trainer: Any, steps: int, start: int = 0) -> Trained:
    """Steps ``start`` to ``steps - 1`` of runner's own loop (``start``: a trainer restored from a checkpoint).

    Not timed here: the check that calls this runs under a time limit of its
    own (runner.testing.suite), and two timers cannot nest.
    """
    from runner.training import engine

    rows: list = []
    outcome = engine.train(trainer, steps, sink=lambda got, _: rows.extend(got), start=start)
    return Trained(trainer, outcome.status, [loss for _, loss, _ in rows], outcome.error)


def step_parts(out: Any) -> tuple[Any, list[Any], Mapping[str, Any] | None]:
    """What ``loss_and_grads`` returned, as ``(loss, grads, metrics)``; metrics None for the two-part form."""
    if not isinstance(out, (tuple, list)) or len(out) not in (2, 3):
        raise TypeError(f"loss_and_grads returned {type(out).__name__}"
                        f"{f' of {len(out)} items' if isinstance(out, (tuple, list)) else ''}; "
                        "return (loss, grads) or (loss, grads, metrics)")
    return out[0], list(out[1]), (out[2] if len(out) == 3 else None)


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else text


def short(values: list[float], keep: int = 3) -> str:
    shown = ", ".join(f"{v:.4g}" for v in values[:keep])
    return f"[{shown}{', ...' if len(values) > keep else ''}]"
