"""Figures from report data: one trace per run, groups as mean and band, status marks, downsampling, WebGL."""

from __future__ import annotations

import numpy as np
import pytest

from runner.report import Options, Selection, figures, gather
from tests.report.conftest import HOSTILE, add_run, decay

NAN = float("nan")


def by_meta(fig, **meta):
    return [t for t in fig.data if t.meta and all(t.meta.get(k) == v for k, v in meta.items())]


def test_traces_runs_groups_and_status_marks(store, mixed):
    *_, exploded, crashed = mixed
    figs = figures(gather(store))
    loss = figs.loss
    lines = [t for t in loss.data if t.mode == "lines" and t.meta.get("run")]
    assert [t.meta["run"] for t in lines] == mixed
    assert [t.visible for t in lines] == ["legendonly"] * 3 + [True] * 4  # the group's runs are one click away
    band, mean = by_meta(loss, group="g1")
    assert band.fill == "toself" and band.showlegend is False and mean.legendgroup == band.legendgroup == "g1"
    assert "mean of 3 seeds" in mean.name
    marks = [t for t in loss.data if t.mode == "markers"]
    assert [(t.meta["run"], t.meta["status"]) for t in marks] == [(exploded, "diverged"), (crashed, "failed")]
    assert "diverged" in by_meta(loss, run=exploded)[0].name and "failed" in by_meta(loss, run=crashed)[0].name
    assert figs.loss.layout.yaxis.type == "log" and figs.log_y
    assert figs.final_loss.data[0].type == "bar" and len(figs.final_loss.data[0].y) == 5  # g1, 3 singles... and crash
    clock = figs.wall_clock
    assert [t.meta["run"] for t in clock.data if t.mode == "lines" and t.meta.get("run")] == mixed
    assert [t.meta["part"] for t in by_meta(clock, group="g1")] == ["band", "mean"]
    assert "mean time %{x:.3f} s" in by_meta(clock, group="g1")[1].hovertemplate
    assert not figs.webgl and {t.type for t in loss.data} == {"scatter"}


def test_non_finite_losses_leave_the_line_and_the_divergence_is_marked(store):
    run_id = add_run(store, [8.0, 4.0, 2.0, float("inf"), NAN])
    loss = figures(gather(store)).loss
    line, mark = by_meta(loss, run=run_id)
    assert np.array_equal(np.asarray(line.y, dtype=float), [8.0, 4.0, 2.0])
    assert list(mark.x) == [3] and list(mark.y) == [2.0]  # at the divergence step, at the last finite loss
    assert "diverged at step 3: loss inf" in mark.hovertemplate


def test_the_final_loss_chart_marks_a_non_finite_final(store, mixed):
    fig = figures(gather(store)).final_loss
    notes = [a.text for a in fig.layout.annotations]
    assert notes == ["✕ diverged: final loss nan"]
    label = f"#{mixed[5]} {HOSTILE}".replace("<", "&lt;").replace(">", "&gt;") + " · explode · gd · lr=0.001"
    assert fig.data[0].x[list(fig.data[0].y).index(label)] is None


def test_long_lines_are_downsampled_for_display_only(store):
    ids = [add_run(store, decay(5000, rate=0.999, seed=s), seed=s, lr=10.0 ** -s) for s in range(3)]
    data = gather(store)
    before = [r.series for r in data.runs]
    figs = figures(data, Options(max_points=500, webgl_threshold=10**9))
    assert figs.downsampled == tuple(ids)
    for run_id, series in zip(ids, before):
        (line,) = by_meta(figs.loss, run=run_id)
        x = np.asarray(line.x)
        assert 400 <= len(x) <= 502 and x[0] == 0 and x[-1] == 4999
        assert np.asarray(line.y).min() == np.float32(series.loss.min())  # the best loss survives
    assert [r.series for r in data.runs] == before and len(data.runs[0].series) == 5000
    assert any("Display only: 3 of 3 lines" in n for n in figs.notes)


def test_webgl_above_the_threshold(store):
    for s in range(3):
        add_run(store, decay(400, seed=s), lr=10.0 ** -s)
    assert not figures(gather(store), Options(webgl_threshold=1200)).webgl
    figs = figures(gather(store), Options(webgl_threshold=1000))
    assert figs.webgl and {t.type for t in figs.loss.data if t.mode == "lines"} == {"scattergl"}
    assert any("WebGL" in n for n in figs.notes)


