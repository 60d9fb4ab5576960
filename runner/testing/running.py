"""Training a plugin for a few steps through runner's own loop, as ``runner run`` would."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# A step that takes longer than this fails its check instead of hanging the test suite.
STEP_TIMEOUT = 60.0


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
    """Resolve a config (on the CPU), prepare it and train ``steps`` steps; never raises for plugin faults."""
    from runner import engine
    from runner.config import resolve

    config = resolve(registry, steps=steps, device="cpu", **resolve_args)
    try:
        trainer = engine.prepare(config, registry)
    except Exception as exc:
        return Trained(None, "failed", [], f"{type(exc).__name__}: {exc}")
    rows: list = []
    outcome = engine.train(trainer, steps, sink=rows.extend, step_timeout=STEP_TIMEOUT)
    return Trained(trainer, outcome.status, [loss for _, loss, _ in rows], outcome.error)


def prepared(registry: Any, **resolve_args: Any) -> tuple[Any, str | None]:
    """A trainer at its starting point (seeded, built, not stepped), or None and why not."""
    from runner import engine
    from runner.config import resolve

    config = resolve(registry, device="cpu", **resolve_args)
    try:
        return engine.prepare(config, registry), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def train_each(registry: Any, check: str, steps: int, cases: dict[str, dict[str, Any]], done: str) -> Any:
    """Train ``steps`` steps for each case (a label and its resolve() arguments), seed 0.

    Passes with ``done`` when every case trains with finite losses; fails
    naming each case that did not, and why.
    """
    from runner.errors import ConfigError
    from runner.testing.results import failed, passed

    problems = []
    for label, resolve_args in cases.items():
        try:
            run = train_steps(registry, steps, seed=0, **resolve_args)
        except ConfigError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if run.problem():
            problems.append(f"{label}: {last_line(run.problem())}")
    return failed(check, "; ".join(problems)) if problems else passed(check, done)


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else text


def short(values: list[float], keep: int = 3) -> str:
    shown = ", ".join(f"{v:.4g}" for v in values[:keep])
    return f"[{shown}{', ...' if len(values) > keep else ''}]"
