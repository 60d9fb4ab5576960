"""Metrics in the store: written with the losses, summarised, streamed and deleted, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from runner.errors import RunNotFound, StorageError
from runner.store import MetricSummary
from runner.store.models import metrics

NAN, INF = float("nan"), float("inf")


def steps(start: int, count: int) -> list[tuple[int, float, float]]:
    return [(i, 1.0 / (i + 1), 0.01 * (i + 1)) for i in range(start, start + count)]


def test_metrics_are_written_with_the_losses_and_read_back_by_run_name_step(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    other = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, steps(0, 3), metrics=[("accuracy", s, 0.5 + 0.1 * s) for s in range(3)])
    store.append_steps(other, steps(0, 1), metrics=[("lr", 0, 0.1)])
    store.append_steps(run_id, steps(3, 2), metrics=[("val_loss", 4, 0.25), ("accuracy", 3, 0.8), ("accuracy", 4, 0.9)])

    assert store.get_run(run_id).steps_done == 5
    assert list(store.iter_steps([run_id])) == [(run_id, *row) for row in steps(0, 5)]
    assert list(store.iter_metrics([run_id])) == [
        *[(run_id, "accuracy", s, v) for s, v in enumerate((0.5, 0.6, 0.7, 0.8, 0.9))],
        (run_id, "val_loss", 4, 0.25),
    ]
    assert list(store.iter_metrics([other, run_id], ["val_loss", "lr"])) == [  # by run id, whatever the order asked
        (run_id, "val_loss", 4, 0.25),
        (other, "lr", 0, 0.1),
    ]
    assert list(store.iter_metrics([run_id], ["nothing_here"])) == []
    assert store.metric_names([run_id, other]) == {run_id: ["accuracy", "val_loss"], other: ["lr"]}


def test_evaluation_values_may_come_without_steps_and_do_not_count_as_steps(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, steps(0, 2))
    store.append_steps(run_id, [], metrics=[("val_loss", 1, 0.5)])
    run = store.get_run(run_id)
    assert (run.steps_done, run.final_loss) == (2, 0.5)
    assert list(store.iter_metrics([run_id])) == [(run_id, "val_loss", 1, 0.5)]


def test_nan_and_inf_are_kept_as_they_are(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, steps(0, 4), metrics=[("g", 0, NAN), ("g", 1, INF), ("g", 2, -INF), ("g", 3, 2.0)])
    values = [value for *_, value in store.iter_metrics([run_id], ["g"])]
    assert math.isnan(values[0]) and values[1:] == [INF, -INF, 2.0]


def test_summary_first_final_and_best_by_direction_ignoring_nonfinite(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    values = [(0, 0.3), (1, NAN), (2, 0.9), (3, INF), (4, 0.9), (5, 0.2), (6, -INF), (7, 0.5)]
    store.append_steps(run_id, steps(0, 8), metrics=[("accuracy", s, v) for s, v in values])
    high = store.metric_summary(run_id, "accuracy", "max")
    assert high == MetricSummary("accuracy", 8, 0.3, 0.5, 0.9, 2, "max")  # the first step that reached the best
    low = store.metric_summary(run_id, "accuracy", "min")
    assert (low.best, low.best_step, low.direction) == (0.2, 5, "min")


def test_summary_of_a_metric_the_run_did_not_record_is_empty(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    assert store.metric_summary(run_id, "accuracy", "max") == MetricSummary("accuracy", 0, None, None, None, None, "max")
    store.append_steps(run_id, steps(0, 1), metrics=[("g", 0, NAN)])
    only_nan = store.metric_summary(run_id, "g", "min")
    assert (only_nan.count, only_nan.best, only_nan.best_step) == (1, None, None) and math.isnan(only_nan.final)
    with pytest.raises(ValueError, match="direction must be 'min' or 'max', not 'up'"):
        store.metric_summary(run_id, "g", "up")


def test_a_failed_write_stores_neither_losses_nor_metrics(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, steps(0, 1), metrics=[("accuracy", 0, 0.5)])
    with pytest.raises(StorageError):  # the metric row repeats a stored (run, name, step)
        store.append_steps(run_id, steps(1, 2), metrics=[("accuracy", 1, 0.6), ("accuracy", 0, 0.7)])
    assert [step for _, step, *_ in store.iter_steps([run_id])] == [0]
    assert list(store.iter_metrics([run_id])) == [(run_id, "accuracy", 0, 0.5)]
    assert store.get_run(run_id).steps_done == 1


def test_deleting_a_run_deletes_its_metrics(store, make_config):
    gone, kept = (store.create_run(make_config(), device="cpu") for _ in range(2))
    for run_id in (gone, kept):
        store.append_steps(run_id, steps(0, 2), metrics=[("accuracy", 0, 0.5), ("accuracy", 1, 0.6)])
    store.delete_runs([gone])
    assert [row[0] for row in store.iter_metrics([kept])] == [kept, kept]
    with pytest.raises(RunNotFound):
        store.iter_metrics([gone])
    with store._transaction(read_only=True) as conn:  # nothing left behind for the deleted run
        assert conn.scalar(select(func.count()).select_from(metrics).where(metrics.c.run_id == gone)) == 0


def test_missing_runs_and_bad_names(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    with pytest.raises(RunNotFound, match=f"no run {run_id + 1} in"):
        store.append_steps(run_id + 1, [], metrics=[("accuracy", 0, 0.5)])
    with pytest.raises(RunNotFound, match=f"no run {run_id + 1} in"):
        store.metric_names([run_id, run_id + 1])
    with pytest.raises(RunNotFound, match=f"no run {run_id + 1} in"):
        store.metric_summary(run_id + 1, "accuracy", "max")
    with pytest.raises(ValueError, match="\"x'; DROP TABLE runs; --\" is not a metric name"):
        store.iter_metrics([run_id], ["x'; DROP TABLE runs; --"])
    assert store.metric_names([]) == {}
