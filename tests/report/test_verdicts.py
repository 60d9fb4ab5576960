"""Which variant wins, and how sure: comparisons and best lines on runs with known final values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from runner.config import RunConfig
from runner.report import Selection, gather
from runner.report.verdicts import Basis, Side, compare, num, verdicts
from tests.report.conftest import add_run

NOISE = [0.31, -0.12, 0.05, -0.27, 0.18]  # per seed, shared by both sides: what pairing cancels


def add_group(store, finals, seeds=None, **settings) -> list[int]:
    """One run per seed whose final loss is as given (after a first step at 10)."""
    seeds = range(len(finals)) if seeds is None else seeds
    return [add_run(store, [10.0, float(final)], seed=seed, **settings) for seed, final in zip(seeds, finals)]


def only(v, setting):
    (found,) = [c for c in v.comparisons if c.setting == setting]
    return found


def test_identical_groups_have_an_interval_around_zero_and_no_clear_difference(store):
    finals = [1.0 + n for n in NOISE]
    add_group(store, finals, optimizer="sgd")
    add_group(store, finals, optimizer="adam")
    c = only(verdicts(gather(store)), "optimizer")
    assert c.paired and c.seeds == 5 and c.interval.low <= 0 <= c.interval.high and not c.clear
    assert c.verdict.startswith("no clear difference with 5 seeds (")
    assert c.first.name == "sgd"  # equal means: the earlier first


def test_groups_from_the_same_distribution_show_no_clear_difference(store):
    rng = np.random.default_rng(5)
    add_group(store, 1.0 + 0.2 * rng.standard_normal(6), optimizer="sgd")
    add_group(store, 1.0 + 0.2 * rng.standard_normal(6), optimizer="adam")
    c = only(verdicts(gather(store)), "optimizer")
    assert c.interval.method == "bootstrap-t" and c.interval.low < 0 < c.interval.high
    assert c.verdict.startswith("no clear difference with 6 seeds")


def test_a_clear_shift_names_the_better_side_first_in_n_of_n_seeds(store):
    add_group(store, [2.0 + n for n in NOISE], optimizer="sgd")
    add_group(store, [1.0 + n + 0.01 * i for i, n in enumerate(NOISE)], optimizer="adam")  # lower loss: better
    c = only(verdicts(gather(store)), "optimizer")
    assert (c.first.name, c.second.name, c.wins, c.seeds) == ("adam", "sgd", 5, 5)
    assert c.clear and c.interval.high < 0 and c.interval.method == "bootstrap-t"
    assert c.interval.estimate == pytest.approx(-0.98)
    assert c.verdict.startswith("adam lower than sgd in 5 of 5 seeds; mean difference −0.98, 95% interval −")


def test_higher_is_better_for_an_accuracy(store):
    for seed, noise in enumerate(NOISE[:3]):
        add_run(store, [2.0, 1.0], seed=seed, optimizer="sgd", metrics={"accuracy": [0.5, 0.70 + noise / 10]})
        add_run(store, [2.0, 1.5], seed=seed, optimizer="adam", metrics={"accuracy": [0.5, 0.90 + noise / 10]})
    data = gather(store, best="accuracy")
    c = only(verdicts(data), "optimizer")  # on --best's metric
    assert c.basis == Basis("accuracy") and c.direction == "max" and c.interval.method == "t"
    assert c.verdict.startswith("adam higher than sgd in 3 of 3 seeds; mean difference 0.2, 95% interval 0.2 to 0.2")
    on_loss = only(verdicts(data, Basis("loss")), "optimizer")
    assert on_loss.verdict.startswith("sgd lower than adam in 3 of 3 seeds")


def test_the_best_value_instead_of_the_final_one(store):
    for seed in range(3):
        add_run(store, [5.0, 1.0 + seed / 10, 4.0], seed=seed, optimizer="sgd")  # best 1.x, final 4
        add_run(store, [5.0, 2.0 + seed / 10, 3.0], seed=seed, optimizer="adam")  # best 2.x, final 3
    data = gather(store)
    assert only(verdicts(data), "optimizer").first.name == "adam"
    best = only(verdicts(data, Basis("loss", "best")), "optimizer")
    assert best.first.name == "sgd" and best.interval.estimate == pytest.approx(-1.0) and best.clear


def test_seeds_not_shared_use_welch_and_say_so(store):
    add_group(store, [2.0, 2.2, 1.9, 2.1], seeds=[0, 1, 2, 3], optimizer="sgd")
    add_group(store, [1.0, 1.1, 0.9], seeds=[10, 11, 12], optimizer="adam")
    c = only(verdicts(gather(store)), "optimizer")
    assert not c.paired and c.interval.method == "Welch" and c.wins is None and c.clear
    assert c.verdict.startswith("adam lower than sgd; seeds not shared (3 and 4 runs): mean difference −1.05, 95% Welch")
    add_group(store, [1.0, 3.0], seeds=[20, 21], optimizer="rmsprop")
    c = [c for c in verdicts(gather(store)).comparisons if "rmsprop" in (c.first.name, c.second.name)][0]
    assert c.verdict.startswith("no clear difference with 2 and 4 runs, seeds not shared (")


def test_one_seed_gives_no_interval(store):
    add_run(store, [3.0, 1.0], optimizer="sgd")
    add_run(store, [3.0, 2.0], optimizer="adam")
    add_group(store, [1.5, 1.6, 1.4], lr=0.1, optimizer="sgd")
    v = verdicts(gather(store))
    for c in v.comparisons:
        assert c.interval is None and not c.clear and c.verdict.startswith("one seed: no interval (")
    assert only(v, "optimizer").verdict == "one seed: no interval (sgd: 1; adam: 2)"
    assert only(v, "lr").verdict == "one seed: no interval (lr=0.001: 1; lr=0.1: 1.5 (mean of 3))"
    # one seed has no interval, so nothing can be told apart from the lowest: a tie, not a best
    assert v.best[0].text.startswith("Tied for best (3 configurations the data cannot tell apart): #1 · numpy · sgd · "
                                     "lr=0.001, final loss 1 (one seed: no interval); numpy · sgd · lr=0.1, 1.5 over 3 seeds")
    assert not v.best[0].clear and [s.entry for s in v.best[0].tied] == ["#1", "g1", "#2"]


def test_only_pairs_that_differ_in_one_setting_are_compared(store):
    for optimizer in ("sgd", "adam"):
        for lr in (0.01, 0.1):
            add_group(store, [1.0, 1.1, 1.2], optimizer=optimizer, lr=lr)
    add_group(store, [1.0, 1.1, 1.2], optimizer="adam", lr=0.1, hidden=50)  # a --set value
    v = verdicts(gather(store))
    pairs = sorted((c.setting, c.context, c.first.name, c.second.name) for c in v.comparisons)
    assert pairs == [
        ("lr", "adam · hidden=100", "lr=0.01", "lr=0.1"), ("lr", "sgd · hidden=100", "lr=0.01", "lr=0.1"),
        ("model.hidden", "adam · lr=0.1", "hidden=100", "hidden=50"),
        ("optimizer", "lr=0.01 · hidden=100", "sgd", "adam"), ("optimizer", "lr=0.1 · hidden=100", "sgd", "adam"),
    ]
    # The page lists them by setting (plugins first, then lr, then the rest), pairs with the same context together.
    assert [(c.setting, c.context) for c in v.comparisons] == [
        ("optimizer", "lr=0.01 · hidden=100"), ("optimizer", "lr=0.1 · hidden=100"), ("lr", "sgd · hidden=100"),
        ("lr", "adam · hidden=100"), ("model.hidden", "adam · lr=0.1")]


def add_configured(store, optimizer, options, seed, final):
    config = RunConfig(model="numpy", optimizer=optimizer, dataset="random", lr=0.01, steps=2, seed=seed,
                       model_params={"hidden": 10}, optimizer_options=options, dataset_params={"batch": 8})
    run_id = store.create_run(config, "cpu")
    store.append_steps(run_id, [(0, 5.0, 0.1), (1, final, 0.2)])
    store.finish_run(run_id, "completed", final, final)


def test_a_plugins_options_follow_its_name(store):
    """adam and sgd have different options because they are different optimizers: still one setting."""
    for seed in range(3):
        add_configured(store, "sgd", {"momentum": 0.9}, seed, 2.0 + seed)
        add_configured(store, "adam", {"betas": [0.9, 0.999]}, seed, 1.0 + seed)
        add_configured(store, "sgd", {"momentum": 0.5}, seed, 2.5 + seed)
    v = verdicts(gather(store))
    assert sorted((c.setting, c.first.name, c.second.name) for c in v.comparisons) == [
        ("optimizer", "adam", "sgd"), ("optimizer", "adam", "sgd"), ("optimizer.momentum", "momentum=0.9", "momentum=0.5")]
    assert all(c.clear for c in v.comparisons)


def test_runs_that_did_not_complete_are_left_out_and_counted(store):
    add_group(store, [2.0, 2.1, 2.2], optimizer="sgd")
    add_group(store, [1.0, 1.1], optimizer="adam")
    add_run(store, [10.0, float("nan")], seed=2, optimizer="adam")
    add_group(store, [1.0, float("inf")], seeds=[0, 1], optimizer="rmsprop")
    add_group(store, [float("nan")] * 2, optimizer="adamw")
    v = verdicts(gather(store))
    c = [c for c in v.comparisons if {c.first.name, c.second.name} == {"adam", "sgd"}][0]
    assert c.seeds == 2 and c.first.left_out == {"diverged": 1} and c.verdict.endswith("; left out: adam: 1 diverged")
    c = [c for c in v.comparisons if {c.first.name, c.second.name} == {"adamw", "sgd"}][0]
    assert c.first.name == "sgd" and c.verdict == "nothing to compare: no completed run with a finite final loss in adamw (2 diverged)"


def test_paired_on_shared_seeds_judges_the_better_on_those_seeds(store):
    add_group(store, [1.0, 1.1, 1.2, 0.0, 0.0], seeds=[0, 1, 2, 7, 8], optimizer="sgd")  # better overall, thanks to 7, 8
    add_group(store, [0.5, 0.6, 0.7], seeds=[0, 1, 2], optimizer="adam")  # better on the seeds both ran
    c = only(verdicts(gather(store)), "optimizer")
    assert c.paired and c.seeds == 3 and c.first.name == "adam" and c.wins == 3 and c.interval.estimate == pytest.approx(-0.5)


def test_the_best_line_per_sweep_with_its_interval_and_lead(store):
    add_group(store, [1.0 + n for n in NOISE], optimizer="adam", sweep="a")
    add_group(store, [2.0 + n for n in NOISE], optimizer="sgd", sweep="a")
    add_group(store, [3.0, 3.1, 2.9], optimizer="sgd", lr=0.1, sweep="b")
    best = verdicts(gather(store)).best
    assert [(b.sweep, b.label) for b in best] == [("a", "numpy · adam · lr=0.001"), ("b", "numpy · sgd · lr=0.1")]
    a = best[0]
    assert a.interval.low < 1.03 < a.interval.high and a.runner_up.clear and a.runner_up.wins == 5
    assert a.text.startswith("Best configuration in sweep a: numpy · adam · lr=0.001, final loss 1.03 over 5 seeds, "
                             "95% interval ")
    assert ". Next best: numpy · sgd · lr=0.001, 2.03; best lower than next in 5 of 5 seeds; mean difference −1" in a.text
    assert best[1].runner_up is None and "over 3 seeds" in best[1].text
    one = verdicts(gather(store, Selection(sweep="a"))).best
    assert len(one) == 1 and one[0].text.startswith("Best configuration: numpy · adam")


def test_the_same_runs_give_the_same_verdicts_and_json(store):
    rng = np.random.default_rng(1)
    add_group(store, 1.0 + rng.standard_normal(7), optimizer="sgd")
    add_group(store, 1.3 + rng.standard_normal(7), optimizer="adam")
    add_run(store, [1.0, float("nan")], optimizer="adam", seed=9)
    first, again = verdicts(gather(store)), verdicts(gather(store))
    assert first == again and first.to_json() == again.to_json()
    exported = json.loads(first.to_json())
    (c,) = exported["comparisons"]
    assert exported["metric"] == "loss" and exported["direction"] == "min" and c["method"] == "bootstrap-t"
    assert c["low"] <= c["difference"] <= c["high"] and c["seeds"] == 7 and c["verdict"] == first.comparisons[0].verdict
    assert exported["best"][0]["seeds"] == 7 and all(math.isfinite(v) for v in c["first"]["values"].values())


def test_numbers_read_plainly():
    assert [num(v) for v in (4.15e-5, 0.015, -12.345, 123456.7, 9.996, -0.98, 0.0, 2.5e7, -3e-9)] == [
        "0.0000415", "0.015", "−12.3", "123457", "10", "−0.98", "0", "2.5e+07", "−3e−09"]


def test_compare_two_sides_directly():
    a = Side("x", "g1", {0: 1.0, 1: 2.0}, {})
    b = Side("y", "g2", {0: 1.0, 1: 2.0}, {})
    c = compare(a, b, Basis(), "min")
    assert c.interval.estimate == c.interval.low == c.interval.high == 0 and not c.clear
    assert c.verdict == "no clear difference with 2 seeds (x lower in 0 of 2; mean difference 0, 95% interval 0 to 0)"
    with pytest.raises(ValueError):
        Basis("loss", "last")  # type: ignore[arg-type]
