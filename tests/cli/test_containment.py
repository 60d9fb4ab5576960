"""A broken plugin fails its own run, with one line naming the plugin and the fault; nothing else suffers."""

import subprocess
import time

import pytest

from tests.conftest import runner_command, subprocess_env

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]
PLUGIN = "plugin 'tests.support.broken_plugins' (local)"


@pytest.fixture
def broken(monkeypatch, cli):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.broken_plugins")
    return cli


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    "model, fault",
    [
        ("not_a_model", "model 'not_a_model': build returned NoneType, which has no parameters() and no loss_and_grads()"),
        ("vector_loss", "model 'vector_loss': loss_and_grads returned a loss of shape (8,), not a scalar"),
    ],
)
def test_a_model_that_breaks_its_protocol_fails_its_run_only(broken, store, model, fault):
    broken("run", "--model", "numpy", "--steps", "3", *DATA, "--set", "hidden=4")
    result = broken("run", "--model", model, "--steps", "5", *DATA, code=1)
    line = one_error_line(result)
    assert line.startswith("Error: run 2 failed: PluginError: " + PLUGIN)
    assert fault in line
    record = store.get_run(2)
    assert record.status == "failed" and fault in record.error and record.steps_done == 0
    assert store.get_run(1).status == "completed" and store.get_run(1).steps_done == 3  # the earlier run is untouched
    broken("run", "--model", "numpy", "--steps", "3", *DATA, "--set", "hidden=4")  # and the next one runs
    assert store.get_run(3).status == "completed"


def test_the_loss_is_checked_once_not_every_step(broken, store, monkeypatch):
    from runner.training import engine

    calls = []
    original = engine.check_loss
    monkeypatch.setattr(engine, "check_loss", lambda loss, label: (calls.append(label), original(loss, label)))
    broken("run", "--model", "numpy", "--steps", "20", *DATA, "--set", "hidden=4")
    assert len(calls) == 1


def test_a_hanging_step_is_ended_by_step_timeout(db_url, store):
    started = time.monotonic()
    result = subprocess.run(
        runner_command("run", "--model", "hangs", "--steps", "10", "--step-timeout", "0.5", *DATA, "-q"),
        env={**subprocess_env(db_url), "RUNNER_PLUGINS": "tests.support.broken_plugins"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"Error: run 1 failed: StepTimeout: {PLUGIN}, model 'hangs': ")
    assert "step 2 did not finish within 0.5s (--step-timeout)" in lines[0]
    assert "run 1 failed" in result.stdout
    assert time.monotonic() - started < 30
    record = store.get_run(1)
    assert record.status == "failed" and record.steps_done == 2 and "StepTimeout" in record.error
    assert [s[1] for s in store.iter_steps([1])] == [0, 1]  # the steps before the hang are kept


def test_step_timeout_leaves_a_healthy_run_alone(broken, store):
    broken("run", "--model", "numpy", "--steps", "5", "--step-timeout", "30", *DATA, "--set", "hidden=4")
    assert store.get_run(1).status == "completed" and store.get_run(1).steps_done == 5


def test_step_timeout_fails_only_the_hanging_run_of_a_sweep(broken, store):
    result = broken("run", "--model", "hangs,numpy", "--steps", "5", "--step-timeout", "0.5", *DATA,
                    "--set", "model.hang_at=2", "--sweep", "timed", "-j", "2", code=1)
    assert "1 completed · 1 failed" in result.stdout
    hung = store.list_runs(sweep="timed", status="failed")[0]
    assert hung.model == "hangs" and "did not finish within 0.5s (--step-timeout)" in hung.error
    assert hung.steps_done == 2


def test_a_plugin_that_fails_to_import_is_named_and_the_rest_work(cli, store, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.raises_on_import")
    result = cli("run", "--model", "from_the_broken_one", "--steps", "2", code=2)  # an unknown name is a usage error
    lines = result.stderr.strip().splitlines()
    assert lines[0] == ("warning: plugin 'tests.support.raises_on_import' skipped: failed to import: "
                        "ImportError: this plugin needs a package that is not installed")
    assert lines[1].startswith("Error: unknown model 'from_the_broken_one'")
    assert lines[1].endswith("(skipped plugin: 'tests.support.raises_on_import'; see the warnings above)")
    cli("run", "--model", "numpy", "--steps", "2", *DATA)
    assert [r.status for r in store.list_runs()] == ["completed"]
