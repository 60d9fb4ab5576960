"""`runner stop` and the end of a sweep, with real processes and signals (issue 17 items 4 and 15).

A stop, once recorded, is never erased by the sweep it stops (only `runner resume` clears it), and a sweep
whose runs end interrupted says so: exit status 130 and the command that resumes it.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time

import pytest

from runner.store import open_store
from tests.conftest import runner_command, subprocess_env

DATA = ["--set", "batch=4", "--set", "d_in=3", "--set", "d_out=2"]
# Runs that never end by themselves (10 ms a step, a million steps): only the stop ends them, however late it
# reaches a worker (runner.execution.stopping polls every second) on a loaded machine.
SLOW = ["--model", "sleepy", "--steps", "1000000", "--set", "delay=0.01", *DATA]

STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_process_left():
    """A test that fails half-way leaves no `runner` process behind (nor a stopped one)."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
            process.communicate()


def start(db_url, *args):
    process = subprocess.Popen(runner_command(*args), env=subprocess_env(db_url), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    STARTED.append(process)
    return process


def runner(db_url, *args):
    return subprocess.run(runner_command(*args), env=subprocess_env(db_url), capture_output=True, text=True, timeout=60)


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_until(predicate, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def stored_runs(db_path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return db.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # no schema yet
        return 0


def counts(db_url, sweep):
    with open_store(db_url) as store:
        return store.sweep_counts(sweep)


def hold_outside_a_write(process, db_path) -> None:
    """SIGSTOP ``process`` where it holds no write lock on the database: stopped inside a write transaction, it
    would keep every other writer (``runner stop``) out until it goes on. Until the lock can be taken, let it go
    on and stop it again (its workers, in sessions of their own, keep running and release theirs)."""
    while True:
        process.send_signal(signal.SIGSTOP)
        db = sqlite3.connect(db_path, timeout=1.0, isolation_level=None)  # WAL: only a writer keeps a writer out
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:  # locked: by the stopped process, or for longer than 1 s by a worker
            process.send_signal(signal.SIGCONT)
            assert process.poll() is None, process.communicate()
        finally:
            db.close()


def test_a_stop_that_lands_while_the_sweep_starts_is_kept(db_url, db_path):
    process = start(db_url, "run", *SLOW, "--seed", "0-3", "--sweep", "s", "-j", "1", "-q")
    wait_until(lambda: stored_runs(db_path) == 4, process)  # its grid is stored: hold it right there
    hold_outside_a_write(process, db_path)
    try:
        stopped = runner(db_url, "stop", "s")
        assert stopped.returncode == 0, stopped.stderr
    finally:
        process.send_signal(signal.SIGCONT)
    code, out, err = finish(process)
    assert code == 130, (out, err)
    assert "Traceback" not in err
    assert "Stopped: the sweep was asked to stop (runner stop); " in err and "Resume with: runner resume s" in err
    found = counts(db_url, "s")
    assert not found.get("completed") and set(found) <= {"interrupted", "queued"} and sum(found.values()) == 4
    assert "sweep s: 4 runs · " in out


def test_runner_stop_interrupts_a_running_sweep_which_exits_130_with_the_resume_hint(db_url):
    process = start(db_url, "run", *SLOW, "--seed", "0-2", "--sweep", "halt", "-j", "1", "-q")

    def running() -> bool:
        with open_store(db_url) as store:
            return any(r.steps_done > 0 for r in store.list_runs(sweep="halt", status="running"))

    wait_until(running, process)
    assert runner(db_url, "stop", "halt").returncode == 0
    code, out, err = finish(process)
    assert code == 130, (out, err)
    assert counts(db_url, "halt") == {"interrupted": 1, "queued": 2}
    assert "sweep halt: 3 runs · 1 interrupted · 2 queued" in out
    assert err.strip().splitlines()[-1] == ("Stopped: the sweep was asked to stop (runner stop); 1 runs interrupted, "
                                            "2 still queued. Resume with: runner resume halt")


def test_a_stopped_sweep_stays_stopped_when_added_to_and_resume_works_it_again(db_url, registry):
    from runner.grid import expand
    from runner.request import RunRequest

    quick = ["--model", "numpy", "--steps", "3", *DATA, "-q"]
    with open_store(db_url) as store:
        store.enqueue([r.config for r in expand(registry, RunRequest(["numpy"], steps=[3], sets=DATA[1::2]))], "paused")
        store.stop_sweep("paused", "a test")
    added = runner(db_url, "run", *quick, "--seed", "1", "--sweep", "paused", "--add")
    assert added.returncode == 130, added.stderr
    assert "Stopped: the sweep was asked to stop (runner stop); 0 runs interrupted, 2 still queued. " \
           "Resume with: runner resume paused" in added.stderr
    assert counts(db_url, "paused") == {"queued": 2}
    resumed = runner(db_url, "resume", "paused")
    assert resumed.returncode == 0, resumed.stderr
    assert counts(db_url, "paused") == {"completed": 2}
    with open_store(db_url) as store:
        assert not store.sweep_stopped("paused")
