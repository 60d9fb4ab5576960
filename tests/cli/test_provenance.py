"""What a run trained with, recorded and shown (issue 19 part 6): its plugin packages with their versions and
commits, every setting it was given in runner show's text, and runner resume's warning when they changed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from runner.training.provenance import describe, git_head
from tests.conftest import ROOT

HELD_OUT = ["--dataset", "heldout", "--set", "d_in=20", "--set", "d_out=3", "--set", "batch=16", "--set", "val=8"]
DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3", "--set", "hidden=5"]


def test_a_run_records_runner_and_each_plugin_package_with_its_commit(cli, store):
    cli("run", "-m", "sleepy", "--steps", "2", *DATA[:6])  # tests.support.fake_plugins: a local plugin ($RUNNER_PLUGINS)
    packages = store.get_run(1).packages
    assert set(packages) == {"runner", "local:tests.support.fake_plugins"}
    assert packages["runner"]["version"] == store.get_run(1).runner_version
    assert packages["local:tests.support.fake_plugins"] == {"version": None, "commit": git_head(ROOT)}
    shown = cli("show", "1").output
    local = describe(packages["local:tests.support.fake_plugins"])  # "? (0123abc)" in a git checkout
    assert f"  packages    local:tests.support.fake_plugins {local} · runner {describe(packages['runner'])}\n" in shown
    assert json.loads(cli("show", "1", "--json").output)["packages"] == packages


@pytest.mark.plugin_packages("runner-digits")
def test_an_installed_plugin_package_is_recorded_by_its_distribution(cli, store):
    from importlib.metadata import version

    cli("run", "-m", "digits_mlp", "--steps", "2", "--set", "hidden=4")
    packages = store.get_run(1).packages
    assert set(packages) == {"runner", "runner-digits"}  # the model, its optimizer (adam: runner's), its dataset
    assert packages["runner-digits"]["version"] == version("runner-digits")


def test_show_lists_every_setting_the_run_was_given_as_flags(cli, metric_env):
    cli("run", "-m", "counted", "--steps", "6", "--eval-every", "3", "--batch-size", "4", "--track", "lr,grad_norm",
        "--keep-checkpoints", "2", *HELD_OUT, "-q")
    shown = cli("show", "1").output
    assert "  settings    --batch-size 4 --eval-every 3 --track lr,grad_norm\n" in shown
    assert "--keep-checkpoints 2" in shown  # the execution options, on their own line as before
    cli("run", "-m", "counted", "--steps", "2", *HELD_OUT, "-q")
    assert "  settings    -\n" in cli("show", "2").output


def test_the_report_shows_each_run_s_threads_and_packages(cli, store, tmp_path):
    cli("run", "-m", "numpy", "--steps", "2", "--threads", "1", *DATA)
    out = tmp_path / "report.html"
    cli("report", "1", "-o", str(out), "--plotlyjs", "cdn")
    page = out.read_text()
    runner = store.get_run(1).packages["runner"]
    assert f"packages: runner {runner['version']}" in page
    if store.get_run(1).threads is not None:
        assert f" · {store.get_run(1).threads} thread" in page


def interrupted_with(store, run_id: int, packages) -> None:
    """Run ``run_id`` as if it were interrupted, having been recorded with ``packages``."""
    from runner.store.models import runs

    with store._transaction() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(status="interrupted", packages=packages))


def test_resume_warns_in_one_line_when_the_packages_changed(cli, store):
    cli("run", "-m", "numpy", "--steps", "2", *DATA)
    cli("run", "-m", "numpy", "--steps", "2", *DATA)
    interrupted_with(store, 1, {"runner": {"version": "0.0.1", "commit": None}})
    interrupted_with(store, 2, store.get_run(2).packages)
    result = cli("resume", "1")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    now = describe(store.get_run(2).packages["runner"])
    assert warnings == [f"warning: run 1 was recorded with other packages than these: runner 0.0.1 -> {now}"]
    assert store.get_run(1).status == "completed"  # a warning, not a refusal
    assert store.get_run(1).packages == store.get_run(2).packages  # recorded afresh as it resumed
    assert "warning:" not in cli("resume", "2").stderr


def test_resuming_a_sweep_warns_once_for_all_its_changed_runs(cli, store):
    cli("run", "-m", "numpy", "--steps", "2", "--seed", "0-2", "--sweep", "grid", *DATA, "-q")
    for run_id in (1, 2):
        interrupted_with(store, run_id, {**store.get_run(run_id).packages, "runner-gone": {"version": "1.0", "commit": None}})
    result = cli("resume", "grid", "-q")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: runs of sweep grid were recorded with other packages than these: runner-gone 1.0 -> none"]
    assert [r.status for r in store.list_runs()] == ["completed"] * 3
