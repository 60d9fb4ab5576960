"""Two groups that differ by optimizer, each at the lr its optimizer declares (no --lr), are compared as
differing in optimizer (issue 19, part 7): real runs through the CLI, then the report's verdicts."""

from __future__ import annotations

import json

import pytest

DATA = ["--set", "batch=8", "--set", "d_in=5", "--set", "d_out=3", "--steps", "5"]


def run(cli, *args):
    """Seeds 0 and 1, each a single run in this process (a grid would start workers: seconds each)."""
    for seed in ("0", "1"):
        cli("run", "--model", "sequential", *args, *DATA, "--seed", seed)


@pytest.fixture
def lion_cli(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.lion")
    return cli


def comparisons(cli, tmp_path):
    printed = cli("report", "--verdicts", "-", "-o", str(tmp_path / "r.html"))
    return json.loads(printed.stdout)["comparisons"]


def test_optimizers_at_their_own_declared_lr_are_compared_as_differing_in_optimizer(lion_cli, store, tmp_path):
    run(lion_cli, "--optimizer", "lion")
    run(lion_cli, "--optimizer", "heavy")
    assert {store.get_run(i).config.get("lr_source") for i in range(1, 5)} == {"optimizer"}
    (c,) = comparisons(lion_cli, tmp_path)
    assert c["setting"] == "optimizer" and c["seeds"] == 2 and c["paired"]
    assert {c["first"]["name"], c["second"]["name"]} == {"lion (its lr 0.0001)", "heavy (its lr 0.001)"}


def test_an_lr_given_with_lr_is_a_setting_of_its_own(lion_cli, store, tmp_path):
    """adam at the model's lr (adam declares none) against lion at its own: they differ in optimizer and lr, as
    before; and a run given --lr records no lr_source, so its config is stored as it always was."""
    run(lion_cli, "--optimizer", "lion")
    run(lion_cli, "--optimizer", "adam", "--lr", "1e-3")
    assert "lr_source" not in store.get_run(3).config
    assert comparisons(lion_cli, tmp_path) == []
