"""Held-out evaluation (--eval-every): recorded as val_<name>, and training exactly as without it."""

from __future__ import annotations

import random

import numpy
import pytest

from runner.errors import OptionError
from tests.support.training import record

MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")
SETS = ["batch=8", "d_in=5", "d_out=3", "val=6", "hidden=4"]


@pytest.mark.parametrize("model", MODELS)
def test_evaluating_every_10_steps_leaves_every_training_loss_bit_for_bit(metric_registry, model):
    """The invariant: same losses bitwise (DynamicNet draws its depth from Python's random, which evaluation also draws)."""
    plain = record(metric_registry, model, steps=25, dataset="heldout", sets=SETS, seed=3)
    evaluated = record(metric_registry, model, steps=25, dataset="heldout", sets=SETS, seed=3, eval_every=10)
    assert plain.outcome.status == evaluated.outcome.status == "completed", evaluated.outcome.error
    assert evaluated.losses == plain.losses  # exact equality, not approx
    assert plain.metric_rows == []
    assert sorted(evaluated.metric("val_loss")) == [9, 19, 24]  # every 10 steps, and the last
    assert {name for name, _, _ in evaluated.metric_rows} == {"val_loss"}


def test_the_validation_split_is_seeded_and_held_out(metric_registry):
    first = record(metric_registry, "numpy", steps=5, dataset="heldout", sets=SETS, seed=3, eval_every=5)
    again = record(metric_registry, "numpy", steps=5, dataset="heldout", sets=SETS, seed=3, eval_every=5)
    other = record(metric_registry, "numpy", steps=5, dataset="heldout", sets=SETS, seed=4, eval_every=5)
    assert first.metric("val_loss") == again.metric("val_loss") != other.metric("val_loss")
    assert first.metric("val_loss")[4] != first.losses[4]  # not the training split


def test_a_models_own_evaluate_gives_its_metrics_under_val_names(metric_registry):
    run = record(metric_registry, "softmax", steps=40, sets=(), eval_every=20)
    assert run.outcome.status == "completed", run.outcome.error
    assert sorted(run.metric("val_accuracy")) == [19, 39] and sorted(run.metric("val_loss")) == [19, 39]
    assert run.metric("val_accuracy")[39] > 0.8  # the blobs are separable
    assert run.outcome.metrics["val_accuracy"] == run.metric("val_accuracy")[39]


def test_without_an_evaluate_the_models_loss_and_metrics_are_used(metric_registry):
    run = record(metric_registry, "counted", steps=4, dataset="heldout", sets=SETS[:4], eval_every=2)
    assert {name for name, _, _ in run.metric_rows} == {"half_loss", "w_sum", "val_loss", "val_half_loss", "val_w_sum"}
    assert run.metric("val_half_loss") == {s: v / 2 for s, v in run.metric("val_loss").items()}


def test_evaluation_leaves_generators_and_gradients_as_they_were(metric_registry):
    import torch

    from runner.config import resolve
    from runner.training.engine import prepare

    trainer = prepare(resolve(metric_registry, "dynamic", steps=3, device="cpu", dataset="heldout", sets=SETS, eval_every=1))
    trainer.step()
    grads = [p.grad for p in trainer.model.parameters()]
    states = random.getstate(), numpy.random.get_state()[1].copy(), torch.get_rng_state()
    for _ in range(5):
        assert set(trainer.evaluator()) == {"val_loss"}
    assert random.getstate() == states[0] and (numpy.random.get_state()[1] == states[1]).all()
    assert torch.equal(torch.get_rng_state(), states[2])
    assert all(p.grad is g for p, g in zip(trainer.model.parameters(), grads))


def test_the_validation_split_is_drawn_after_the_weights_without_moving_a_training_draw(metric_registry):
    from runner.config import resolve
    from runner.training.engine import prepare

    prepare(resolve(metric_registry, "dynamic", steps=1, seed=7, device="cpu", dataset="heldout", sets=SETS))
    without = random.getstate(), numpy.random.get_state()[1].copy()
    prepare(resolve(metric_registry, "dynamic", steps=1, seed=7, device="cpu", dataset="heldout", sets=SETS, eval_every=1))
    assert random.getstate() == without[0] and (numpy.random.get_state()[1] == without[1]).all()


@pytest.mark.parametrize("eval_every, message", [
    (0, "--eval-every must be a positive whole number of steps, not 0"),
    (-5, "--eval-every must be a positive whole number of steps, not -5"),
])
def test_eval_every_must_be_positive(metric_registry, eval_every, message):
    from runner.config import resolve

    with pytest.raises(OptionError, match=message):
        resolve(metric_registry, "numpy", dataset="heldout", eval_every=eval_every)


def test_eval_every_needs_a_validation_split(registry):
    from runner.config import resolve

    with pytest.raises(OptionError, match="dataset 'random' has none"):
        resolve(registry, "numpy", eval_every=10)
