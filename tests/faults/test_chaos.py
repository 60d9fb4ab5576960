"""The fault-injection suite: a 30-run sweep while a chaos loop kills workers, drops connections and holds locks.

At the end every run is completed (some only after `runner resume` took back
what was lost), no run was trained twice or stored a row twice, and every
run's stored losses are, bit for bit, those of the same run trained alone.
Real processes, real signals, real PostgreSQL and SQLite.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable

import psycopg2
import pytest

from runner.store import open_store
from tests.conftest import empty_pg, runner_command, subprocess_env

RUNS, STEPS = 30, 3000
SETTINGS = ["--set", "batch=8", "--set", "d_in=6", "--set", "hidden=10", "--set", "d_out=3"]
GRID = ["-m", "numpy", "--seed", f"0-{RUNS - 1}", "--steps", str(STEPS), *SETTINGS]


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
    if workers:
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


def chaos(sweep: subprocess.Popen, faults: list[Callable[[], None]], stop: threading.Event, done: list[str]) -> None:
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


def reference_losses(registry, seed: int) -> list[float]:
    """The losses of the same run trained alone, in this process."""
    from runner.config import resolve
    from runner.engine import prepare, train

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


def test_a_sweep_survives_chaos(chaos_db):
    url, db_faults = chaos_db
    env = dict(subprocess_env(url), RUNNER_SQLITE_BUSY_SECONDS="1", RUNNER_HEARTBEAT_SECONDS="0.5")
    sweep = subprocess.Popen(runner_command("run", *GRID, "-j", "3", "--sweep", "chaos", "-q"), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, done = threading.Event(), []
    faults = [lambda: kill_a_worker(sweep), *db_faults]
    faults[0].__name__ = "kill_a_worker"
    monkey = threading.Thread(target=chaos, args=(sweep, faults, stop, done))
    monkey.start()
    try:
        out, err = sweep.communicate(timeout=240)
    finally:
        stop.set()
        monkey.join()
    assert "Traceback" not in err, err
    assert sum(1 for d in done if d == "kill_a_worker") >= 3, (done, out, err)  # the chaos did happen

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
