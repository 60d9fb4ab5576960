"""Refusals are up front, one line, exit status 2, and leave nothing behind: no run stored, no database file
created (issue 17, items 14, 16, 17 and 18)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import runner_command, subprocess_env
from tests.support.in_process import runner_here

DATA = ["--set", "batch=4", "--set", "d_in=5", "--set", "d_out=2"]
RUN = ["run", "-m", "numpy", "--steps", "3", *DATA]


def refused(cli, *args: str) -> str:
    """The one error line of a command that must fail with exit status 2; no traceback."""
    result = cli(*args, code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def runner(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(runner_command(*args), cwd=cwd, env=env or subprocess_env(), capture_output=True,
                          text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# item 14: every option that takes seconds, and every other float

SECONDS_OPTIONS = [
    (RUN, "--step-timeout"),
    (RUN, "--db-deadline"),
    (RUN, "--worker-wait"),
    (["resume", "1"], "--step-timeout"),
    (["resume", "1"], "--db-deadline"),
    (["worker", "tcp://127.0.0.1:1"], "--death-timeout"),
    (["watch"], "--interval"),
    (["plugins", "check", "numpy"], "--timeout"),
]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309", "1e23", "1e10", "-1", "ten"])
@pytest.mark.parametrize(("command", "option"), SECONDS_OPTIONS, ids=lambda x: x if isinstance(x, str) else x[0])
def test_a_duration_that_no_timer_can_wait_for_is_a_usage_error(cli, db_path, command, option, value):
    line = refused(cli, *command, option, value)
    assert f"Invalid value for '{option}': {value!r} is not a number of seconds" in line and "to 1e9" in line
    assert not db_path.exists()


def test_the_largest_durations_are_taken_and_work(cli, db_path):
    cli(*RUN, "--step-timeout", "1e9", "--db-deadline", "1e9")  # signal.setitimer and the retry clock take them
    assert db_path.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "1e309", "-1e-3", "0"])
def test_a_learning_rate_that_is_not_a_positive_number_is_refused(cli, db_path, value):
    assert "is not a positive number" in refused(cli, *RUN, "--lr", f"1e-3,{value}")
    assert not db_path.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309"])
def test_a_float_setting_that_is_not_finite_is_refused(cli, db_path, value):
    assert refused(cli, *RUN, "-o", "adam", "--set", f"eps={value}") == f"Error: --set eps={value}: expected a finite number"
    assert not db_path.exists()


# item 17: settings refused up front, not stored as a failed run


@pytest.mark.parametrize("model", ["numpy", "module"])
def test_a_whole_number_setting_beyond_64_bits_is_refused(cli, db_path, model):
    line = refused(cli, "run", "-m", model, "--steps", "3", "--set", "hidden=99999999999999999999")
    assert line == "Error: --set hidden=99999999999999999999: expected a whole number from -2**63 to 2**63-1"
    assert not db_path.exists()


@pytest.mark.parametrize("model", ["numpy", "module"])
def test_a_layer_too_wide_for_any_memory_is_refused(cli, db_path, model):
    line = refused(cli, "run", "-m", model, "--steps", "3", "--set", "hidden=10000000000")
    assert f"model '{model}': hidden must be at most 100000 (see " in line
    assert not db_path.exists()


@pytest.mark.parametrize("model", ["numpy", "module"])  # the NumPy and the torch builder alike
def test_settings_the_optimizer_refuses_together_are_refused_up_front(cli, db_path, model):
    line = refused(cli, "run", "-m", model, "-o", "sgd", "--steps", "3", "--set", "nesterov=True", "--set", "momentum=0",
                   *DATA)
    assert line.startswith("Error: --set nesterov=True: plugin 'optimizers'")
    assert "optimizer 'sgd' refuses these settings (Nesterov momentum requires a momentum" in line
    assert not db_path.exists()


def test_settings_the_optimizer_takes_pass_the_probe(cli, db_path):
    result = cli("run", "-m", "module", "-o", "sgd", "--steps", "3", "--set", "nesterov=True", "--set", "momentum=0.9",
                 "--lr", "1e-4,1e-5", "--dry-run", *DATA)
    assert "2 runs (dry run: nothing stored)" in result.stderr
    assert not db_path.exists()


def test_a_sweep_refuses_the_optimizers_settings_before_storing_any_run(cli, db_path):
    refused(cli, "run", "-m", "numpy", "-o", "sgd", "--seed", "0-2", "--set", "nesterov=True", *DATA)
    assert not db_path.exists()


# item 16: a malformed --db


@pytest.mark.parametrize("url", ["postgresql://x:y@:bad", "nonsense://", "://nowhere"])
@pytest.mark.parametrize("command", [["ls"], RUN, ["rm", "1"], ["show", "1"]], ids=lambda c: c[0])
def test_a_malformed_database_url_is_a_usage_error_that_creates_nothing(tmp_path, url, command):
    line = one_line(runner_here(*command, "--db", url, cwd=tmp_path))  # in this process: a real one below
    assert "is not a database URL" in line or "unknown kind of database" in line
    assert list(tmp_path.iterdir()) == []


# item 18: a refusal creates no database file


@pytest.mark.slow  # two runs that import torch
def test_a_device_that_is_not_there_creates_no_database(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    for model in ("numpy", "module"):
        line = one_line(runner("run", "-m", model, "--device", "cuda", "--steps", "3", "--db", "runs.db", *DATA,
                               cwd=tmp_path))
        assert "cuda" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["rm", "1"], ["rm", "1", "--force"], ["rm", "some-sweep"], ["resume", "1"],
                                     ["resume"], ["resume", "some-sweep"], ["stop", "some-sweep"], ["show", "1"]],
                         ids=" ".join)
def test_a_command_on_stored_runs_creates_no_database(tmp_path, command):
    line = one_line(runner_here(*command, "--db", "missing.db", cwd=tmp_path))
    assert line == "Error: no database at missing.db; give --db the file your runs are in (or set $RUNNER_DB)"
    assert list(tmp_path.iterdir()) == []


def test_the_default_database_is_not_created_either(tmp_path):  # by a real process, as the two above
    env = {k: v for k, v in subprocess_env().items() if k != "RUNNER_DB"}
    assert "no database at experiments.db" in one_line(runner("rm", "1", cwd=tmp_path, env=env))
    assert list(tmp_path.iterdir()) == []


def test_slurm_without_sbatch_creates_no_database(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(subprocess_env(), PATH=str(empty))  # the interpreter is named by its full path
    result = runner(*RUN, "--seed", "0-1", "--executor", "slurm", "--db", "runs.db", cwd=tmp_path, env=env)
    assert "sbatch is not on PATH" in one_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


@pytest.mark.slow  # distributed's import, and its client's own shutdown
def test_a_bad_dask_address_creates_no_database(tmp_path):
    pytest.importorskip("distributed")
    result = runner(*RUN, "--seed", "0-1", "--executor", "dask", "--address", "garbage", "--db", "runs.db", cwd=tmp_path)
    assert result.returncode == 2 and "is not a Dask scheduler address" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_worker_creates_no_database(tmp_path):
    # runner.execution.local_worker is what a local sweep starts: pointed at a database that is gone, it says so and makes none.
    result = subprocess.run([sys.executable, "-m", "runner.execution.local_worker", "--db", str(tmp_path / "gone.db"), "--sweep", "s",
                             "--device", "cpu", "--accepts", "cpu,auto"],
                            cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "no database at" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []
