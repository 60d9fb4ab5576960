"""Metrics in a report: gathered per run and group, one figure each, summary columns, --best, colours."""

from __future__ import annotations

import re

import numpy as np
import pytest

from runner.metrics import declared_directions
from runner.report import MetricSeries, Options, Selection, UnknownMetric, figures, gather, to_html
from runner.report.style import Palette
from runner.store import MetricSummary
from tests.report.conftest import add_run, decay, evaluations, rising

NAN, INF = float("nan"), float("inf")


def by_meta(fig, **meta):
    return [t for t in fig.data if t.meta and all(t.meta.get(k) == v for k, v in meta.items())]


@pytest.fixture
def evaluated(store):
    """A seed group of three and two single runs, evaluated every 10 steps; the last run diverges."""
    ids = [add_run(store, decay(50, seed=s), seed=s, metrics={
        "val_accuracy": evaluations(rising(5, seed=s), 10), "val_loss": evaluations(decay(5, seed=s), 10),
        "accuracy": rising(50, seed=s),
    }) for s in range(3)]
    ids.append(add_run(store, decay(50), lr=1e-2, metrics={
        "val_accuracy": evaluations([0.5, 0.8, 0.9, 0.97, 0.96], 10), "val_loss": evaluations(decay(5, rate=0.5), 10),
    }))
    ids.append(add_run(store, decay(25) + [NAN], lr=1.0, steps=50, metrics={
        "val_accuracy": evaluations([0.3, 0.4, NAN], 10), "val_loss": evaluations([9.0, 8.0, INF], 10),
    }))
    return ids


def test_gather_carries_each_runs_metrics_at_their_steps(store, evaluated):
    data = gather(store, metrics=["val_accuracy"])
    assert data.metrics == ("val_accuracy",) and data.directions == {"val_accuracy": "max"}
    assert data.recorded == ("accuracy", "val_accuracy", "val_loss") and data.best is None
    single = data.run(evaluated[3])
    assert single.metric_names == ("val_accuracy", "val_loss") and list(single.metrics) == ["val_accuracy"]
    metric = single.metrics["val_accuracy"]
    assert metric.series == MetricSeries(np.array([9, 19, 29, 39, 49]), np.array([0.5, 0.8, 0.9, 0.97, 0.96]))
    assert metric.summary == MetricSummary("val_accuracy", 5, 0.5, 0.96, 0.97, 39, "max")
    assert metric.summary == store.metric_summary(single.id, "val_accuracy", "max")  # as the store says it
    diverged = data.run(evaluated[4]).metrics["val_accuracy"]
    assert np.isnan(diverged.series.value[-1]) and diverged.summary.best == 0.4 and diverged.nonfinite == 1
    assert gather(store).runs[0].metrics == {}  # nothing asked, nothing read


def test_a_groups_metric_has_the_spread_of_its_finals_and_a_band_over_its_steps(store, evaluated):
    (group,) = gather(store, metrics=["val_accuracy", "val_loss"]).groups
    finals = [rising(5, seed=s)[-1] for s in range(3)]
    accuracy = group.metrics["val_accuracy"]
    assert accuracy.final.mean == pytest.approx(np.mean(finals)) and accuracy.final.std == pytest.approx(np.std(finals))
    assert (accuracy.final.low, accuracy.final.high, accuracy.final.nonfinite) == (min(finals), max(finals), 0)
    assert accuracy.best == max(max(rising(5, seed=s)) for s in range(3))  # the highest of any run
    assert group.metrics["val_loss"].best == min(min(decay(5, seed=s)) for s in range(3))  # the lowest
    assert list(accuracy.band.step) == [9, 19, 29, 39, 49] and list(accuracy.band.count) == [3] * 5
    assert accuracy.band.high[-1] == max(finals) and np.isnan(accuracy.band.elapsed).all()


