"""A few rows of each run instead of all: each run's extent in one pass, then its sampled rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import math

import pytest

NAN, INF = float("nan"), float("inf")


def add(store, make_config, losses, start=0):
    run_id = store.create_run(make_config(steps=len(losses)), "cpu")
    store.append_steps(run_id, [(start + i, float(v), 0.5 * (i + 1)) for i, v in enumerate(losses)])
    return run_id


def wave(n, spike_at=None, dip_at=None):
    values = [2.0 + math.sin(i / 7) for i in range(n)]
    if spike_at is not None:
        values[spike_at] = 50.0
    if dip_at is not None:
        values[dip_at] = 0.25
    return values


def test_extents_count_and_bound_each_run_and_tell_which_are_finite(store, make_config):
    plain = add(store, make_config, wave(100, spike_at=37, dip_at=61), start=5)
    nan = add(store, make_config, [3.0, NAN, 2.0])
    minus_inf = add(store, make_config, [3.0, -INF, 2.0])
    plus_inf = add(store, make_config, [3.0, INF])
    empty = store.create_run(make_config(), "cpu")
    extents = store.step_extents([plain, nan, minus_inf, plus_inf, empty])
    assert empty not in extents
    e = extents[plain]
    assert (e.rows, e.first_step, e.last_step, e.low, e.high, e.finite) == (100, 5, 104, 0.25, 50.0, True)
    assert math.isnan(extents[nan].high) and not extents[nan].finite
    assert extents[minus_inf].low == -INF and not extents[minus_inf].finite
    assert extents[plus_inf].high == INF and not extents[plus_inf].finite


def test_sampled_rows_are_every_nth_step_and_each_run_s_ends_and_extremes(store, make_config):
    first = add(store, make_config, wave(1000, spike_at=333, dip_at=777))
    second = add(store, make_config, wave(503, spike_at=10, dip_at=501), start=1)
    extents = store.step_extents([first, second])
    rows = dict(store.iter_sampled_steps(extents.values(), 50))
    assert [s for s, _, _ in rows[first]] == sorted([*range(0, 1000, 50), 333, 777, 999])
    # the second run: its own ends and extremes, never the first run's (loss 50.0 is its spike too, at step 11)
    assert [s for s, _, _ in rows[second]] == sorted({*range(50, 504, 50), 1, 11, 502, 503})
    by_step = {s: (loss, elapsed) for s, loss, elapsed in rows[first]}
    assert by_step[333] == (50.0, 0.5 * 334) and by_step[777] == (0.25, 0.5 * 778)


def test_every_must_be_positive(store, make_config):
    run_id = add(store, make_config, wave(10))
    with pytest.raises(ValueError, match="every must be at least 1"):
        list(store.iter_sampled_steps(store.step_extents([run_id]).values(), 0))


def evaluate(store, run_id, name, values, every, first=None):
    """Metric ``name`` recorded every ``every`` steps, from step ``first`` (every - 1, as --eval-every records)."""
    start = every - 1 if first is None else first
    store.append_steps(run_id, [], metrics=[(name, start + i * every, float(v)) for i, v in enumerate(values)])


def test_metric_extents_count_and_bound_one_metric_of_each_run(store, make_config):
    plain = add(store, make_config, wave(5))
    evaluate(store, plain, "val_loss", wave(100, spike_at=37, dip_at=61), 10)
    evaluate(store, plain, "val_accuracy", [0.5] * 300, 1)  # another metric: never mixed in
    nan = add(store, make_config, wave(5))
    evaluate(store, nan, "val_loss", [3.0, NAN, 2.0], 10)
    without = add(store, make_config, wave(5))
    extents = store.metric_extents([plain, nan, without], "val_loss")
    assert without not in extents
    e = extents[plain]
    assert (e.rows, e.first_step, e.last_step, e.low, e.high, e.finite) == (100, 9, 999, 0.25, 50.0, True)
    assert e.spacing == 10 and store.step_extents([plain])[plain].spacing == 1
    assert math.isnan(extents[nan].high) and not extents[nan].finite


def test_sampled_metric_rows_are_one_per_stride_on_the_runs_own_cadence_and_its_ends_and_extremes(store, make_config):
    first = add(store, make_config, wave(5))
    evaluate(store, first, "val_loss", wave(100, spike_at=33, dip_at=77), 10)  # steps 9, 19, ..., 999
    evaluate(store, first, "grad_norm", wave(1000), 1)
    second = add(store, make_config, wave(5))
    evaluate(store, second, "val_loss", wave(400), 1, first=3)  # every step from 3 to 402
    extents = store.metric_extents([first, second], "val_loss")
    rows = dict(store.iter_sampled_metric("val_loss", extents.values(), 50))
    # the first run: one value in each 50 steps, on its cadence (9, 59, ...), its spike at 339, dip at 779, last
    assert [s for s, _ in rows[first]] == sorted({*range(9, 1000, 50), 339, 779, 999})
    assert dict(rows[first])[339] == 50.0 and dict(rows[first])[779] == 0.25
    low, high = min(wave(400)), max(wave(400))
    extremes = {3 + i for i, v in enumerate(wave(400)) if v in (low, high)}
    assert [s for s, _ in rows[second]] == sorted({*range(3, 403, 50), *extremes, 402})
    with pytest.raises(ValueError, match="every must be at least 1"):
        list(store.iter_sampled_metric("val_loss", extents.values(), 0))


def expected(rows, extent, every, origin, spacing):
    """The steps sampled_rows returns, from every row: % truncates toward zero in SQL, as math.fmod does."""
    return sorted(step for step, value in rows if math.fmod(step - origin, every) < spacing
                  or value in (extent.low, extent.high) or step in (extent.first_step, extent.last_step))


@pytest.mark.parametrize("every", [1, 3, 10, 25, 400])  # from 10 rows apart its grid is sought, below scanned
def test_sampled_steps_are_the_same_rows_whether_sought_or_scanned(store, make_config, every):
    losses = wave(120, dip_at=40)
    losses[70] = losses[90] = 0.25  # ties at the lowest: every one is read
    run_id = add(store, make_config, losses, start=-30)  # steps before the grid's origin (0): each one on it
    extent = store.step_extents([run_id])[run_id]
    later = [(90 + i, 2.5, 1.0) for i in range(60)]  # stored after the extent was read: those on the grid read
    store.append_steps(run_id, later)
    rows = dict(store.iter_sampled_steps([extent], every))[run_id]
    stored = [(-30 + i, v) for i, v in enumerate(losses)] + [(s, v) for s, v, _ in later]
    assert [s for s, _, _ in rows] == expected(stored, extent, every, 0, 1)


@pytest.mark.parametrize("every", [2, 7, 40, 90, 500])
def test_sampled_metric_of_irregular_cadence_is_the_same_rows_whether_sought_or_scanned(store, make_config, every):
    run_id = add(store, make_config, wave(5))
    steps = [3, 4, 5, 9, 30, 31, 32, 33, 100, 101, 140, 141, 142, 143, 300, 305, 306, 420, 421, 499]
    values = [float(i % 5) for i in range(len(steps))]  # lowest (0.0) and highest (4.0) four times each
    store.append_steps(run_id, [], metrics=list(zip(["val_loss"] * len(steps), steps, values)))
    extent = store.metric_extents([run_id], "val_loss")[run_id]
    assert extent.spacing == 27  # (499 - 3) / 19 rounded up: windows of 27 steps, 0 to 4 rows in each
    rows = dict(store.iter_sampled_metric("val_loss", [extent], every))[run_id]
    assert [s for s, _ in rows] == expected(list(zip(steps, values)), extent, every, 3, 27)
    assert dict(rows) == {s: v for s, v in zip(steps, values) if s in dict(rows)}
