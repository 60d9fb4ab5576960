"""Metrics runner computes itself (--track lr,grad_norm,param_norm)."""

from __future__ import annotations

import math

import pytest

from runner.errors import OptionError
from tests.support.training import record

SETS = ["batch=8", "d_in=5", "d_out=3", "val=4"]


def test_tracked_values_match_what_the_step_did(metric_registry):
    """counted: w starts at zero and every gradient is ones (15 entries), so each gd step moves w by -lr."""
    run = record(metric_registry, "counted", steps=4, dataset="heldout", sets=SETS, lr=0.5,
                 track=("param_norm", "lr", "grad_norm"))
    assert run.outcome.status == "completed", run.outcome.error
    assert run.metric("lr") == {s: 0.5 for s in range(4)}
    assert run.metric("grad_norm") == {s: pytest.approx(math.sqrt(15)) for s in range(4)}
    assert run.metric("param_norm") == {s: pytest.approx(0.5 * (s + 1) * math.sqrt(15)) for s in range(4)}  # after the update


@pytest.mark.parametrize("model", ["tensor", "sequential", "dynamic"])
def test_tracking_a_torch_model_leaves_its_losses_bit_for_bit(registry, model):
    sets = ["batch=8", "d_in=5", "d_out=3", "hidden=4"]
    plain = record(registry, model, steps=6, sets=sets, lr=1e-3)
    tracked = record(registry, model, steps=6, sets=sets, lr=1e-3, track=("lr", "grad_norm", "param_norm"))
    assert tracked.losses == plain.losses
    assert tracked.metric("lr") == {s: 1e-3 for s in range(6)}
    assert all(v > 0 and math.isfinite(v) for name in ("grad_norm", "param_norm") for v in tracked.metric(name).values())


def test_param_norm_is_the_norm_of_the_parameters_after_the_last_step(registry):
    import torch

    from runner.config import resolve
    from runner.training.engine import prepare, train

    trainer = prepare(resolve(registry, "sequential", steps=3, device="cpu", sets=["batch=8", "d_in=5", "d_out=3", "hidden=4"],
                              track=("param_norm",)))
    rows = []
    train(trainer, 3, lambda _, metric_rows: rows.extend(metric_rows))
    expected = torch.sqrt(sum((p.detach() ** 2).sum() for p in trainer.model.parameters()))
    assert rows[-1][:2] == ("param_norm", 2) and rows[-1][2] == pytest.approx(float(expected), rel=1e-6)


def test_an_unknown_tracked_metric_is_refused_with_a_suggestion(registry):
    from runner.config import resolve

    with pytest.raises(OptionError, match=r"unknown tracked metric 'grad_nrm' \(did you mean 'grad_norm'\?\); choose from: "):
        resolve(registry, "numpy", track=("grad_nrm",))


def test_a_model_metric_named_like_a_tracked_one_fails_the_run(metric_registry):
    from runner.config import resolve
    from runner.training.engine import prepare, train

    resolved = resolve(metric_registry, "counted", steps=2, device="cpu", dataset="heldout", sets=SETS, track=("lr",))
    trainer = prepare(resolved)
    trainer.model.metrics = lambda model: {"lr": 1.0}
    outcome = train(trainer, 2, lambda *_: None)
    assert outcome.status == "failed" and "which --track records too" in outcome.error
