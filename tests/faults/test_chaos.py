"""The fault-injection suite: a 30-run sweep while a chaos loop kills workers, drops connections and holds locks.

At the end every run is completed (some only after `runner resume` took back
what was lost), no run was trained twice or stored a row twice, and every
run's stored losses are, bit for bit, those of the same run trained alone.
Real processes, real signals, real PostgreSQL and SQLite.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest

from runner.store import open_store
from tests.conftest import empty_pg, runner_command, subprocess_env
from tests.support.gates import gate_env

RUNS, STEPS = 30, 3000
KILLS = 3  # workers killed, at least, before any run may end
SETTINGS = ["--set", "batch=8", "--set", "d_in=6", "--set", "hidden=10", "--set", "d_out=3"]
# tests.support.gates' numpy, whose losses are numpy's: each run waits at its middle step until the chaos has
# killed KILLS workers, so that the chaos happens however fast the sweep would otherwise be over.
GRID = ["-m", "gated_numpy", "--seed", f"0-{RUNS - 1}", "--steps", str(STEPS), *SETTINGS]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the sweep's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rpartition(")")[2].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def kill_a_worker(sweep: subprocess.Popen) -> None:
    workers = children(sweep.pid)
    if not workers:  # between a worker's death and its replacement: not counted as a kill
        raise LookupError("no worker to kill")
    os.kill(random.choice(workers), signal.SIGKILL)


def drop_pg_connections(url: str) -> Callable[[], None]:
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")

    def drop() -> None:
        with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        conn.close()

    return drop


def hold_pg_lock(url: str) -> Callable[[], None]:
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")

    def hold() -> None:
        conn = psycopg2.connect(dsn)
        try:
            with conn.cursor() as cursor:
                cursor.execute("LOCK TABLE runs, steps IN ACCESS EXCLUSIVE MODE")
                time.sleep(random.uniform(0.5, 2.0))
            conn.rollback()
        finally:
            conn.close()

    return hold


def hold_sqlite_lock(path: str) -> Callable[[], None]:
    def hold() -> None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock: every writer waits, then gives up and retries
            time.sleep(random.uniform(0.5, 2.5))  # past the 1 s busy timeout set below
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    return hold


def sweep_started(url: str) -> bool:
    """Whether all the sweep's runs are stored and one of them is running: read only, so that the test never
    creates the database or takes a lock the sweep's own setup could meet."""
    query = "SELECT count(*), sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END) FROM runs"
    try:
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if not os.path.exists(path):
                return False
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
                stored, running = conn.execute(query).fetchone()
        else:
            with contextlib.closing(psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))) as conn:
                with conn.cursor() as cursor:
                    cursor.execute(query)
                    stored, running = cursor.fetchone()
    except (sqlite3.Error, psycopg2.Error):  # no file or no tables yet
        return False
    return stored == RUNS and bool(running)


def wait_until_started(sweep: subprocess.Popen, url: str, timeout: float = 120.0) -> None:
    """The chaos is aimed at a sweep under way, not at its setup: a command that meets a database locked past
    its busy timeout before it has started anything fails at once, by design ("try again")."""
    deadline = time.monotonic() + timeout
    while not sweep_started(url):
        assert sweep.poll() is None, sweep.communicate()
        assert time.monotonic() < deadline, "the sweep never started a run"
        time.sleep(0.05)


def chaos(faults: list[Callable[[], None]], stop: threading.Event, done: list[str], gate: Path) -> None:
    """Faults at random moments until ``stop``; ``gate`` is opened once KILLS workers were killed."""
    chooser = random.Random(1234)
    turn = 0
    while not stop.wait(chooser.uniform(0.2, 0.5)):
        fault = faults[0] if turn % 2 == 0 else chooser.choice(faults[1:])  # every other fault kills a worker
        turn += 1
        try:
            fault()
            done.append(getattr(fault, "__name__", "?"))
        except Exception as exc:  # the chaos itself may meet a dropped connection; it goes on
            done.append(f"{fault.__name__} failed: {exc}")
        if done.count("kill_a_worker") >= KILLS:
            (gate / "open").touch()


def reference_losses(registry, seed: int) -> list[float]:
    """The losses of the same run trained alone, in this process."""
    from runner.config import resolve
    from runner.training.engine import prepare, train

    sets = [SETTINGS[i + 1] for i in range(0, len(SETTINGS), 2)]
    resolved = resolve(registry, "numpy", steps=STEPS, seed=seed, device="cpu", sets=sets)
    rows: list = []
    train(prepare(resolved), STEPS, lambda r, m: rows.extend(r))
    return [loss for _, loss, _ in rows]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def chaos_db(request, tmp_path):
    if request.param == "sqlite":
        path = str(tmp_path / "chaos.db")
        return f"sqlite:///{path}", [hold_sqlite_lock(path)]
    url = request.getfixturevalue("pg_url")
    empty_pg(url)
    return url, [drop_pg_connections(url), hold_pg_lock(url)]


def test_a_sweep_survives_chaos(chaos_db, tmp_path):
    url, db_faults = chaos_db
    gate = tmp_path / "gate"
    gate.mkdir()
    env = dict(subprocess_env(url), RUNNER_SQLITE_BUSY_SECONDS="1", RUNNER_HEARTBEAT_SECONDS="0.5",
               RUNNER_PLUGINS="tests.support.fake_plugins,tests.support.gates", **gate_env(gate, STEPS // 2))
    sweep = subprocess.Popen(runner_command("run", *GRID, "-j", "3", "--sweep", "chaos", "-q"), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, done = threading.Event(), []
    faults = [lambda: kill_a_worker(sweep), *db_faults]
    faults[0].__name__ = "kill_a_worker"
    wait_until_started(sweep, url)
    monkey = threading.Thread(target=chaos, args=(faults, stop, done, gate))
    monkey.start()
    try:
        out, err = sweep.communicate(timeout=240)
    finally:
        stop.set()
        monkey.join()
        (gate / "open").touch()  # the resumes below go through
    assert "Traceback" not in err, err
    assert done.count("kill_a_worker") >= KILLS, (done, out, err)  # the chaos did happen

    for _ in range(5):  # whatever was lost is resumed, and nothing else
        resumed = subprocess.run(runner_command("resume", "chaos", "-j", "3", "-q"), env=env, capture_output=True,
                                 text=True, timeout=240)
        assert "Traceback" not in resumed.stderr, resumed.stderr
        with open_store(url) as store:
            if all(r.status == "completed" for r in store.list_runs(sweep="chaos")):
                break
    with open_store(url) as store:
        records = store.list_runs(sweep="chaos")
        assert sorted(r.seed for r in records) == list(range(RUNS))
        assert [(r.id, r.status, r.error) for r in records if r.status != "completed"] == [], (out, err, done)
        assert all(r.steps_done == STEPS for r in records)
        by_run: dict[int, list[tuple[int, float]]] = {}
        for run_id, step, loss, _ in store.iter_steps([r.id for r in records]):
            by_run.setdefault(run_id, []).append((step, loss))
    from runner.registry import load_registry

    registry = load_registry()
    for record in records:
        stored = by_run[record.id]
        assert [s for s, _ in stored] == list(range(STEPS)), f"run {record.id}: a step missing or stored twice"
        assert [loss for _, loss in stored] == reference_losses(registry, record.seed), f"run {record.id}: losses differ"
