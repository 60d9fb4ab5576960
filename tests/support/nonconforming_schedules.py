"""Test-only schedule plugins, each with one planted fault for the conformance suite to find (and one without)."""

from __future__ import annotations

import itertools

from runner import ScheduleSpec, hookimpl


def rising(step, steps):
    return 1.0 + step / steps


def reaching_zero(step, steps):
    return 1.0 - step / (steps - 1)


def halving(step, steps, every=5):
    return 0.5 ** (step // every)


def other_torch_rule(optimizer, steps, every=5):
    import torch

    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=every, gamma=0.25)  # not the factor's 0.5


def counting_torch_rule(optimizer, steps, every=5):
    """A LambdaLR whose lambda counts its calls: state its state_dict() does not hold, so a resume restarts it."""
    import torch

    calls = itertools.count()
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 ** (next(calls) // every))


def linear(step, steps):
    return 1.0 - 0.9 * step / steps


@hookimpl
def register_schedules(register):
    register(ScheduleSpec(name="nc_rising", factor=rising, shape=("non_increasing",)))
    register(ScheduleSpec(name="nc_zero", factor=reaching_zero))
    register(ScheduleSpec(name="nc_other_torch", factor=halving, torch=other_torch_rule, params={"every": 5}))
    register(ScheduleSpec(name="nc_hidden_state", factor=halving, torch=counting_torch_rule, params={"every": 5}))
    register(ScheduleSpec(name="ok_linear", factor=linear, shape=("starts_at_lr", "non_increasing")))
