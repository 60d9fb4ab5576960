"""Store.steps_after and metrics_after: what a watcher has not read yet, per run after a step."""

from __future__ import annotations

import math

import pytest


def test_steps_after_each_runs_own_step(store, make_config):
    a, b, c = (store.create_run(make_config(seed=s), "cpu") for s in range(3))
    for run in (a, b, c):
        store.append_steps(run, [(i, float(i) if i != 2 else math.nan, i / 10) for i in range(5)])
    rows = store.steps_after({b: 2, a: -1})  # c not asked about
    assert [(r, s) for r, s, _, _ in rows] == [(a, 0), (a, 1), (a, 2), (a, 3), (a, 4), (b, 3), (b, 4)]
    assert math.isnan(rows[2][2]) and rows[-1][2:] == (4.0, 0.4)
    assert store.steps_after({a: 4}) == [] and store.steps_after({}) == []
    assert store.steps_after({999: -1}) == []  # a run that is not there has no steps


def test_metrics_after_the_names_asked_for(store, make_config):
    run = store.create_run(make_config(), "cpu")
    store.append_steps(run, [(i, 1.0, i / 10) for i in range(10)],
                       metrics=[("acc", 4, 0.5), ("acc", 9, 0.75), ("val_loss", 9, math.inf), ("other", 9, 1.0)])
    assert store.metrics_after({run: 4}, ["acc", "val_loss"]) == [(run, "acc", 9, 0.75), (run, "val_loss", 9, math.inf)]
    assert store.metrics_after({run: -1}, []) == []
    with pytest.raises(ValueError, match="not a metric name"):
        store.metrics_after({run: -1}, ["x; DROP TABLE runs"])
