"""A sweep name is taken once (issue 17 item 25): a new grid under a name in use is refused before anything is
stored, ``--add`` adds to that sweep on purpose, and removing a sweep's last run frees its name."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from tests.conftest import runner_command, subprocess_env

DATA = ["--set", "batch=4", "--set", "d_in=3", "--set", "d_out=2"]
GRID = ["run", "--model", "numpy", "--steps", "3", *DATA, "-q"]


def dump(db_path) -> list[str]:
    """Every row of the database, as SQL: what a refusal must leave as it was."""
    with sqlite3.connect(db_path) as db:
        return list(db.iterdump())


def refusal(sweep: str, held: int) -> str:
    runs = f"{held} run{'s' if held != 1 else ''}"
    return (f"Error: sweep {sweep!r} already exists ({runs}); pick another --sweep name, add these runs to it with "
            f"--add, or free the name with `runner rm {sweep}`")


def test_a_name_in_use_is_refused_in_one_line_and_nothing_is_stored(cli, store, db_path):
    cli(*GRID, "--seed", "0-1", "--sweep", "optimizers")
    before = dump(db_path)
    result = cli(*GRID, "--seed", "0-2", "--steps", "7", "--sweep", "optimizers", code=2)
    assert result.stderr.strip().splitlines() == [refusal("optimizers", 2)]
    assert result.stdout == ""
    assert dump(db_path) == before
    assert store.sweep_counts("optimizers") == {"completed": 2}


@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_add_adds_to_the_sweep_on_purpose(cli, store):
    cli(*GRID, "--seed", "0-1", "--sweep", "grid")
    result = cli(*GRID, "--seed", "2-3", "--sweep", "grid", "--add")
    assert "sweep grid: 4 runs · 4 completed" in result.stdout
    assert sorted(r.seed for r in store.list_runs(sweep="grid")) == [0, 1, 2, 3]
    cli(*GRID, "--sweep", "fresh", "--add")  # a name not in use: --add makes it
    assert store.sweep_counts("fresh") == {"completed": 1}


def test_add_without_a_sweep_name_is_a_usage_error(cli, store):
    result = cli(*GRID, "--seed", "0-1", "--add", code=2)
    assert "--add adds to the sweep that --sweep names; give --sweep NAME" in result.stderr
    assert store.list_runs() == []


@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_a_single_run_with_a_sweep_name_in_use_is_refused_too(cli, store):
    cli(*GRID, "--sweep", "one")
    assert refusal("one", 1) in cli(*GRID, "--sweep", "one", code=2).stderr
    assert len(store.list_runs()) == 1


@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_removing_the_last_run_of_a_sweep_frees_its_name(cli, store):
    cli(*GRID, "--seed", "0-1", "--sweep", "old")
    cli("rm", "1")
    assert refusal("old", 1) in cli(*GRID, "--sweep", "old", code=2).stderr  # one run left: still taken
    cli("rm", "2")
    cli(*GRID, "--seed", "5", "--sweep", "old")
    assert [r.seed for r in store.list_runs(sweep="old")] == [5]


@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_rm_sweep_removes_every_run_of_it_and_frees_the_name(cli, store):
    cli(*GRID, "--seed", "0-2", "--sweep", "gone")
    cli(*GRID, "--sweep", "kept")
    result = cli("rm", "gone")
    assert result.stdout.strip() == "Deleted 3 runs of sweep gone; its name is free again"
    assert store.list_runs(sweep="gone") == [] and len(store.list_runs()) == 1
    cli(*GRID, "--sweep", "gone")
    assert "no sweep 'nope'" in cli("rm", "nope", code=1).stderr
    assert "give one sweep name, or one or more run ids" in cli("rm", "gone", "kept", code=2).stderr


@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_a_freed_name_does_not_inherit_the_old_sweeps_stop(cli, store):
    cli(*GRID, "--seed", "0-1", "--sweep", "again")
    cli("stop", "again")
    cli("rm", "again")
    assert not store.sweep_stopped("again")
    assert "2 runs · 2 completed" in cli(*GRID, "--seed", "0-1", "--sweep", "again").stdout


def test_unnamed_grids_started_in_the_same_second_get_names_of_their_own(store):
    from runner.cli.run import enqueue_unnamed
    from runner.config import RunConfig

    config = RunConfig(model="numpy", optimizer="gd", dataset="random", lr=0.1, steps=3, seed=0)
    names = [enqueue_unnamed(store, [config], "sweep-20260101-120000") for _ in range(3)]
    assert names == ["sweep-20260101-120000", "sweep-20260101-120000-2", "sweep-20260101-120000-3"]


@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_two_grids_racing_for_one_name_one_is_refused(db_url, db_path):
    """Real processes at the same moment: the name is taken once, whichever commits first."""
    from runner.store import open_store

    open_store(db_url).close()  # the schema, so that both only add rows
    processes = [subprocess.Popen(runner_command(*GRID, "--seed", f"{i}-{i + 1}", "--sweep", "race"),
                                  env=subprocess_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in (0, 10)]
    results = [(p.returncode, *p.communicate(timeout=120)) for p in processes]
    results = [(p.returncode, out, err) for p, (_, out, err) in zip(processes, results)]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    (_, _, err), = [r for r in results if r[0] == 2]
    assert err.strip().splitlines() == [refusal("race", 2)]
    with open_store(db_url) as store:
        runs = store.list_runs(sweep="race")
    assert len(runs) == 2 and len({r.seed // 10 for r in runs}) == 1  # one grid's runs, not a mix


@pytest.mark.postgres
@pytest.mark.full  # real sweeps, a worker process each: seconds
def test_a_name_in_use_is_refused_on_postgresql(pg_url):
    from tests.conftest import Cli, empty_pg

    empty_pg(pg_url)
    cli = Cli(pg_url)
    cli(*GRID, "--sweep", "pg")
    assert refusal("pg", 1) in cli(*GRID, "--sweep", "pg", code=2).stderr
    cli(*GRID, "--seed", "1", "--sweep", "pg", "--add")
    cli("rm", "pg")
    cli(*GRID, "--sweep", "pg")
