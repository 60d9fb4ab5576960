"""Each built-in model, trained through runner, reproduces the tutorial's losses step by step.

The references are the tutorial's own loops, in tests/support/tutorial.py,
run after the same seeding that runner does.
"""

from __future__ import annotations

import random

import numpy
import pytest

from runner.status import RunStatus
from tests.support.tutorial import (
    seeded,
    tutorial_autograd,
    tutorial_dynamic,
    tutorial_module,
    tutorial_myrelu,
    tutorial_nn,
    tutorial_numpy,
    tutorial_optim,
    tutorial_tensor,
)

STEPS = 500  # the tutorial's loop; the point is that all of it matches
RTOL = 1e-4

CASES = [
    # (model, optimizer or None for the model's default, lr or None, tutorial section, seed)
    pytest.param("numpy", None, None, tutorial_numpy, 0, id="numpy"),
    pytest.param("tensor", None, None, tutorial_tensor, 0, id="tensor"),
    pytest.param("autograd", None, None, tutorial_autograd, 0, id="autograd"),
    pytest.param("myrelu", None, None, tutorial_myrelu, 0, id="myrelu"),
    pytest.param("sequential", None, None, tutorial_nn, 0, id="sequential"),
    pytest.param("sequential", "adam", 1e-4, tutorial_optim, 0, id="sequential-adam"),
    pytest.param("module", None, None, tutorial_module, 0, id="module"),
    pytest.param("dynamic", None, None, tutorial_dynamic, 0, id="dynamic"),
    pytest.param("numpy", None, None, tutorial_numpy, 1234, id="numpy-seed1234"),
    pytest.param("dynamic", None, None, tutorial_dynamic, 1234, id="dynamic-seed1234"),
]


@pytest.mark.parametrize("model, optimizer, lr, reference, seed", CASES)
def test_runner_reproduces_the_tutorial(trained, model, optimizer, lr, reference, seed):
    expected = seeded(reference, seed)
    _, outcome, losses = trained(model=model, optimizer=optimizer, lr=lr, steps=STEPS, seed=seed)

    assert outcome.status == RunStatus.COMPLETED
    assert len(losses) == len(expected) == STEPS
    assert expected[-1] < expected[0]  # the tutorial's run does learn: a meaningful comparison
    got, want = numpy.array(losses), numpy.array(expected)
    relative = numpy.abs(got - want) / numpy.abs(want)
    worst = int(relative.argmax())
    assert relative.max() < RTOL, f"step {worst}: runner {got[worst]!r}, tutorial {want[worst]!r}"


def test_dynamic_depth_follows_the_seeded_python_random(registry):
    """DynamicNet draws its depth from Python's global ``random``, which runner seeds."""
    from runner.config import resolve
    from runner.training import engine

    cfg = resolve(registry, model="dynamic", steps=1, seed=7, device="cpu", sets=["batch=4", "d_in=6", "hidden=5", "d_out=2"])
    engine.prepare(cfg)
    after_prepare = random.getstate()
    random.seed(7)
    assert random.getstate() == after_prepare  # nothing between the seed and training consumed it
