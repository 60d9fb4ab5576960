"""Gathering: selection, per-run series and summaries, seed groups, config diff — compared as plain dataclasses."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from runner.errors import RunNotFound
from runner.report import (
    Band,
    Group,
    NoRunsSelected,
    RunData,
    Selection,
    Series,
    gather,
)
from runner.report.data import make_band, repeated_runs, run_data
from runner.report.stats import shared_steps
from runner.store import LossSummary
from tests.report.conftest import HOSTILE, add_run, decay

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
NAN, INF = float("nan"), float("inf")


def test_a_run_gathers_into_an_equal_dataclass(store):
    run_id = add_run(store, [4.0, 2.0, 1.0, 1.5], name="alpha", hidden=50, dt=0.5)
    record = store.get_run(run_id)
    data = gather(store, now=NOW, command="runner report")
    expected = RunData(
        id=run_id,
        name="alpha",
        label=f"#{run_id} alpha",
        model="numpy",
        optimizer="gd",
        dataset="random",
        lr=1e-3,
        steps=4,
        seed=0,
        device="cpu",
        status="completed",
        sweep=None,
        params={"model.hidden": 50, "dataset.batch": 8},
        summary=LossSummary(run_id, 4, 4.0, 1.5, 1.0, 2, 2.0, 0),
        divergence_step=None,
        training_time=2.0,  # the last stored step's elapsed
        startup=max((record.ended_at - record.started_at).total_seconds() - 2.0, 0.0),
        started_at=record.started_at,
        ended_at=record.ended_at,
        error=None,
        host=record.host,
        versions={"runner": record.runner_version, "torch": record.torch_version,
                  "numpy": record.numpy_version, "python": record.python_version},
        series=Series(np.arange(4), np.array([4.0, 2.0, 1.0, 1.5]), np.array([0.5, 1.0, 1.5, 2.0])),
    )
    assert data.runs == (expected,)
    assert data.groups == ()
    assert data.selection == Selection()
    assert data.provenance.created_at == NOW and data.provenance.command == "runner report"
    assert data.provenance.database == store.url
    assert data == gather(store, now=NOW, command="runner report")  # gathering twice gives equal data


def test_series_equality_compares_values_and_treats_nan_as_equal():
    a = Series(np.arange(3), np.array([1.0, NAN, INF]), np.zeros(3))
    assert a == Series(np.arange(3), np.array([1.0, NAN, INF]), np.zeros(3))
    assert a != Series(np.arange(3), np.array([1.0, NAN, 2.0]), np.zeros(3))
    assert a != Series(np.arange(2), np.array([1.0, NAN]), np.zeros(2))


def same(a, b) -> bool:
    """Dataclass equality with NaN equal to NaN."""
    def key(value):
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    return [key(v) for v in dataclasses.astuple(a)] == [key(v) for v in dataclasses.astuple(b)]


def test_summaries_agree_with_the_store(store):
    ids = [
        add_run(store, [3.0, 1.0, 1.0, 2.0]),
        add_run(store, [3.0, 2.0, NAN, NAN]),
        add_run(store, [5.0, INF]),
        add_run(store, [NAN]),
        add_run(store, [], status="failed"),
    ]
    data = gather(store)
    for run_id in ids:
        assert same(data.run(run_id).summary, store.loss_summary(run_id))
    assert data.run(ids[1]).divergence_step == 2
    assert data.run(ids[2]).divergence_step == 1
    assert data.run(ids[0]).divergence_step is None
    assert len(data.run(ids[4]).series) == 0


def test_steps_are_read_in_one_streamed_query(store, monkeypatch):
    for s in range(4):
        add_run(store, decay(20, seed=s), seed=s)
    calls = []
    original = store.iter_steps
    monkeypatch.setattr(store, "iter_steps", lambda ids=None: calls.append(ids) or original(ids))
    data = gather(store)
    assert calls == [[1, 2, 3, 4]]
    assert [len(r.series) for r in data.runs] == [20] * 4


def test_runs_that_differ_only_by_seed_form_a_group(store):
    seeds = [add_run(store, decay(30, seed=s), seed=s) for s in (0, 1, 2)]
    other_lr = add_run(store, decay(30), lr=1e-2)
    other_hidden = [add_run(store, decay(30, seed=s), seed=s, hidden=20) for s in (0, 1)]
    lone = add_run(store, decay(30), model="tensor")
    data = gather(store)
    assert [g.run_ids for g in data.groups] == [tuple(seeds), tuple(other_hidden)]
    g1, g2 = data.groups
    assert g1.seeds == (0, 1, 2) and g1.key == "g1" and g2.key == "g2"
    assert g1.label == "numpy · gd · lr=0.001 · hidden=100" and g2.label == "numpy · gd · lr=0.001 · hidden=20"
    assert [r.id for r in data.singles] == [other_lr, lone]
    assert [getattr(e, "key", None) or e.id for e in data.entries()] == ["g1", other_lr, "g2", lone]
    finals = [data.run(i).summary.final_loss for i in seeds]
    assert g1.final_mean == pytest.approx(np.mean(finals)) and g1.final_std == pytest.approx(np.std(finals))
    assert (g1.final_min, g1.final_max) == (min(finals), max(finals))
    assert g1.status == "completed" and g1.nonfinite_finals == 0
    assert data.group_of(seeds[1]) == g1 and data.group_of(lone) is None


def test_a_group_band_counts_only_finite_losses_of_the_runs_that_reached_a_step():
    band = make_band([
        Series(np.arange(4), np.array([4.0, 3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0, 4.0])),
        Series(np.arange(3), np.array([6.0, 5.0, NAN]), np.array([3.0, 4.0, 5.0])),
    ])
    expected = Band(
        step=np.arange(4),
        mean=np.array([5.0, 4.0, 2.0, 1.0]),
        std=np.array([1.0, 1.0, 0.0, 0.0]),
        low=np.array([4.0, 3.0, 2.0, 1.0]),
        high=np.array([6.0, 5.0, 2.0, 1.0]),
        count=np.array([2, 2, 1, 1]),
        elapsed=np.array([2.0, 3.0, 4.0, 4.0]),  # the diverged run reached step 2 too
    )
    assert band == expected


def test_an_aligned_band_leaves_out_a_step_that_a_run_spanning_it_lacks():
    long = Series(np.array([0, 2, 4, 6, 8]), np.array([5.0, 4.0, 3.0, 2.0, 1.0]), np.zeros(5))
    short = Series(np.array([0, 2, 3, 4]), np.array([7.0, 6.0, 0.5, 5.0]), np.zeros(4))  # step 3: its own extreme
    assert [m.tolist() for m in shared_steps([long.step, short.step])] == [[True] * 5, [True, True, False, True]]
    band = make_band([long, short], aligned=True)
    assert band.step.tolist() == [0, 2, 4, 6, 8] and band.mean.tolist() == [6.0, 5.0, 4.0, 2.0, 1.0]
    assert band.count.tolist() == [2, 2, 2, 1, 1]  # past the short run's end only the long one counts
    assert 3 in make_band([long, short]).step  # not aligned: every step some run stored


def test_a_group_with_a_diverged_seed_is_marked(store):
    add_run(store, decay(10), seed=0, steps=10)
    add_run(store, decay(5) + [NAN], seed=1, steps=10)
    (group,) = gather(store).groups
    assert group.statuses == ("completed", "diverged") and group.status == "1 completed, 1 diverged"
    assert group.nonfinite_finals == 1 and group.final_mean == pytest.approx(decay(10)[-1])
    assert math.isfinite(group.band.mean[5])  # the diverged seed's NaN leaves the mean to the other run


def test_config_diff_lists_only_what_varies(store):
    add_run(store, decay(5), seed=0)
    add_run(store, decay(5), seed=1, lr=0.1)
    add_run(store, decay(5), seed=2, hidden=7, model="tensor")
    data = gather(store)
    assert data.varying == ("model", "lr", "seed", "model.hidden")
    assert data.constant == {"optimizer": "gd", "dataset": "random", "steps": 5, "device": "cpu", "dataset.batch": 8}
    assert data.runs[2].config["model.hidden"] == 7


def test_selection_by_ids_models_statuses_and_sweep(store):
    a = add_run(store, decay(5), model="numpy", sweep="lr-grid")
    b = add_run(store, decay(5), model="tensor", sweep="lr-grid")
    c = add_run(store, [1.0, NAN], model="tensor")
    d = add_run(store, decay(5), model="autograd", status="interrupted")

    def ids(**kw):
        return [r.id for r in gather(store, Selection(**kw)).runs]

    assert ids() == [a, b, c, d]
    assert ids(run_ids=[d, a]) == [a, d]
    assert ids(models=["tensor"]) == [b, c]
    assert ids(models=["tensor", "autograd"]) == [b, c, d]
    assert ids(statuses=["diverged", "interrupted"]) == [c, d]
    assert ids(sweep="lr-grid") == [a, b]
    assert ids(sweep="lr-grid", models=["tensor"]) == [b]
    assert ids(run_ids=[a, b, c], statuses=["completed"]) == [a, b]
    assert gather(store, Selection(sweep="lr-grid")).runs[0].sweep == "lr-grid"
    assert gather(store, Selection(models=["tensor"], statuses=["diverged"])).selection == Selection((), None, ("tensor",), ("diverged",))


def test_no_match_and_unknown_runs_are_domain_errors(store):
    add_run(store, decay(5))
    with pytest.raises(NoRunsSelected, match=r"no runs match the selection \(model nope\) in sqlite"):
        gather(store, Selection(models=["nope"]))
    with pytest.raises(NoRunsSelected, match="sweep ghost"):
        gather(store, Selection(sweep="ghost"))
    with pytest.raises(RunNotFound, match="no run 42"):
        gather(store, Selection(run_ids=(1, 42)))


def test_user_strings_are_kept_verbatim_in_the_data(store):
    run_id = add_run(store, decay(5), name=HOSTILE, sweep=HOSTILE)
    run = gather(store).run(run_id)
    assert run.name == HOSTILE and run.sweep == HOSTILE and run.label == f"#{run_id} {HOSTILE}"
    assert isinstance(gather(store).groups, tuple) and not any(isinstance(g, Group) for g in gather(store).runs)


def test_training_time_is_the_last_steps_elapsed_and_start_up_the_rest_of_the_wall_time(store):
    run_id = add_run(store, [4.0, 2.0, 1.0], dt=0.25)  # the last step at 0.75 s
    record = store.get_run(run_id)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    record = dataclasses.replace(record, started_at=start, ended_at=start + timedelta(seconds=5.5))
    run = run_data(record, Series(np.arange(3), np.array([4.0, 2.0, 1.0]), np.array([0.25, 0.5, 0.75])))
    assert run.training_time == 0.75 and run.startup == pytest.approx(4.75)
    unfinished = dataclasses.replace(record, ended_at=None)
    assert run_data(unfinished, run.series).training_time == 0.75 and run_data(unfinished, run.series).startup is None
    assert run_data(record, Series.empty()).training_time is None and run_data(record, Series.empty()).startup == 5.5


def test_a_groups_training_time_is_the_mean_of_its_runs(store):
    add_run(store, decay(4), seed=0, dt=0.5)
    add_run(store, decay(4), seed=1, dt=1.0)
    (group,) = gather(store).groups
    assert group.training_time == pytest.approx(3.0)  # (2.0 + 4.0) / 2, whatever the processes' start-up


def test_runs_with_the_same_settings_and_the_same_seed_are_not_a_seed_group(store):
    same = [add_run(store, decay(10), seed=0) for _ in range(7)]
    data = gather(store)
    assert data.groups == () and [r.id for r in data.singles] == same
    assert repeated_runs(data.runs) == tuple(same)


def test_only_the_runs_with_distinct_seeds_form_the_group(store):
    a0, b1, c2, d0 = (add_run(store, decay(10, seed=s), seed=s) for s in (0, 1, 2, 0))
    other = add_run(store, decay(10), seed=0, lr=0.5)  # the same seed, other settings: no repeat
    data = gather(store)
    (group,) = data.groups
    assert group.run_ids == (b1, c2) and group.seeds == (1, 2)
    assert [r.id for r in data.singles] == [a0, d0, other]
    assert repeated_runs(data.runs) == (a0, d0)