def test_one_figure_per_metric_with_bands_marks_and_its_own_axis(store, evaluated):
    *group, single, diverged = evaluated
    figs = figures(gather(store, metrics=["val_accuracy", "val_loss"]))
    assert list(figs.metrics) == ["val_accuracy", "val_loss"]
    assert [name for name, _ in figs.items()] == ["loss", "metric-val_accuracy", "metric-val_loss", "final_loss", "wall_clock"]
    fig = figs.metrics["val_accuracy"]
    assert [t.meta["part"] for t in by_meta(fig, group="g1")] == ["band", "mean"]
    lines = [t for t in fig.data if t.mode == "lines" and t.meta.get("run")]
    assert [t.meta["run"] for t in lines] == evaluated
    assert list(by_meta(fig, run=single)[0].x) == [9, 19, 29, 39, 49]  # at the evaluation steps
    line, mark = by_meta(fig, run=diverged)
    assert list(line.y) == pytest.approx([0.3, 0.4]) and list(mark.x) == [25] and list(mark.y) == pytest.approx([0.4])
    assert "diverged at step 25: loss nan (the last finite val_accuracy: 0.4 at step 19)" in mark.hovertemplate
    assert "val_accuracy %{y:.6g}" in line.hovertemplate and fig.layout.yaxis.title.text == "val_accuracy"
    # accuracies span less than a decade: linear, and the page says why; the losses fall over decades: log
    assert fig.layout.yaxis.type == "linear"
    notes = figs.metric_notes["val_accuracy"]
    assert "The val_accuracy axis is linear (val_accuracy is a fraction from 0 to 1)." in notes  # bounded: never log
    assert "1 non-finite val_accuracy values (NaN or inf) are left out of the lines." in notes
    assert figs.metrics["val_loss"].layout.yaxis.type == "log"
    forced = figures(gather(store, metrics=["val_accuracy"]), Options(log_y=True))
    assert forced.metrics["val_accuracy"].layout.yaxis.type == "log"


def test_a_metric_some_runs_lack_draws_only_those_that_have_it(store, evaluated):
    figs = figures(gather(store, metrics=["accuracy"]))
    fig = figs.metrics["accuracy"]
    assert sorted({t.meta.get("run") for t in fig.data if t.meta.get("run")}) == evaluated[:3]
    assert len(by_meta(fig, group="g1")) == 2 and len(fig.data) == 2 + 3


def test_long_metric_lines_are_downsampled_for_display_only(store):
    add_run(store, decay(3000, rate=0.999), metrics={"grad_norm": decay(3000, rate=0.998, seed=1)})
    data = gather(store, metrics=["grad_norm"])
    figs = figures(data, Options(max_points=300))
    (line,) = figs.metrics["grad_norm"].data
    assert len(line.x) <= 302 and line.x[-1] == 2999 and len(data.runs[0].metrics["grad_norm"].series) == 3000
    assert any(n.startswith("Display only: 1 of 1 lines") for n in figs.metric_notes["grad_norm"])


def test_the_summary_has_each_metrics_final_and_best(store, evaluated):
    page = to_html(gather(store, metrics=["val_accuracy", "val_loss"]), plotlyjs="cdn")
    summary = page[page.index('id="table-summary"'):page.index("</table>", page.index('id="table-summary"'))]
    heads = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', summary)
    assert heads[6:12] == ["Final loss", "Best loss", "val_accuracy final", "val_accuracy best ↑",
                           "val_loss final", "val_loss best ↓"]
    group, single, diverged = summary.split("<tr")[2:]
    numbers = [re.findall(r'data-v="([^"]*)"', row) for row in (group, single, diverged)]
    # lr, final loss, best loss, then the accuracy's final and best
    assert numbers[1][3:5] == [repr(0.96), repr(0.97)] and ">0.97 (39)<" in single  # and the step of the best
    assert numbers[0][3] == repr(float(np.mean([rising(5, seed=s)[-1] for s in range(3)]))) and "<br><small>± " in group
    assert numbers[2][3] == "" and ">nan<" in diverged  # not finite: shown, and sorted last


@pytest.mark.parametrize(
    "best, top",
    [("val_accuracy", 3), ("val_loss", 3), ("loss", 0)],  # index into evaluated; "loss": the group's mean
)
def test_best_names_a_tie_when_one_seed_cannot_be_told_apart(store, evaluated, best, top):
    """Run #4 has one seed: no interval separates it from the group, so the two are tied and nothing is starred
    (tests/report/test_best.py has a clear best, starred)."""
    data = gather(store, best=best)
    entry = data.entries()[0] if top == 0 else data.run(evaluated[top])
    assert data.best is not None and not data.best.clear and not any(data.best.marks(e) for e in data.entries())
    assert data.best.tied[0] == entry.label and set(data.best.tied) == {"#4", "numpy · gd · lr=0.001"}
    assert data.best.direction == ("max" if best == "val_accuracy" else "min")
    assert data.metrics == (() if best == "loss" else (best,))  # --best NAME gathers NAME
    figs = figures(data)
    assert not [t.name for t in figs.loss.data if t.name and "★" in t.name]
    page = to_html(data, figs, plotlyjs="cdn")
    assert "★" not in page and 'best">' not in page and f"Nothing is starred: by final {best}, 2 entries are tied" in page


