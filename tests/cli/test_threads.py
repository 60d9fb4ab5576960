"""--threads and the threads a run records (issue 19 part 5): --threads N, else $OMP_NUM_THREADS, else torch's
default for a single run and 1 for each sweep worker; recorded per run (runs.threads), shown by runner show."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_bad_input import refused

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3", "--set", "hidden=5"]


@pytest.fixture(autouse=True)
def torch_threads(monkeypatch):
    """The in-process CLI sets this process's torch threads: each test starts, and leaves them, as they were,
    with $OMP_NUM_THREADS unset unless it sets it."""
    import torch

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_threads_given_are_set_and_recorded_and_shown(cli, store):
    cli("run", "-m", "autograd", "--steps", "3", "--threads", "1", *DATA)
    record = store.get_run(1)
    assert record.threads == 1 and record.options["threads"] == 1
    shown = cli("show", "1").output
    assert "  threads     1 (--threads)\n" in shown and "--threads 1" in shown  # and among the options given
    assert json.loads(cli("show", "1", "--json").output)["threads"] == 1


def test_a_single_run_takes_omp_num_threads_else_torch_s_default(cli, store, monkeypatch):
    import torch

    default = torch.get_num_threads()
    cli("run", "-m", "autograd", "--steps", "2", *DATA)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cli("run", "-m", "autograd", "--steps", "2", *DATA)
    assert [store.get_run(i).threads for i in (1, 2)] == [default, 1]
    assert store.get_run(2).options["threads"] is None  # not asked for: the rule gave it


@pytest.mark.parametrize("env, args, expected", [
    ({}, [], 1),  # one per worker, not the machine's cores: issue 19 saw 9 steps/s with 2 against 338 with 1
    ({"OMP_NUM_THREADS": "2"}, [], 2),  # honoured: a sweep used to overwrite it
    ({"OMP_NUM_THREADS": "2"}, ["--threads", "3"], 3),
])
def test_a_sweep_s_workers_get_their_threads(cli, store, monkeypatch, env, args, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cli("run", "-m", "autograd", "--seed", "0-1", "--steps", "2", "-j", "2", *args, *DATA)
    assert [r.threads for r in store.list_runs()] == [expected, expected]


def test_a_numpy_run_records_its_blas_threads_truthfully(cli, store, monkeypatch):
    pytest.importorskip("threadpoolctl")  # without it the count is the environment's, or None
    cli("run", "-m", "numpy", "--steps", "2", "--threads", "1", *DATA)
    from threadpoolctl import threadpool_info

    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert store.get_run(1).threads == (max(blas) if blas else None)


@pytest.mark.parametrize("value", ["0", "1025", "-1", "two", "1.5"])
@pytest.mark.parametrize("command", [["run", "-m", "numpy", "--steps", "2", *DATA],
                                     ["run", "-m", "numpy", "--steps", "2", "--seed", "0-1", *DATA],
                                     ["resume", "1"]])
def test_bad_thread_counts_are_one_line_usage_errors_and_store_nothing(cli, db_path, command, value):
    line = refused(cli, *command, "--threads", value)
    assert "Invalid value for '--threads'" in line
    assert not db_path.exists()
