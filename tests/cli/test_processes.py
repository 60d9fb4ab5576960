"""Real `runner` processes: signals, several writers on one SQLite file, start-up imports."""

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

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


@pytest.mark.parametrize("args", [["--help"], ["ls"], ["ls", "--metric", "accuracy"], ["plugins"], ["show", "1"]])
def test_quick_commands_do_not_import_torch_or_plotly(db_url, store, args):
    code = (
        "import sys\n"
        "from runner.cli import main\n"
        f"try:\n    main({args!r}, prog_name='runner')\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'plotly') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=subprocess_env(db_url), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_runner_works(db_url):
    result = subprocess.run(runner_command("--version"), env=subprocess_env(db_url), capture_output=True, text=True)
    assert result.returncode == 0 and "runner, version 0.1.0" in result.stdout
