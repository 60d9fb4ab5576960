"""Each sine model, trained through runner, reproduces the tutorial's own seeded losses step by step.

The references are the tutorial's loops (tutorial_sine.py), run after the
seeding runner does. The sections that run 2000 steps are compared over
all 2000; dynamic_net's 30000 are compared over their first 3000, the
tutorial's loop being cut at the same count.
"""

from __future__ import annotations

import numpy
import pytest
import tutorial_sine as tutorial

RTOL = 1e-5

CASES = [
    # (model, tutorial section, steps compared, seed)
    pytest.param("sine_numpy", tutorial.polynomial_numpy, 2000, 0, id="numpy"),
    pytest.param("sine_tensor", tutorial.polynomial_tensor, 2000, 0, id="tensor"),
    pytest.param("sine_autograd", tutorial.polynomial_autograd, 2000, 0, id="autograd"),
    pytest.param("sine_legendre", tutorial.polynomial_custom_function, 2000, 0, id="legendre"),
    pytest.param("sine_nn", tutorial.polynomial_nn, 2000, 0, id="nn"),
    pytest.param("sine_optim", tutorial.polynomial_optim, 2000, 0, id="optim"),
    pytest.param("sine_module", tutorial.polynomial_module, 2000, 0, id="module"),
    pytest.param("sine_dynamic", tutorial.dynamic_net, 3000, 0, id="dynamic"),
    pytest.param("sine_numpy", tutorial.polynomial_numpy, 2000, 1234, id="numpy-seed1234"),
    pytest.param("sine_dynamic", tutorial.dynamic_net, 3000, 1234, id="dynamic-seed1234"),
]


def runner_losses(model: str, steps: int, seed: int) -> list[float]:
    """Train ``model`` with its defaults (optimizer, lr, the sine dataset) through runner's own loop."""
    from runner.config import resolve
    from runner.registry import load_registry
    from runner.training import engine

    registry = load_registry(extra_modules=())
    resolved = resolve(registry, model=model, steps=steps, seed=seed, device="cpu")
    assert resolved.config.dataset == "sine"
    rows = []
    outcome = engine.train(engine.prepare(resolved), steps, sink=lambda got, _: rows.extend(got))
    assert outcome.status == "completed", outcome.error
    return [loss for _, loss, _ in rows]


@pytest.mark.parametrize("model, section, steps, seed", CASES)
def test_runner_reproduces_the_sine_tutorial(model, section, steps, seed):
    expected = tutorial.seeded(section, seed, steps)
    got = runner_losses(model, steps, seed)

    assert len(got) == len(expected) == steps
    assert expected[-1] < expected[0]  # the tutorial's run does learn: a meaningful comparison
    got, want = numpy.array(got), numpy.array(expected)
    relative = numpy.abs(got - want) / numpy.abs(want)
    worst = int(relative.argmax())
    assert relative.max() < RTOL, f"step {worst}: runner {got[worst]!r}, tutorial {want[worst]!r}"


def test_the_sine_dataset_is_the_tutorials():
    from runner.registry import load_registry

    spec = load_registry(extra_modules=()).datasets["sine"].spec
    x, y = spec.build("numpy", **spec.params)
    assert x.shape == y.shape == (2000,) and x.dtype == numpy.float64
    assert x[0] == -numpy.pi and x[-1] == numpy.pi and numpy.array_equal(y, numpy.sin(x))
    xt, yt = spec.build("torch", **spec.params)
    assert tuple(xt.shape) == (2000,) and str(xt.dtype) == "torch.float32"
    assert spec.shapes(**spec.params) == ((2000,), (2000,))
