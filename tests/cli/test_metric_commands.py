"""Metrics in ls, show and export, and the one-line error for a metric no selected run has."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from sqlalchemy import update

from runner.cli.export import with_metrics
from runner.config import RunConfig
from runner.store.models import runs

NAN = float("nan")
ACCURACY = [0.2, 0.5, NAN, 0.9, 0.7, 0.8]  # run 1, at every step; higher is better by its name


@pytest.fixture
def metric_runs(store):
    """Run 1: accuracy at every step, val_loss and val_accuracy every 3 steps. Run 2: accuracy, declared
    "min" by its model. Run 3: no metrics. Written as the engine writes them, through append_steps."""
    config = RunConfig(model="numpy", optimizer="gd", dataset="random", lr=0.1, steps=6, seed=0)
    one, two, three = (store.create_run(config, device="cpu") for _ in range(3))
    store.append_steps(one, [(s, 1.0 / (s + 1), 0.1 * s) for s in range(3)],
                       metrics=[*(("accuracy", s, ACCURACY[s]) for s in range(3)), ("val_loss", 2, 0.6),
                                ("val_accuracy", 2, 0.7)])
    store.append_steps(one, [(s, 1.0 / (s + 1), 0.1 * s) for s in range(3, 6)],
                       metrics=[("accuracy", s, ACCURACY[s]) for s in range(3, 6)])
    store.append_steps(one, [], metrics=[("val_loss", 5, 0.4), ("val_accuracy", 5, 0.75)])  # an evaluation, flushed late
    store.append_steps(two, [(s, 2.0, 0.1 * s) for s in range(4)],
                       metrics=[("accuracy", s, v) for s, v in enumerate((0.3, 0.6, 0.4, 0.5))])
    with store._transaction() as conn:
        conn.execute(update(runs).where(runs.c.id == two).values(config={"metric_directions": {"accuracy": "min"}}))
    store.append_steps(three, [(0, 3.0, 0.1)])
    for run_id in (one, two, three):
        store.finish_run(run_id, "completed", final_loss=None, best_loss=None)
    return one, two, three


def test_ls_adds_final_and_best_of_a_metric(cli, metric_runs):
    lines = cli("ls", "--metric", "val_accuracy").output.splitlines()
    assert "FINAL LOSS  FINAL VAL_ACCURACY  BEST VAL_ACCURACY (max)  STARTED" in lines[0], lines[0]
    by_id = {line.split()[0]: line.split() for line in lines[1:]}
    assert by_id["1"][-4:-2] == ["0.75", "0.75"]
    assert by_id["2"][-4:-2] == ["-", "-"] and by_id["3"][-4:-2] == ["-", "-"]
    # Run 2's model declares accuracy "min": the runs disagree, so the header names no direction.
    header = cli("ls", "--metric", "accuracy").output.splitlines()[0]
    assert "FINAL ACCURACY  BEST ACCURACY  STARTED" in header, header


def test_ls_json_carries_each_runs_summary_of_the_metrics(cli, metric_runs):
    listed = {r["id"]: r for r in json.loads(cli("ls", "--metric", "accuracy,val_loss", "--json").output)}
    accuracy = listed[1]["metrics"]["accuracy"]
    assert (accuracy["final"], accuracy["best"], accuracy["best_step"], accuracy["direction"]) == (0.8, 0.9, 3, "max")
    assert accuracy["first"] == 0.2 and accuracy["count"] == 6
    assert listed[1]["metrics"]["val_loss"] == {
        "name": "val_loss", "count": 2, "first": 0.6, "final": 0.4, "best": 0.4, "best_step": 5, "direction": "min"
    }
    declared_min = listed[2]["metrics"]["accuracy"]
    assert (declared_min["best"], declared_min["best_step"], declared_min["direction"]) == (0.3, 0, "min")
    assert listed[3]["metrics"]["accuracy"]["count"] == 0 and listed[3]["metrics"]["accuracy"]["final"] is None
    assert "metrics" not in json.loads(cli("ls", "--json").output)[0]  # unchanged without --metric


def test_show_lists_every_metric(cli, metric_runs):
    output = cli("show", "1").output
    table = output[output.index("\nmetrics\n"):].splitlines()[2:]
    assert table[0].split() == ["NAME", "VALUES", "FIRST", "FINAL", "BEST", "BEST", "STEP", "BETTER"]
    assert table[1].split() == ["accuracy", "6", "0.2", "0.8", "0.9", "3", "higher"]
    assert table[2].split() == ["val_accuracy", "2", "0.7", "0.75", "0.75", "5", "higher"]
    assert table[3].split() == ["val_loss", "2", "0.6", "0.4", "0.4", "5", "lower"]
    data = json.loads(cli("show", "2", "--json").output)
    assert data["metrics"] == {"accuracy": {"name": "accuracy", "count": 4, "first": 0.3, "final": 0.5, "best": 0.3,
                                            "best_step": 0, "direction": "min"}}
    assert "\nmetrics\n" not in cli("show", "3").output and json.loads(cli("show", "3", "--json").output)["metrics"] == {}


def test_export_adds_a_column_per_metric_empty_where_not_recorded(cli, metric_runs):
    rows = list(csv.DictReader(io.StringIO(cli("export", "1", "--metric", "val_loss,accuracy").output)))
    assert list(rows[0]) == ["run_id", "step", "loss", "elapsed", "val_loss", "accuracy"]
    assert [(r["step"], r["val_loss"], r["accuracy"]) for r in rows] == [
        ("0", "", "0.2"), ("1", "", "0.5"), ("2", "0.6", "nan"), ("3", "", "0.9"), ("4", "", "0.7"), ("5", "0.4", "0.8")
    ]
    everything = json.loads(cli("export", "--metric", "accuracy", "--format", "json").output)
    assert [(r["run_id"], r["step"]) for r in everything][5:8] == [(1, 5), (2, 0), (2, 1)]  # every run, every step
    assert everything[2]["accuracy"] == "nan" and everything[-1] == {
        "run_id": 3, "step": 0, "loss": 3.0, "elapsed": 0.1, "accuracy": None
    }
    assert list(csv.reader(io.StringIO(cli("export", "3").output)))[0] == ["run_id", "step", "loss", "elapsed"]


@pytest.mark.parametrize("command", [["ls"], ["ls", "--json"], ["export"], ["export", "2", "3"]])
def test_an_unknown_metric_is_one_line_listing_the_selected_runs_metrics(cli, metric_runs, command, tmp_path):
    target = tmp_path / "out.csv"
    to_file = ["-o", str(target)] if command[0] == "export" else []
    result = cli(*command, "--metric", "acuracy", *to_file, code=2)
    known = "accuracy" if command == ["export", "2", "3"] else "accuracy, val_accuracy, val_loss"
    assert result.stderr.startswith(
        f"Error: unknown metric 'acuracy' (did you mean 'accuracy'?); the selected runs have: {known}"
    ), result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stdout == "" and not target.exists()


def test_an_unknown_metric_among_filtered_runs(cli, metric_runs):
    result = cli("ls", "--sweep", "none", "--metric", "accuracy", code=2)
    assert "unknown metric 'accuracy'; the selected runs have: no metrics" in result.stderr, result.stderr


def test_a_metric_recorded_at_a_step_without_a_loss_gets_its_own_row():
    steps = iter([(1, 0, 1.0, 0.1), (1, 2, 0.5, 0.2), (4, 0, 2.0, 0.1)])
    metric_rows = iter([(1, "a", 1, 0.3), (1, "a", 2, 0.4), (1, "a", 3, 0.6), (1, "b", 0, 9.0), (3, "a", 0, 1.0)])
    merged = list(with_metrics(steps, metric_rows, ["a", "b"]))
    assert merged == [
        (1, 0, 1.0, 0.1, None, 9.0), (1, 1, None, None, 0.3, None), (1, 2, 0.5, 0.2, 0.4, None),
        (1, 3, None, None, 0.6, None), (4, 0, 2.0, 0.1, None, None),
    ]
    assert math.isnan(next(with_metrics(iter([(1, 0, NAN, 0.0)]), iter([]), ["a"]))[2])
