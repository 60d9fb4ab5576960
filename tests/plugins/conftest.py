"""Fixtures for the built-in plugins' tests."""

from __future__ import annotations

import pytest

from runner.config import resolve
from runner.registry import load_registry
from runner.training import engine

# The plugins this project ships (kept in step with the test modules).
MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")
OPTIMIZERS = ("gd", "sgd", "adam", "adamw")


@pytest.fixture(scope="session")
def registry():
    """The plugins found through the ``runner`` entry points (and no RUNNER_PLUGINS)."""
    reg = load_registry(extra_modules=())
    assert not reg.errors, [str(e) for e in reg.errors]
    missing = set(MODELS) - set(reg.models) | set(OPTIMIZERS) - set(reg.optimizers) | {"random"} - set(reg.datasets)
    if missing:
        pytest.fail(
            f"entry points for {sorted(missing)} not found: is the project installed (pip install -e .)?"
        )
    return reg


@pytest.fixture
def trained(registry):
    """``trained(model=..., steps=..., ...)`` -> (trainer, outcome, losses) through runner's own loop."""

    def run(*, steps, device="cpu", **resolve_args):
        trainer = engine.prepare(resolve(registry, steps=steps, device=device, **resolve_args))
        rows = []
        outcome = engine.train(trainer, steps, sink=lambda got, _: rows.extend(got))
        assert outcome.error is None, outcome.error
        assert [step for step, _, _ in rows] == list(range(len(rows)))
        return trainer, outcome, [loss for _, loss, _ in rows]

    return run
