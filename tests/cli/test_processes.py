"""Real `runner` processes: signals, several writers on one SQLite file, start-up imports, liveness."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from runner.store.models import utcnow
from tests.conftest import runner_command, subprocess_env

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]


def stored_steps(db_path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return db.execute("select count(*) from steps").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def wait_for_steps(db_path, process, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while stored_steps(db_path) == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no steps were flushed"
        time.sleep(0.1)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 130)])
def test_a_signal_interrupts_the_run_and_keeps_every_step(db_path, db_url, store, sig, code):
    process = subprocess.Popen(
        runner_command("run", "--model", "sleepy", "--steps", "1000000", *DATA),
        env=subprocess_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for_steps(db_path, process)
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert "Traceback" not in err and "run 1 interrupted" in out
    record = store.get_run(1)
    assert record.status == "interrupted" and record.ended_at is not None
    steps = [s[1] for s in store.iter_steps([1])]
    assert steps == list(range(record.steps_done)) and record.steps_done > 0
    assert f"{record.steps_done} steps stored" in err


def test_several_processes_write_to_one_sqlite_file(db_url, store):
    processes = [
        subprocess.Popen(
            runner_command("run", "--model", "sleepy", "--steps", "150", "--set", "delay=0.002", *DATA, "-q"),
            env=subprocess_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(5)
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "locked" not in err
    runs = store.list_runs()
    assert sorted(r.id for r in runs) == [1, 2, 3, 4, 5]
    assert all(r.status == "completed" and r.steps_done == 150 for r in runs)
    assert len(list(store.iter_steps(None))) == 5 * 150


@pytest.mark.parametrize("args", [["--help"], ["ls"], ["ls", "--metric", "accuracy"], ["plugins"], ["show", "1"],
                                  ["stop", "nope"], ["run", "--help"], ["worker", "--help"]])
def test_quick_commands_do_not_import_torch_plotly_or_dask(db_url, store, args):
    code = (
        "import sys\n"
        "from runner.cli import main\n"
        f"try:\n    main({args!r}, prog_name='runner')\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'plotly', 'dask', 'distributed', 'dask_jobqueue') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=subprocess_env(db_url), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_runner_works(db_url):
    result = subprocess.run(runner_command("--version"), env=subprocess_env(db_url), capture_output=True, text=True)
    assert result.returncode == 0 and "runner, version 0.1.0" in result.stdout


# A heartbeat every 0.1 s, and another host's run lost after 0.5 s without one: the old rule (a stale heartbeat
# loses any run) would call a run lost after half a second.
QUICK = {"RUNNER_HEARTBEAT_SECONDS": "0.1", "RUNNER_LOST_AFTER_SECONDS": "0.5"}


def runner_now(db_url, *args):
    return subprocess.run(runner_command(*args), env={**subprocess_env(db_url), **QUICK}, capture_output=True, text=True,
                          timeout=60)


def silent_for(store, seconds: float, timeout: float = 60.0) -> None:
    """Wait until run 1's latest heartbeat is over ``seconds`` old (its process is stopped: it only ages)."""
    deadline = time.monotonic() + timeout
    while utcnow() - store.get_run(1).heartbeat_at <= timedelta(seconds=seconds):
        assert time.monotonic() < deadline, "the heartbeat went on"
        time.sleep(0.05)


def stopped_run(db_url, db_path, **env):
    """A running `runner run`, stopped by SIGSTOP once it has stored steps."""
    process = subprocess.Popen(
        runner_command("run", "--model", "sleepy", "--steps", "1000000", *DATA, "-q"),
        env={**subprocess_env(db_url), **QUICK, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for_steps(db_path, process)
    process.send_signal(signal.SIGSTOP)
    return process


def interrupt(process) -> None:
    process.send_signal(signal.SIGCONT)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err


def test_a_stopped_run_on_this_host_stays_running_and_rm_refuses_it(db_path, db_url, store):
    # Issue 10 item 1: ls called a SIGSTOPped run lost (its pid lived), and rm then deleted it without --force.
    process = stopped_run(db_url, db_path)
    try:
        silent_for(store, 1.0)  # two grace periods
        listing = runner_now(db_url, "ls", "--json")
        assert [r["status"] for r in json.loads(listing.stdout)] == ["running"], listing.stderr
        removal = runner_now(db_url, "rm", "1")
        assert removal.returncode == 1
        assert removal.stderr.strip() == "Error: run 1 is still running; stop it first or pass --force"
        assert "events" not in runner_now(db_url, "show", "1").stdout
    finally:
        interrupt(process)
    record = store.get_run(1)
    assert record.status == "interrupted" and store.events(1) == []


def test_another_hosts_silent_run_is_lost_then_revived_when_it_writes_again(db_path, db_url, store):
    process = stopped_run(db_url, db_path, RUNNER_HOST="elsewhere")  # another host, which ls cannot look into
    try:
        silent_for(store, 1.0)  # twice RUNNER_LOST_AFTER_SECONDS
        listing = runner_now(db_url, "ls", "--json")
        assert [r["status"] for r in json.loads(listing.stdout)] == ["lost"], listing.stderr
        shown = runner_now(db_url, "show", "1").stdout
        assert "events" in shown and "lost     no heartbeat from elsewhere for " in shown
        assert "(over RUNNER_LOST_AFTER_SECONDS=0.5)" in shown
        process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 10
        while store.get_run(1).status != "running":
            assert time.monotonic() < deadline, "the run was not revived"
            time.sleep(0.05)
        shown = runner_now(db_url, "show", "1").stdout
        assert f"revived  its process (pid {process.pid} on elsewhere) was alive after all: it " in shown
    finally:
        interrupt(process)
    assert store.get_run(1).status == "interrupted"
    assert [e.kind for e in store.events(1)] == ["lost", "revived"]
