"""Learning-rate schedules in the loop: the factor twins give torch's lr at every step, warm-up rises in equal
steps to where the schedule starts, the loop advances the schedule after each step, and --track lr records it."""

from __future__ import annotations

import numpy
import pytest
import torch
from runner_plugins.optimizers import numpy_rules, torch_rules

from runner.config import resolve
from runner.registry import load_registry
from runner.request import RunChoice
from runner.training.engine import prepare, train
from runner.training.scheduling import FactorSchedule, build, warmed

STEPS = 40
SETTINGS = {"constant": {}, "step": {"step_size": 7, "gamma": 0.5}, "exponential": {"gamma": 0.9},
            "cosine": {"min_factor": 0.05}, "one_cycle": {}, "one_cycle_three_phase": {"three_phase": True, "anneal": "linear"}}


@pytest.fixture(scope="module")
def schedules():
    registry = load_registry(extra_modules=())
    return registry.schedules


def lrs(optimizer, schedule, step) -> list[float]:
    """The lr of each of STEPS steps, read before the step as --track lr reads it."""
    seen = []
    for _ in range(STEPS):
        groups = getattr(optimizer, "param_groups", None)
        seen.append(float(groups[0]["lr"] if groups else optimizer.lr))
        step()
        if schedule is not None:
            schedule.step()
    return seen


def torch_lrs(spec, params, warmup, lr=0.1):
    p = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr)

    def step():
        p.grad = torch.ones(2)
        optimizer.step()

    return lrs(optimizer, build(spec, optimizer, STEPS, warmup, params), step)


@pytest.mark.parametrize("warmup", [0, 9])
@pytest.mark.parametrize("case", sorted(SETTINGS))
def test_the_numpy_twin_gives_torch_s_lr_at_every_step(schedules, case, warmup):
    spec = schedules[case.replace("_three_phase", "")].spec
    params = {**spec.params, **SETTINGS[case]}
    expected = torch_lrs(spec, params, warmup)
    w = numpy.zeros(2)
    optimizer = numpy_rules.SGD([w], 0.1)
    got = lrs(optimizer, build(spec, optimizer, STEPS, warmup, params), lambda: optimizer.step([numpy.ones(2)]))
    numpy.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
    if spec.torch is not None or warmup:
        assert expected != [0.1] * STEPS


@pytest.mark.parametrize("case", ["cosine", "one_cycle"])
def test_an_optimizer_torch_cannot_schedule_gets_the_twin(schedules, case):
    spec = schedules[case].spec
    p = torch.zeros(2, requires_grad=True)
    optimizer = torch_rules.GD([p], lr=0.1)  # a plain class, not a torch.optim.Optimizer
    schedule = build(spec, optimizer, STEPS, 5, spec.params)
    assert isinstance(schedule, FactorSchedule)
    got = lrs(optimizer, schedule, optimizer.step)
    numpy.testing.assert_allclose(got, torch_lrs(spec, spec.params, 5), rtol=1e-9, atol=0)


def test_warm_up_rises_in_equal_steps_to_where_the_schedule_starts():
    factor = warmed(lambda step: 0.5 * 0.9**step, 4)
    assert [factor(k) for k in range(6)] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.45], rel=1e-15)


def test_a_constant_lr_without_warm_up_builds_no_schedule(schedules):
    optimizer = numpy_rules.GD([numpy.zeros(1)], 0.1)
    assert build(schedules["constant"].spec, optimizer, STEPS, 0, {}) is None
    assert build(None, optimizer, STEPS, 0, {}) is None
    assert isinstance(build(None, optimizer, STEPS, 3, {}), FactorSchedule)


def test_the_loop_advances_the_schedule_and_track_lr_records_it(schedules):
    registry = load_registry(extra_modules=())
    resolved = resolve(registry, RunChoice("numpy", lr=1e-3, steps=STEPS, device="cpu", schedule="cosine", warmup=5,
                                           track=("lr",), sets=("batch=8", "d_in=4", "d_out=2", "hidden=3")))
    metrics: list = []
    train(prepare(resolved), STEPS, lambda rows, m: metrics.extend(m))
    recorded = [value for name, _, value in metrics if name == "lr"]
    spec = schedules["cosine"].spec
    numpy.testing.assert_allclose(recorded, torch_lrs(spec, spec.params, 5, lr=1e-3), rtol=1e-9, atol=0)
