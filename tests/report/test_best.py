"""The best configuration: one ranking rule for the star and the best line, ties said as ties, diverged seeds
counted against, the seeds that would settle a tie, bounded metrics, tracked values, labels and per-seed values."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from runner.report import Options, Selection, figures, gather, to_html
from runner.report.comparisons import comparisons_section
from runner.report.metric_data import NotAGoal
from runner.report.ranking import RULE
from runner.report.verdicts import Basis, verdicts
from tests.report.conftest import add_run

NAN = float("nan")
NOISE = [0.31, -0.12, 0.05, -0.27, 0.18]


def add_group(store, finals, seeds=None, metric=None, **settings) -> list[int]:
    """One run per seed whose final loss (or ``metric``'s final value) is as given; NaN: the run diverged."""
    seeds = range(len(finals)) if seeds is None else seeds
    ids = []
    for seed, final in zip(seeds, finals):
        if metric is None:
            ids.append(add_run(store, [10.0, float(final)], seed=seed, **settings))
        else:
            ids.append(add_run(store, [10.0, 1.0], seed=seed, metrics={metric: [0.1, float(final)]}, **settings))
    return ids


def best_line_html(page: str) -> str:
    return re.search(r'<p class="best-line[^"]*">.*?</p>', page).group(0)


def test_a_clear_best_is_starred_and_bold(store):
    add_group(store, [1.0 + n for n in NOISE], optimizer="adam")
    add_group(store, [2.0 + n for n in NOISE], optimizer="sgd")
    data = gather(store, best="loss")
    assert data.best.clear and data.best.group == "g1" and data.best.marks(data.groups[0])
    page = to_html(data, plotlyjs="cdn")
    line = best_line_html(page)
    assert line.startswith('<p class="best-line"><b>Best configuration:</b> numpy · adam · lr=0.001, final loss 1.03 over')
    assert "no clear difference" not in line and "best lower than next in 5 of 5 seeds" in line
    summary = page.split('id="table-summary"', 1)[1].split("</table>", 1)[0]
    assert summary.count("★") == 1 and '<tr class="group best">' in summary
    assert RULE.replace("'", "&#x27;") in page  # the rule is written on the page, once in code


def test_overlapping_intervals_are_a_tie_with_no_star(store):
    a, b = [1.0, 1.2, 0.9], [1.1, 1.0, 1.05]
    add_group(store, a, optimizer="adam")
    add_group(store, b, optimizer="sgd")
    data = gather(store, best="loss")
    assert not data.best.clear and data.best.tied == ("numpy · adam · lr=0.001", "numpy · sgd · lr=0.001")
    page = to_html(data, plotlyjs="cdn")
    assert "★" not in page and 'best">' not in page  # no star beside "no clear difference", nowhere bold
    line = best_line_html(page)
    assert line.startswith('<p class="best-line tied">Tied for best (2 configurations the data cannot tell apart): '
                           "numpy · adam · lr=0.001, final loss 1.03 over 3 seeds, 95% interval ")
    assert "<b>" not in line and ". The first two: no clear difference with 3 seeds (first lower in 2 of 3; " in line
    # the seeds that would settle it: n = ((1.96 + 0.84) × sd / difference)² over the paired differences
    diffs = np.subtract(a, b)
    n = math.ceil(((1.959964 + 0.841621) * diffs.std(ddof=1) / abs(diffs.mean())) ** 2)
    assert f"about {n:,} seeds would likely settle it" in line and n == 1013
    (best,) = json.loads(verdicts(data).to_json())["best"]
    assert best["clear"] is False and [t["entry"] for t in best["tied"]] == ["g1", "g2"]
    assert best["runner_up"]["seeds_to_settle"] == n and best["rule"] == RULE


def test_diverged_seeds_count_against_a_configuration(store):
    add_group(store, [0.10, 0.11, 0.12, NAN, NAN, NAN], optimizer="adam")  # lower, but 3 of its 6 seeds diverged
    add_group(store, [1.0 + n for n in NOISE] + [1.0], optimizer="sgd")
    data = gather(store, best="loss")
    assert data.best.clear and data.best.group == "g2"  # the one that never diverged
    line = verdicts(data).best[0].text
    assert line.startswith("Best configuration: numpy · sgd · lr=0.001, final loss 1.03 over 6 seeds")
    assert line.endswith("Next best: numpy · adam · lr=0.001, 0.11, ranked after for its 3 of 6 seeds diverged.")
    # alone, it is best, and the line says what it lost
    alone = gather(store, Selection(run_ids=range(1, 7)), best="loss")
    (line,) = verdicts(alone).best
    assert line.text.startswith("Best configuration: numpy · adam · lr=0.001, final loss 0.11 over 3 seeds, 95% interval ")
    assert line.text.endswith("; 3 of 6 seeds diverged.") and line.as_dict()["diverged_or_failed"] == 3
    assert "Its 3 of 6 seeds diverged (counted against it)." in alone.best.describe()


def test_a_failed_seed_counts_and_a_running_one_does_not(store):
    add_group(store, [1.0, 1.1], optimizer="adam")
    add_run(store, [10.0, 5.0], seed=2, optimizer="adam", status="failed", error="RuntimeError: boom")
    add_group(store, [1.5, 1.6], optimizer="sgd")
    add_run(store, [10.0, 5.0], seed=2, optimizer="sgd", status="running")
    (line,) = verdicts(gather(store)).best
    assert line.label == "numpy · sgd · lr=0.001" and "ranked after for its 1 of 3 seeds failed" in line.text


def test_group_labels_show_only_the_settings_that_vary(store):
    adam = {"amsgrad": False, "betas": [0.9, 0.999], "eps": 1e-8}
    for seed in range(2):
        add_run(store, [10.0, 1.0 + seed], seed=seed, optimizer="adam", optimizer_options=adam)
        add_run(store, [10.0, 2.0 + seed], seed=seed, optimizer="sgd", optimizer_options={"momentum": 0.9})
        add_run(store, [10.0, 3.0 + seed], seed=seed, optimizer="sgd", optimizer_options={"momentum": 0.0})
    data = gather(store)
    assert [g.label for g in data.groups] == [
        "numpy · adam · lr=0.001", "numpy · sgd · lr=0.001 · momentum=0.9", "numpy · sgd · lr=0.001 · momentum=0"]
    page = to_html(data, plotlyjs="cdn")
    assert "amsgrad=False" not in page.split('id="config"', 1)[0]  # not in any label; the config table lists it
    # a setting only some groups have stays in the labels when without it two would read the same
    for seed in range(2):
        add_run(store, [10.0, 4.0 + seed], seed=seed, optimizer="adam", optimizer_options={**adam, "foreach": True})
    labels = [g.label for g in gather(store).groups]
    assert len(set(labels)) == 4 and any("foreach=True" in label for label in labels)


def test_a_bounded_metric_has_a_linear_axis_and_clipped_intervals(store):
    add_group(store, [0.99, 0.95, 1.0], metric="val_accuracy", optimizer="adam")
    add_group(store, [0.50, 0.52, 0.48], metric="val_accuracy", optimizer="sgd")
    data = gather(store, best="val_accuracy")
    assert data.bounds == {"val_accuracy": (0.0, 1.0)} and data.best.clear
    (line,) = verdicts(data).best
    assert line.interval.high == 1.0 and "95% interval 0.914 to 1 (clipped to the bound 1)" in line.text
    assert line.as_dict()["clipped_to"] == [0.0, 1.0]
    figs = figures(data, Options(band="std"))
    fig = figs.metrics["val_accuracy"]
    assert fig.layout.yaxis.type == "linear"
    bands = [t for t in fig.data if (t.meta or {}).get("part") == "band"]
    assert bands and max(max(y for y in t.y if y is not None) for t in bands) <= 1.0
    notes = " ".join(figs.metric_notes["val_accuracy"])
    assert "val_accuracy is a fraction from 0 to 1" in notes and "clipped to 0–1" in notes
    # a metric named like one that went past 1 (a percentage) is not bounded
    add_run(store, [10.0, 1.0], lr=0.1, metrics={"val_accuracy": [50.0, 97.0]})
    assert gather(store, metrics=["val_accuracy"]).bounds == {}


def test_a_tracked_value_has_no_best(store, cli, tmp_path):
    for seed in range(2):
        add_run(store, [10.0, 1.0 + seed], seed=seed, metrics={"lr": [1e-3, 1e-3]})
    data = gather(store, metrics=["lr"])
    heads = re.findall(r"<th scope[^>]*>(.*?)</th>", to_html(data, plotlyjs="cdn").split('id="table-summary"', 1)[1])
    assert "lr final" in heads and not any(h.startswith("lr best") for h in heads)
    with pytest.raises(NotAGoal, match="--best lr: lr is a value runner tracks, not a goal"):
        gather(store, best="lr")
    out = tmp_path / "r.html"
    result = cli("report", "--best", "lr", "-o", str(out), code=2)
    assert "lr is a value runner tracks, not a goal" in result.output and not out.exists()


def test_per_seed_values_are_on_the_page(store):
    add_group(store, [1.0, 1.5, NAN], optimizer="adam")
    add_group(store, [2.0, 2.5, 2.25], optimizer="sgd")
    page = to_html(gather(store), plotlyjs="cdn")
    summary = page.split('id="table-summary"', 1)[1].split("</table>", 1)[0]
    assert "<li>seed 0 (#1): loss 1</li><li>seed 1 (#2): loss 1.5</li><li>seed 2 (#3) ✕ diverged: loss nan</li>" in summary
    comparisons = page.split('id="table-comparisons"', 1)[1].split("</table>", 1)[0]
    assert "<li>seed 0: A 1, B 2, A − B −1</li><li>seed 1: A 1.5, B 2.5, A − B −1</li><li>seed 2: A —, B 2.25</li>" in comparisons
    assert "<li>left out: adam: 1 diverged</li>" in comparisons


def test_a_best_line_on_another_basis_than_the_star_says_so(store):
    add_group(store, [1.0 + n for n in NOISE], optimizer="adam")
    add_group(store, [2.0 + n for n in NOISE], optimizer="sgd")
    data = gather(store, best="loss")
    same = comparisons_section(data, Basis("loss", "final"))
    other = comparisons_section(data, Basis("loss", "best"))
    note = "The ★ (or the tie) of --best ranks each run&#x27;s final loss; these lines rank its best loss"
    assert note not in same and note in other


def test_the_rule_on_plain_sides():
    from runner.report.ranking import Side, rank, seeds_to_settle

    clean = Side("clean", "g1", {0: 1.0, 1: 1.1, 2: 0.9, 3: 1.05, 4: 0.95}, {})
    lower_but_diverged = Side("wild", "g2", {0: 0.1, 1: 0.2}, {"diverged": 1, "running": 2})
    worse = Side("worse", "g3", {0: 2.0, 1: 2.1, 2: 1.9, 3: 2.05, 4: 1.95}, {})
    r = rank([lower_but_diverged, worse, clean], "min")
    assert [s.name for s in r.order] == ["clean", "worse", "wild"] and r.clear and r.top is clean
    assert lower_but_diverged.bad_text() == "1 of 5 seeds diverged"  # running seeds count as seeds, not against it
    # by mean the top, but worse on every seed both ran: not a clear best, a tie
    unlucky = Side("unlucky", "g4", {0: 1.2, 1: 1.3, 9: -5.0}, {})
    r = rank([clean, unlucky], "min")
    assert r.top is unlucky and not r.clear and {s.name for s in r.tied} == {"clean", "unlucky"}
    # Welch (no shared seeds): per side, twice the paired n
    a, b = Side("a", "g1", {0: 1.0, 1: 1.2}, {}), Side("b", "g2", {5: 1.1, 6: 1.3}, {})
    (lead,) = rank([a, b], "min").leads
    n = math.ceil(2 * ((1.959964 + 0.841621) * math.sqrt(0.02) / 0.1) ** 2)
    assert not lead.paired and seeds_to_settle(lead) == n == 32
    assert rank([Side("none", "g1", {}, {"failed": 2})], "min") is None