def test_log_axis_unless_a_loss_is_not_positive(store):
    add_run(store, [1.0, 0.5, 0.0])
    figs = figures(gather(store))
    assert not figs.log_y and figs.loss.layout.yaxis.type == "linear"
    assert figures(gather(store), Options(log_y=True)).loss.layout.yaxis.type == "log"


def test_std_band(store):
    for s in range(3):
        add_run(store, decay(20, seed=s), seed=s)
    band, mean = figures(gather(store), Options(band="std")).loss.data[:2]
    assert "mean ± std" in band.name and mean.meta["part"] == "mean"


def test_user_strings_are_plotly_text_not_markup(store):
    add_run(store, decay(5), name=HOSTILE + " %{y}", sweep="<b>s</b>")
    figs = figures(gather(store))
    text = "\n".join(strings([fig.to_plotly_json() for _, fig in figs.items()]))
    assert "<img" not in text and "<b>s" not in text and " %{y}" not in text
    assert "&lt;b&gt;s&lt;/b&gt;" in text and "%{y:.6g}" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in figs.loss.data[0].name


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)


def test_one_exploding_run_does_not_flatten_the_others(store):
    add_run(store, decay(30))
    boom = add_run(store, [10.0, 1e5, 1e40, 1e90, float("inf")], model="tensor")
    figs = figures(gather(store))
    low, high = figs.loss.layout.yaxis.range
    cap = 10 * max(decay(30)[0], 10.0)  # ten times the highest first loss
    assert np.log10(cap) < high < np.log10(cap) + 0.2 and low < np.log10(min(decay(30)))
    (mark,) = [t for t in figs.loss.data if t.mode == "markers"]
    assert mark.meta["run"] == boom and list(mark.y) == [cap]  # drawn at the top edge
    assert "the last finite loss: 1e+90 at step 3" in mark.hovertemplate
    stops = f"The loss axis stops at {cap:.3g} so that the other lines stay readable: #{boom} went as high as 1e+90"
    assert any(n.startswith(stops) for n in figs.notes)
    add_run(store, decay(30, seed=2))
    assert figures(gather(store, Selection(run_ids=[1, 3]))).loss.layout.yaxis.range is None  # no blow-up, no cut


def test_losses_spanning_less_than_a_decade_get_a_linear_axis(store):
    add_run(store, [0.9, 0.7, 0.5, 0.3, 0.2])
    add_run(store, [0.8, 0.6, 0.4, 0.25, 0.15], model="tensor")
    figs = figures(gather(store))
    assert not figs.log_y and figs.loss.layout.yaxis.type == "linear" and figs.wall_clock.layout.yaxis.type == "linear"
    assert figs.final_loss.layout.xaxis.type == "linear"
    assert "The loss axis is linear (the losses span less than a decade)." in figs.notes
    forced = figures(gather(store), Options(log_y=True))
    assert forced.loss.layout.yaxis.type == "log" and forced.final_loss.layout.xaxis.type == "log"


def test_each_figure_chooses_its_axis_from_what_it_draws(store):
    add_run(store, [50.0, 5.0, 0.5, 0.2])  # the curves span over two decades
    add_run(store, [40.0, 4.0, 0.4, 0.3], model="tensor")  # the final losses, 0.2 and 0.3, under one
    figs = figures(gather(store))
    assert figs.log_y and figs.loss.layout.yaxis.type == "log" and figs.wall_clock.layout.yaxis.type == "log"
    assert figs.final_loss.layout.xaxis.type == "linear"
    assert not any("linear" in n for n in figs.notes)
    add_run(store, [3.0, 0.02], model="autograd")  # now the finals span a decade too
    assert figures(gather(store)).final_loss.layout.xaxis.type == "log"


def test_final_loss_rows_hold_a_groups_mean_whiskers_and_dots(store, mixed):
    from runner.report.final_loss import final_rows
    from runner.report.style import Palette

    data = gather(store)
    rows = final_rows(data, Palette.for_runs(data.runs))
    group, *singles = rows
    finals = [data.run(i).summary.final_loss for i in mixed[:3]]
    assert group.label == "numpy · gd · lr=0.001 (×3)" and group.value == data.groups[0].final_mean
    assert (group.low, group.high) == (min(finals), max(finals)) and [d.final for d in group.dots] == finals
    exploded = singles[2]
    assert exploded.value is None and exploded.note == "✕ diverged: final loss nan" and exploded.dots == ()
    bar = figures(data).final_loss.data[0]
    assert list(bar.error_x.array)[:2] == [max(finals) - group.value, 0]


