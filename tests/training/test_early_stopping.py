"""Early stopping and the best weights on the loop's seam (runner.training.early_stopping, runner.training.best_weights):
the rule, and a run interrupted and resumed that stops, and keeps, exactly as the run left alone."""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
import pytest

from runner.metrics import improves
from runner.request import RunChoice
from runner.status import RunStatus
from runner.training.early_stopping import EarlyStop
from runner.training.options import ExecOptions
from tests.training.test_handlers import StopAfter

OPTIONS = ExecOptions(flush_seconds=3600, checkpoint_every="10 steps")
SETS = ["batch=8", "d_in=5", "d_out=3"]


def test_improvement_is_strict_beyond_min_delta_in_the_metric_s_direction():
    assert improves(1.0, None, "min") and not improves(math.nan, None, "min") and not improves(math.inf, None, "max")
    assert improves(0.9, 1.0, "min") and not improves(1.0, 1.0, "min") and not improves(0.95, 1.0, "min", 0.05)
    assert improves(1.1, 1.0, "max") and not improves(0.9, 1.0, "max") and not improves(1.04, 1.0, "max", 0.05)
    assert not improves(math.nan, 1.0, "min") and not improves(-math.inf, 1.0, "min")


def test_patience_counts_evaluations_since_the_best():
    rule = EarlyStop("val_loss", "min", patience=2, min_delta=0.0, record=lambda stopped: None)
    seen = [rule.seen(step, value) for step, value in enumerate([3.0, 2.0, 2.5, 1.0, 1.5, math.nan, 0.5])]
    assert seen == [False, False, False, False, False, True, False]
    assert (rule.best, rule.best_step) == (0.5, 6)


def resolved_counted(registry, **choice):
    from runner.config import resolve

    resolved = resolve(registry, RunChoice("counted", dataset="heldout", sets=SETS, seed=3, lr=1e-3, steps=200,
                                           eval_every=5, **choice))
    return dataclasses.replace(resolved, config=dataclasses.replace(resolved.config, device="cpu"))


@pytest.mark.parametrize("interrupt_after", [29, 60])  # before the best evaluation (step 54), and after it
def test_a_resumed_run_stops_and_keeps_the_best_as_the_run_left_alone(metric_registry, store, interrupt_after):
    from runner.training import runs

    resolved = resolved_counted(metric_registry, early_stop="val_loss", patience=3, keep_best="val_loss")
    alone = runs.start(resolved, store, OPTIONS)
    interrupted = runs.start(resolved, store, OPTIONS, [StopAfter(interrupt_after, RunStatus.INTERRUPTED)])
    assert (alone.run_id, interrupted.run_id) == (1, 2) and interrupted.outcome.status == RunStatus.INTERRUPTED
    assert store.requeue([2]) == {2: interrupt_after + 1}
    store.claim_run(2, "cpu")
    outcome = runs.execute(2, resolved, store, "cpu", OPTIONS)
    assert (outcome.status, outcome.steps_done) == (RunStatus.COMPLETED, alone.outcome.steps_done)
    first, again = store.get_run(1), store.get_run(2)
    assert first.early_stop == again.early_stop and first.early_stop["step"] == 69
    bests = [store.latest_artifact(run_id, "best") for run_id in (1, 2)]
    assert bests[0].info.step == bests[1].info.step == 55
    loaded = [np.load(io.BytesIO(b.data))["p0"] for b in bests]
    assert loaded[0].tobytes() == loaded[1].tobytes()


def test_an_evaluation_without_the_metric_fails_the_run_naming_it(metric_registry, store):
    from runner.training import runs

    resolved = resolved_counted(metric_registry, early_stop="val_loss")
    config = dataclasses.replace(resolved.config, early_stop="val_w_max")  # as if the model stopped returning it
    finished = runs.start(dataclasses.replace(resolved, config=config), store, OPTIONS)
    assert finished.outcome.status == RunStatus.FAILED
    assert "its evaluation gave val_half_loss, val_loss, val_w_sum, not val_w_max" in finished.outcome.error


def test_early_stop_travels_with_the_stored_config_to_a_sweep_s_workers(metric_registry, store):
    from runner.training.runs import config_of

    config = resolved_counted(metric_registry, early_stop="val_w_sum", patience=4, min_delta=0.5,
                              keep_best="val_loss").config
    (run_id,) = store.enqueue([config], "swept")
    assert config_of(store.get_run(run_id)) == config
    plain = resolved_counted(metric_registry).config
    assert not {"early_stop", "patience", "min_delta", "keep_best"} & set(plain.training_options())
