"""Real `runner` processes against a database that fails under them (issue 10, items 2, 4 and 6).

A passing fault (PostgreSQL dropping the run's connection, another process
holding SQLite's write lock) is ridden out: the run completes with every
step. One that lasts past --db-deadline, a SQLite file deleted under the
run, or a disk that fills during a sweep ends the run with one line on
stderr and a non-zero exit, and never as "completed".
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from runner.store import open_store
from tests.conftest import runner_command, subprocess_env
from tests.support.gates import gate_env

DATA = ["--set", "batch=4", "--set", "d_in=3", "--set", "d_out=2"]
PLUGINS = "tests.support.fake_plugins,tests.support.gates"


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_process_left():
    """A test that fails half-way leaves no `runner` process behind."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.communicate()


def start(db_url, *args, **env):
    process = subprocess.Popen(runner_command(*args, *DATA), env={**subprocess_env(db_url), **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(process)
    return process


def finish(process, timeout=60):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_until(predicate, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def sqlite_steps(path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT count(*) FROM steps").fetchone()[0]
    except sqlite3.OperationalError:  # no schema yet
        return 0


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in err, err
    return lines[0]


def stored(db_url, run_id):
    with open_store(db_url) as store:
        return store.get_run(run_id), [s[1] for s in store.iter_steps([run_id])]


@pytest.mark.postgres
def test_a_run_rides_out_its_postgresql_connections_being_terminated(pg_url):
    name = f"terminated-{uuid.uuid4().hex[:8]}"
    open_store(pg_url).close()  # the schema, for the queries below
    process = start(pg_url, "run", "--model", "sleepy", "--steps", "200", "--name", name, "-q")
    admin = create_engine(pg_url, connect_args={"application_name": "runner-test"})
    runner_backends = ("FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'runner' "
                       "AND pid <> pg_backend_pid()")

    def steps_done() -> int:
        with admin.connect() as conn:
            return conn.execute(text("SELECT coalesce(max(steps_done), 0) FROM runs WHERE name = :n"), {"n": name}).scalar()

    def blocked() -> bool:
        with admin.connect() as conn:
            return bool(conn.execute(text(f"SELECT count(*) {runner_backends} AND wait_event_type = 'Lock'")).scalar())

    try:
        for wanted in (20, 60):
            wait_until(lambda: steps_done() > wanted, process)  # noqa: B023 (called at once, in this iteration)
            with admin.connect() as holder:  # hold the run's row so that its next flush waits, mid-transaction
                holder.execute(text("SELECT id FROM runs WHERE name = :n FOR UPDATE"), {"n": name})
                wait_until(blocked, process)
                with admin.connect() as conn:
                    killed = conn.execute(text(f"SELECT count(pg_terminate_backend(pid)) {runner_backends}")).scalar()
                assert killed >= 1
                holder.rollback()
    finally:
        admin.dispose()
    code, out, err = finish(process)
    assert code == 0, err
    assert "completed" in out and "Traceback" not in err
    with open_store(pg_url) as store:
        (run,) = [r for r in store.list_runs() if r.name == name]
        steps = [s[1] for s in store.iter_steps([run.id])]
    assert run.status == "completed" and run.steps_done == 200 and steps == list(range(200))


def test_a_run_rides_out_another_process_holding_the_sqlite_write_lock(db_path, db_url, tmp_path):
    # tests.support.gates' sleepy waits at its last step until the gate opens: the lock is taken before the run
    # could have stored its last rows, so that it meets the lock however quickly or slowly it steps.
    gate = tmp_path / "gate"
    gate.mkdir()
    process = start(db_url, "run", "--model", "gated_sleepy", "--steps", "150", "-q", RUNNER_SQLITE_BUSY_SECONDS="0.5",
                    RUNNER_PLUGINS=PLUGINS, **gate_env(gate, 149))
    wait_until(lambda: sqlite_steps(db_path) > 0, process)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    wait_until((gate / "reached").exists, process)  # every step but the last computed
    (gate / "open").touch()
    time.sleep(1.5)  # the fault lasts three times the run's busy timeout (a lower bound, whatever the load)
    assert process.poll() is None  # done computing, it waits for the database instead of ending
    other.execute("ROLLBACK")
    other.close()
    code, out, err = finish(process)
    assert code == 0 and "run 1 completed" in out and "150 steps" in out, err
    run, steps = stored(db_url, 1)
    assert run.status == "completed" and run.steps_done == 150 and steps == list(range(150))


def test_a_sqlite_lock_held_past_the_deadline_fails_the_run_in_one_line(db_path, db_url):
    process = start(db_url, "run", "--model", "sleepy", "--steps", "100000", "--db-deadline", "0.5", "-q",
                    RUNNER_SQLITE_BUSY_SECONDS="0.3")
    wait_until(lambda: sqlite_steps(db_path) > 0, process)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = finish(process, timeout=30)  # the lock is held until the run has given up
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == 1 and "completed" not in out
    line = one_error_line(err)
    assert line.startswith("Error: run 1 failed, but its end could not be recorded: the database failed for over 0.5 s "
                           "(--db-deadline): ")
    assert line.endswith("was locked by another process for over 0.3 s (database is locked); try again")
    with open_store(db_url) as store:
        store.mark_lost()  # what the next `runner ls` does: the run is not left running
        run = store.get_run(1)
        assert run.status == "lost" and run.steps_done == len(list(store.iter_steps([1]))) > 0


def test_a_sqlite_file_deleted_while_the_run_writes_fails_the_run(db_path, db_url):
    process = start(db_url, "run", "--model", "sleepy", "--steps", "100000", "-q")
    wait_until(lambda: sqlite_steps(db_path) > 0, process)
    db_path.unlink()
    code, out, err = finish(process, timeout=30)
    assert code == 1 and out == ""
    assert one_error_line(err) == (
        f"Error: run 1 failed, but its end could not be recorded: {db_path} was deleted or replaced while runner was "
        "writing to it, so what this process wrote to it is lost with the old file; leave a database in place while "
        "runs write to it")


def test_a_run_deleted_while_it_runs_is_not_waited_for(db_path, db_url):
    process = start(db_url, "run", "--model", "sleepy", "--steps", "100000", "-q")
    wait_until(lambda: sqlite_steps(db_path) > 0, process)
    removed = subprocess.run(runner_command("rm", "1", "--force"), env=subprocess_env(db_url), capture_output=True,
                             text=True, timeout=60)
    assert removed.returncode == 0, removed.stderr
    code, out, err = finish(process, timeout=10)  # not the 300 s of --db-deadline: a missing run is no passing fault
    assert code == 1 and out == ""
    assert one_error_line(err) == "Error: run 1 was deleted while it ran (runner rm --force), with all it had stored"


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs, unmounted afterwards; skipped where mounting is not permitted (but never in CI)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                                 capture_output=True, text=True)
        reason = mounted.stderr.strip()
    except OSError as exc:
        mounted, reason = None, str(exc)
    if mounted is None or mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs ({reason})")
        pytest.skip(f"cannot mount a tmpfs here ({reason})")
    yield folder
    subprocess.run(["umount", "--lazy", str(folder)], check=False)


def fill(folder) -> None:
    filler = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(filler, b"\0" * 4096)
    except OSError:
        pass  # ENOSPC: the disk is full
    finally:
        os.close(filler)


def test_a_disk_that_fills_during_a_sweep(small_disk, tmp_path):
    db = str(small_disk / "runs.db")
    env = {**subprocess_env(db), "RUNNER_DB": db}

    def runner(*args):
        return subprocess.run(runner_command(*args), env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    process = start(db, "run", "--model", "sleepy", "--steps", "100000", "--sweep", "full", "--db-deadline", "1", "-q")
    wait_until(lambda: sqlite_steps(db) > 0, process)
    fill(small_disk)
    code, out, err = finish(process)
    assert code == 1 and "Traceback" not in err, err
    # Issue 17 item 20: the database still says running (it takes no writes), but the run's worker is gone
    assert "sweep full: 1 runs · 1 lost" in out and "running" not in out
    unrecorded = f"{db} cannot grow: its disk is full (database or disk is full); free some space"
    assert err.strip().splitlines()[-3:] == [
        "Error: run 1 failed, but its end could not be recorded: the database failed for over 1 s (--db-deadline): "
        f"{unrecorded}",
        f"warning: runs whose process died are not marked lost yet: {unrecorded}",
        "1 runs lost (`runner show RUN` says why). Resume with: runner resume full"]
    # While the disk is full, the commands that read go on; the dead run is marked lost once they can write.
    listed = runner("ls")
    assert listed.returncode == 0 and "running" in listed.stdout, listed.stderr
    assert listed.stderr.strip().splitlines() == [
        f"warning: runs whose process died are not marked lost yet: {db} cannot grow: its disk is full "
        "(database or disk is full); free some space"]
    assert runner("show", "1").returncode == 0
    os.remove(small_disk / "filler")
    listed = runner("ls")
    assert listed.returncode == 0 and listed.stderr == "" and "lost" in listed.stdout
    # what happened is not known by then (its parent is gone): the reason names every way, the database included
    assert "or it gave up on a failing database)" in runner("show", "1").stdout


def test_a_sweep_worker_that_gives_up_on_the_database_is_recorded_as_such(db_path, db_url):
    """Issue 17 item 20: not as "killed, out of memory", but as what happened (runner.execution.local_worker.GAVE_UP_EXIT)."""
    process = start(db_url, "run", "--model", "sleepy", "--steps", "100000", "--sweep", "gave", "--db-deadline", "1",
                    "-q", RUNNER_SQLITE_BUSY_SECONDS="3")
    wait_until(lambda: sqlite_steps(db_path) > 0, process)
    with sqlite3.connect(db_path) as db:
        worker = db.execute("SELECT pid FROM runs").fetchone()[0]
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # until the worker has given up; its parent's write then waits (3 s) for it
    try:
        wait_until(lambda: not os.path.exists(f"/proc/{worker}"), process)
    finally:
        other.execute("ROLLBACK")
        other.close()
    code, out, err = finish(process)
    assert code == 1 and "sweep gave: 1 runs · 1 lost" in out, (out, err)
    with open_store(db_url) as store:
        run = store.get_run(1)
    assert run.status == "lost" and run.error == (
        f"its worker process (pid {worker}) gave up on the database, which failed for longer than --db-deadline, "
        "without recording an end")