def test_repeated_runs_are_one_line_each_and_the_page_says_why(store):
    ids = [add_run(store, decay(20), seed=0) for _ in range(3)]
    figs = figures(gather(store))
    lines = [t for t in figs.loss.data if t.mode == "lines"]
    assert [t.meta["run"] for t in lines] == ids and all(t.visible is True for t in lines)
    assert [t.name.split(" · ")[0] for t in lines] == [f"#{i}" for i in ids]
    who = ", ".join(f"#{i}" for i in ids)
    assert f"Runs {who} repeat the settings and seed of another run: drawn one line each, not as a seed group." in figs.notes


def test_dash_never_follows_an_option_that_varies_only_with_the_optimizer():
    from runner.report.style import style_keys

    # adam against rmsprop: their own options (alpha, betas) differ because the optimizers do
    assert style_keys(1, ("optimizer", "optimizer.alpha", "optimizer.betas")) == ("optimizer", None)
    assert style_keys(1, ("optimizer", "optimizer.alpha", "model.hidden")) == ("optimizer", "model.hidden")
    assert style_keys(1, ("lr", "optimizer")) == ("optimizer", "lr")
    assert style_keys(1, ("lr", "optimizer.alpha")) == ("lr", "optimizer")


@pytest.fixture
def sweep(store):
    """Three seed groups of two runs (one run of the last failed) and one run alone."""
    groups = [[add_run(store, decay(30, seed=s), seed=s, hidden=10 + g, status="failed" if (g, s) == (2, 1) else None)
               for s in range(2)] for g in range(3)]
    alone = add_run(store, decay(30), lr=1e-2)
    return groups, alone


def test_over_the_threshold_a_groups_runs_are_in_the_figure_but_undrawn_until_its_entry_is_clicked(store, sweep):
    groups, alone = sweep
    figs = figures(gather(store), Options(members_in_legend=5))  # 6 runs in groups
    for fig in (figs.loss, figs.wall_clock):
        for key, members in zip(("g1", "g2", "g3"), groups):
            band, mean = by_meta(fig, group=key)
            assert band.visible is None and mean.visible is None  # drawn
            assert mean.meta["members"] is True and mean.showlegend is None and "mean of 2 seeds" in mean.name
            runs = [t for t in fig.data if t.meta.get("member") == key]
            assert sorted({t.meta["run"] for t in runs}) == members  # every run is in the figure ...
            assert all(t.visible is False and t.showlegend is False and t.legendgroup == key for t in runs)  # ... undrawn
        assert len(by_meta(fig, run=groups[2][1], status="failed")) == 1  # its mark too, hidden with it
        (line,) = by_meta(fig, run=alone)
        assert line.visible is True and line.showlegend is None
    assert not figs.webgl and {t.type for t in figs.loss.data} == {"scatter"}
    assert ("3 seed groups (6 runs, 2 seeds each) are drawn as one line each: at every step, the mean of its runs' "
            "finite losses there, with a band from the lowest to the highest of its runs (min–max).") in figs.notes
    assert any(n.startswith("The legend lists each seed group once: click a group's entry") for n in figs.notes)


def test_at_the_threshold_a_groups_runs_have_their_own_legend_entries(store, sweep):
    groups, _ = sweep
    figs = figures(gather(store), Options(members_in_legend=6, band="std"))
    for key, members in zip(("g1", "g2", "g3"), groups):
        band, mean = by_meta(figs.loss, group=key)
        assert band.visible is None and mean.meta["members"] is False
        runs = [t for t in figs.loss.data if t.meta.get("run") in members and "status" not in t.meta]
        assert all(t.visible == "legendonly" and t.showlegend is None and "member" not in t.meta for t in runs)
        assert all(t.name.startswith("↳ seed ") for t in runs)
    assert any("with a band of one standard deviation either side of the mean (mean ± std)" in n for n in figs.notes)
    assert "Each group's runs are in the legend under it (↳ seed …), hidden until clicked." in figs.notes


def test_webgl_counts_the_points_drawn_at_once_not_the_runs_hidden_behind_their_group(store, sweep):
    data = gather(store)
    # 30 points per line: the alone run's line, three groups' mean and band (3 × 30 each); the six runs hidden
    assert not figures(data, Options(members_in_legend=0, webgl_threshold=300)).webgl
    assert figures(data, Options(members_in_legend=0, webgl_threshold=299)).webgl
