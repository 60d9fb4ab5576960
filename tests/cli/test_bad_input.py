"""Bad input is refused up front: one line on stderr, exit status 2, and nothing stored (issue 10, items 8-13)."""

import subprocess

import pytest

from tests.conftest import Cli, empty_pg, runner_command, subprocess_env

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3", "--set", "hidden=5"]
HUGE = "99999999999999999999999"


def refused(cli, *args: str, code: int = 2) -> str:
    """The one error line of a command that must fail; no traceback."""
    result = cli(*args, code=code)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def stored_runs(db_url: str) -> int:
    from runner.store import open_store

    with open_store(db_url) as store:
        return len(store.list_runs())


@pytest.mark.parametrize("command", [["show", HUGE], ["export", HUGE], ["rm", HUGE], ["report", HUGE],
                                     ["ls", "-n", HUGE], ["show", "2147483648"]])
def test_a_run_id_or_count_too_large_for_the_database_is_a_usage_error(cli, db_path, command):
    line = refused(cli, *command)
    assert "is not in the range 1<=x<=2147483647" in line
    assert not db_path.exists()  # refused before the store was opened


@pytest.mark.parametrize("steps", ["9223372036854775808", "2147483648", "0-2147483648"])
def test_steps_beyond_the_step_column_are_refused(cli, db_path, steps):
    line = refused(cli, "run", "--model", "numpy", "--steps", steps, *DATA)
    assert "is not a whole number from 1 to 2**31-1" in line
    assert not db_path.exists()


def test_a_database_url_with_a_bad_port_is_a_one_line_usage_error(cli):
    line = refused(cli, "ls", "--db", "postgresql://::::", code=2)
    assert line.startswith("Error: 'postgresql://::::' is not a database URL")


@pytest.mark.parametrize("option", ["--jobs", "--per-device"])
def test_too_many_workers_are_refused_before_any_run_is_enqueued(cli, db_path, option):
    line = refused(cli, "run", "--model", "numpy", "--seed", "0-1", "--steps", "2", *DATA, option, "99999999999999999999")
    assert "is not in the range 1<=x<=1024" in line
    assert not db_path.exists()


def test_resume_refuses_too_many_workers(cli):
    assert "is not in the range 1<=x<=1024" in refused(cli, "resume", "-j", "1025")


@pytest.mark.parametrize("variable, example", [("RUNNER_HEARTBEAT_SECONDS", "5"), ("RUNNER_SQLITE_BUSY_SECONDS", "30")])
def test_a_bad_interval_in_the_environment_is_a_usage_error(db_url, db_path, variable, example):
    # a subprocess: the interval is read when its module (runner.environment, runner.store.db) is first imported
    env = {**subprocess_env(db_url), variable: "abc"}
    result = subprocess.run(runner_command("ls"), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: {variable}='abc' is not a positive number of seconds; set it to e.g. {example}, or unset it "
        "(see 'runner --help')"]
    assert not db_path.exists()


@pytest.mark.parametrize("variables, message", [
    ({"RUNNER_LOST_AFTER_SECONDS": "abc"},
     "RUNNER_LOST_AFTER_SECONDS='abc' is not a positive number of seconds; set it to e.g. 60, or unset it"),
    ({"RUNNER_LOST_AFTER_SECONDS": "2", "RUNNER_HEARTBEAT_SECONDS": "5"},
     "RUNNER_LOST_AFTER_SECONDS=2 is not longer than the heartbeat interval (RUNNER_HEARTBEAT_SECONDS=5); "
     "set it to several intervals, e.g. 60"),
])
def test_a_bad_grace_period_in_the_environment_is_a_usage_error(db_url, db_path, variables, message):
    env = {**subprocess_env(db_url), **variables}
    result = subprocess.run(runner_command("ls"), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"Error: {message} (see 'runner --help')"]


@pytest.mark.parametrize("command", ["run", "resume"])
@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_db_deadline_must_be_a_positive_number_of_seconds(cli, db_path, command, value):
    args = ["run", "--model", "numpy", "--steps", "2", *DATA] if command == "run" else ["resume"]
    line = refused(cli, *args, "--db-deadline", value)
    assert "--db-deadline" in line
    assert not db_path.exists()


def test_a_grid_is_counted_and_refused_before_it_is_built(cli):
    line = refused(cli, "run", "--model", "numpy", "--seed", "0-4294967295", "--dry-run")
    assert "the grid has 4,294,967,296 runs, more than the limit of 100,000" in line
    assert "RUNNER_MAX_GRID" in line


def test_the_grid_limit_is_the_product_of_the_axes_and_can_be_changed(cli, db_url, monkeypatch):
    monkeypatch.setenv("RUNNER_MAX_GRID", "4")
    assert "the grid has 6 runs, more than the limit of 4" in refused(
        cli, "run", "--model", "numpy", "--seed", "0-2", "--lr", "1e-4,1e-3", "--steps", "2", *DATA)
    assert stored_runs(db_url) == 0
    result = cli("run", "--model", "numpy", "--seed", "0-1", "--lr", "1e-4,1e-3", "--steps", "2", *DATA, "--dry-run")
    assert "4 runs (dry run: nothing stored)" in result.stderr


def test_a_bad_grid_limit_is_a_usage_error(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_MAX_GRID", "many")
    line = refused(cli, "run", "--model", "numpy", "--dry-run")
    assert "RUNNER_MAX_GRID='many' is not a positive whole number" in line


@pytest.mark.parametrize("option", ["--name", "--sweep"])
def test_names_longer_than_the_limit_are_refused(cli, db_path, option):
    line = refused(cli, "run", "--model", "numpy", "--steps", "2", *DATA, option, "x" * 201)
    assert "a name may have at most 200 characters; this one has 201" in line
    assert not db_path.exists()


def test_a_name_at_the_limit_is_stored(cli, store):
    cli("run", "--model", "numpy", "--steps", "2", *DATA, "--name", "n" * 200, "--sweep", "s" * 200, "-q")
    record = store.get_run(1)
    assert (record.name, record.sweep, record.status) == ("n" * 200, "s" * 200, "completed")


@pytest.mark.postgres
def test_postgresql_refuses_the_same_values_as_sqlite(request, plugin_env):
    url = request.getfixturevalue("pg_url")
    empty_pg(url)
    cli = Cli(url)
    for args in (["run", "--model", "numpy", "--steps", "2147483648", *DATA], ["run", "--model", "numpy", "--seed", "4294967296"],
                 ["show", "2147483648"], ["run", "--model", "numpy", "--steps", "2", *DATA, "--sweep", "s" * 3000]):
        refused(cli, *args)
    cli("run", "--model", "numpy", "--steps", "2", *DATA, "--sweep", "s" * 200, "-q")
    assert stored_runs(url) == 1


@pytest.mark.postgres
def test_postgresql_stores_every_seed_the_cli_takes(request, plugin_env):
    # Issue 10 item 13: runs.seed was a 32-bit INTEGER, and PostgreSQL refused --seed 2147483648.
    from runner.store import open_store

    url = request.getfixturevalue("pg_url")
    empty_pg(url)
    cli = Cli(url)
    cli("run", "--model", "numpy", "--steps", "2", *DATA, "--seed", "2147483648,4294967295", "-q")
    with open_store(url) as store:
        seeds = {r.seed: (r.id, r.status) for r in store.list_runs()}
    assert sorted(seeds) == [2**31, 2**32 - 1] and {status for _, status in seeds.values()} == {"completed"}
    assert "seed        4294967295" in cli("show", str(seeds[2**32 - 1][0])).output