def test_best_on_a_group_compares_its_mean_final(store):
    for s in range(2):
        add_run(store, decay(5), seed=s, metrics={"acc": [0.1, 0.2, 0.3, 0.4, 0.5 + 0.4 * s]})  # mean 0.7
    lone = add_run(store, decay(5), lr=0.1, metrics={"acc": [0.1, 0.2, 0.3, 0.4, 0.8]})
    data = gather(store, best="acc")
    assert data.best.run_id == lone and data.best.value == 0.8 and data.best.group is None
    data = gather(store, Selection(run_ids=[1, 2]), best="acc")
    assert data.best.group == "g1" and data.best.value == pytest.approx(0.7)


def test_declared_directions_win_and_val_names_inherit_them(store):
    assert declared_directions([{"metric_directions": {"margin": "max"}}, None, {"metric_directions": {"margin": "min"}}]) == {
        "margin": "max"}
    from sqlalchemy import update

    from runner.store.models import runs

    run_id = add_run(store, decay(3), metrics={"val_margin": [1.0, 3.0, 2.0]})
    assert gather(store, best="val_margin").directions == {"val_margin": "min"}  # undeclared: lower is better
    with store._engine.begin() as conn:  # what a model that declares directions stores
        conn.execute(update(runs).where(runs.c.id == run_id).values(
            config={"model_params": {}, "metric_directions": {"margin": "max"}}))
    data = gather(store, best="val_margin")
    assert data.directions == {"val_margin": "max"} and data.run(run_id).metrics["val_margin"].summary.best == 3.0


@pytest.mark.parametrize(
    "metrics, best, message",
    [
        (["val_acuracy"], None, "unknown metric 'val_acuracy' (did you mean 'val_accuracy'?); "
                                "the selected runs have: accuracy, val_accuracy, val_loss"),
        (["val_loss", "lr"], None, "unknown metric 'lr'; the selected runs have: accuracy, val_accuracy, val_loss"),
        ([], "val_los", "unknown metric 'val_los' (did you mean 'val_loss'?)"),
    ],
)
def test_an_unknown_metric_names_what_the_runs_have(store, evaluated, metrics, best, message):
    with pytest.raises(UnknownMetric) as error:
        gather(store, metrics=metrics, best=best)
    assert str(error.value).startswith(message)


def test_a_metric_of_runs_not_selected_is_unknown(store, evaluated):
    lone = add_run(store, decay(5), model="tensor")
    with pytest.raises(UnknownMetric, match="unknown metric 'val_loss'; the selected runs have: no metrics"):
        gather(store, Selection(run_ids=[lone]), metrics=["val_loss"])


def test_with_one_model_colour_follows_what_varies(store):
    ids = [add_run(store, decay(10), lr=lr, seed=s) for lr in (1e-2, 1e-3) for s in range(2)]
    ids.append(add_run(store, decay(10), lr=1e-3, optimizer="adam"))
    data = gather(store)
    palette = Palette.for_runs(data.runs, data.varying)
    assert (palette.colour_key, palette.dash_key) == ("optimizer", "lr")
    by_run = {t.meta["run"]: (t.line.color, t.line.dash) for t in figures(data).loss.data if t.meta.get("run")}
    assert by_run[ids[0]] == by_run[ids[1]] != by_run[ids[2]]  # lr 1e-2 and 1e-3 differ in dash...
    assert by_run[ids[2]][0] == by_run[ids[0]][0] != by_run[ids[4]][0]  # ...and adam in colour
    means = {t.meta["group"]: t.line.color for t in figures(data).loss.data if t.meta.get("part") == "mean"}
    assert means == {"g1": by_run[ids[2]][0], "g2": by_run[ids[0]][0]}
    assert "Colour: optimizer. Dash: lr." in to_html(data, plotlyjs="cdn")

    hidden = [add_run(store, decay(10), hidden=h, dataset=d) for h in (10, 20) for d in ("random", "spiral")]
    palette = Palette.for_runs(gather(store, Selection(run_ids=hidden)).runs, gather(store, Selection(run_ids=hidden)).varying)
    assert (palette.colour_key, palette.dash_key) == ("dataset", "optimizer")
    assert len({palette.colours[i] for i in hidden}) == 2


def test_with_several_models_colour_follows_the_model(store):
    a = add_run(store, decay(10), lr=1e-2)
    b = add_run(store, decay(10), lr=1e-3)
    c = add_run(store, decay(10), model="tensor")
    data = gather(store)
    palette = Palette.for_runs(data.runs, data.varying)
    assert (palette.colour_key, palette.dash_key) == ("model", "optimizer")
    assert palette.colours[a] == palette.colours[b] != palette.colours[c]
    lone = Palette.for_runs(gather(store, Selection(run_ids=[a])).runs, ())
    assert (lone.colour_key, lone.describe()) == ("model", "Colour: model. Dash: optimizer.")
