"""A report of long runs reads about what it draws: each run's ends and extremes exactly, its summary exact,
the page says what was read in part and how, and the page's size follows what is drawn, not what is stored."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from runner.report import Budget, Options, figures, gather, to_html
from runner.report.html import PLOT_CONFIG
from tests.report.conftest import add_run, decay, evaluations


def spiky(n, seed):
    """A falling loss with a spike and a dip that a stride would miss."""
    rng = np.random.default_rng(seed)
    loss = 10 * 0.999 ** np.arange(n) * (1 + 0.05 * rng.standard_normal(n)) + 0.1
    loss[n // 3 + seed] = 500.0 + seed  # the highest, off any stride
    loss[2 * n // 3 + 1] = 0.01 + 0.001 * seed  # the lowest
    return loss.tolist()


@pytest.fixture
def long_runs(store):
    ids = [add_run(store, spiky(3001, s), seed=s) for s in range(3)]  # a seed group
    ids.append(add_run(store, decay(3001, rate=0.999)[:2500] + [float("nan")], lr=1.0, steps=3001))  # diverged
    ids.append(add_run(store, decay(150), model="tensor"))  # short
    return ids


def test_long_runs_keep_their_ends_extremes_and_exact_summaries(store, long_runs):
    whole = gather(store)
    part = gather(store, budget=Budget(line=100, figure=1000))
    assert part.sampling.sampled == tuple(long_runs[:3])  # the diverged and the short run are read whole
    assert part.sampling.every == 31  # ceil(3001 steps / 100 points)
    assert whole.sampling.sampled == ()
    for full, read in zip(whole.runs, part.runs):
        assert repr(read.summary) == repr(full.summary) and read.divergence_step == full.divergence_step  # NaN too
        assert read.training_time == full.training_time
        s, r = full.series, read.series
        if read.id not in part.sampling.sampled:
            assert r == s
            continue
        assert len(r) < len(s) / 20
        for at in (np.argmin(s.loss), np.argmax(s.loss), 0, len(s) - 1):  # the lowest, the highest, first, last
            kept = np.flatnonzero(r.step == s.step[at])
            assert len(kept) == 1 and r.loss[kept[0]] == s.loss[at] and r.elapsed[kept[0]] == s.elapsed[at]
        assert set(r.step) == set(s.step[s.step % 31 == 0]) | {s.step[np.argmin(s.loss)], s.step[np.argmax(s.loss)], 3000}
    assert part.groups[0].final_mean == whole.groups[0].final_mean


def test_the_page_states_what_was_read_in_part_and_how(store, long_runs):
    data = gather(store, budget=Budget(line=100, figure=1000))
    figs = figures(data, Options(max_points=100, figure_points=1000))
    assert figs.max_points == 100  # 5 lines and a group share 1,000 points: 125 each, at most 100
    page = html.unescape(to_html(data, figs))
    assert ("Read in part: 3 runs with more than 200 steps (9,003 stored) were read from the database at the steps "
            "that are multiples of 31, "
            "plus each one's first, last, lowest and highest loss") in page
    assert "the summaries (final and best loss, its step, the count of steps, the training time) are exact" in page
    assert "Display only: " in page and "`runner export` writes them all" in page
    assert "Read in part" not in to_html(gather(store))


def drawn_points(fig) -> int:
    return sum(len(t.x) for t in fig.data if t.x is not None)


def figure_bytes(page: str) -> int:
    start = page.index("var FIGURES = ")
    return page.index(f"var PLOT_CONFIG = {json.dumps(PLOT_CONFIG)}") - start


def test_a_big_report_stays_within_a_size_bound_set_by_what_is_drawn(store):
    rng = np.random.default_rng(0)
    steps = np.arange(2000)
    for i in range(200):
        losses = 10 * np.exp(-3 * steps / 2000) * (1 + 0.1 * rng.standard_normal(2000)) + 0.01
        add_run(store, losses.tolist(), seed=i % 5, hidden=100 + i // 5)  # 40 seed groups of 5
    options = Options(figure_points=40_000)
    data = gather(store, budget=options.budget)
    assert len(data.sampling.sampled) == 200 and len(data.groups) == 40
    figs = figures(data, options)
    assert figs.max_points == 125  # 40,000 points shared by 200 lines and 40 groups (3 each)
    page = to_html(data, figs)
    points = sum(drawn_points(fig) for _, fig in figs.items())
    loss_points = drawn_points(figs.loss)
    assert loss_points <= 1.2 * options.figure_points  # the budget, give or take each line's ends and extremes
    # Steps as 2-byte and losses as 4-byte typed arrays, base64: about 8 bytes a point, plus each trace's settings.
    traces = sum(len(fig.data) for _, fig in figs.items())
    assert figure_bytes(page) < 9 * points + 1500 * traces
    assert re.search(r'"bdata":"', page) and '"dtype":"u2"' in page


def test_a_group_read_in_part_is_averaged_over_the_steps_its_runs_share(store, long_runs):
    whole, part = gather(store).groups[0], gather(store, budget=Budget(line=100, figure=1000)).groups[0]
    band = part.band
    # each run's own highest row (off the stride of 31) would be a step with one run: left out; the lowest, at
    # step 2001 in all three, stays
    assert set(band.step) == set(range(0, 3001, 31)) | {2001, 3000} and (band.count == 3).all()
    at = np.searchsorted(whole.band.step, band.step)
    assert np.allclose(band.mean, whole.band.mean[at]) and np.array_equal(band.high, whole.band.high[at])


def test_a_metric_is_read_in_part_like_the_loss_with_exact_summaries(store):
    ids = [add_run(store, decay(300, seed=s), seed=s,
                   metrics={"grad_norm": spiky(3001, s), "val_loss": evaluations(decay(300, rate=0.99, seed=s), 10)})
           for s in range(3)]
    ids.append(add_run(store, decay(300), lr=1.0, metrics={"grad_norm": spiky(3001, 5)[:2000] + [float("nan")]}))
    whole = gather(store, metrics=["grad_norm", "val_loss"])
    part = gather(store, metrics=["grad_norm", "val_loss"], budget=Budget(line=100, figure=1000))
    norm, val = part.metric_sampling["grad_norm"], part.metric_sampling["val_loss"]
    assert norm.sampled == tuple(ids[:3]) and norm.every == 31  # the one with a NaN is read whole
    assert val.sampled == tuple(ids[:3]) and val.every == 30  # 300 values over steps 9..2999: one in every 30 steps
    for full, read in zip(whole.runs, part.runs):
        for name, metric in full.metrics.items():
            assert repr(read.metrics[name].summary) == repr(metric.summary)  # count, first, final, best and its step
        if read.id in norm.sampled:
            assert len(read.metrics["grad_norm"].series) < 3001 / 20 and len(read.metrics["val_loss"].series) < 120
    group = part.groups[0].metrics["grad_norm"]
    assert (group.band.count == 3).all() and group.final == whole.groups[0].metrics["grad_norm"].final
    page = html.unescape(to_html(part))
    assert ("Read in part: the grad_norm of 3 runs with more than 200 values (9,003 stored) were read from the database "
            "at one value in every 31 steps, plus each one's first, last, lowest and highest") in page
