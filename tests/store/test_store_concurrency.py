"""Real processes writing to one SQLite file at once."""

from __future__ import annotations

import subprocess
import sys
import time

from runner.store import open_store

WRITERS, BATCHES, ROWS_PER_BATCH = 6, 200, 10

CHILD = rf"""
import os, sys, time
from pathlib import Path

db, ready, go, role = sys.argv[1:]
from runner.config import RunConfig
from runner.store import open_store

Path(ready).touch()
while not os.path.exists(go):
    time.sleep(0.001)
store = open_store(db)  # every process opens the fresh file at the same moment
if role == "writer":
    config = RunConfig(model="linear", optimizer="sgd", dataset="random", lr=0.1, steps={BATCHES * ROWS_PER_BATCH}, seed=0)
    run_id = store.create_run(config, device="cpu")
    for batch in range({BATCHES}):
        first = batch * {ROWS_PER_BATCH}
        store.append_steps(run_id, [(i, 1.0 / (i + 1), 0.001 * i) for i in range(first, first + {ROWS_PER_BATCH})])
    store.finish_run(run_id, "completed", final_loss=0.5, best_loss=0.5)
else:
    store.list_runs()
store.close()
"""


def test_writers_in_separate_processes_share_one_sqlite_file(tmp_path, python_env):
    db = tmp_path / "shared.db"
    go = tmp_path / "go"
    roles = ["writer"] * WRITERS + ["opener"]
    children = []
    for n, role in enumerate(roles):
        ready = tmp_path / f"ready-{n}"
        command = [sys.executable, "-c", CHILD, str(db), str(ready), str(go), role]
        child = subprocess.Popen(command, env=python_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        children.append((ready, child))
    try:
        deadline = time.monotonic() + 60
        while not all(ready.exists() for ready, _ in children):
            assert time.monotonic() < deadline, "the children did not start"
            assert all(child.poll() is None for _, child in children), "a child exited before the start"
            time.sleep(0.01)
        go.touch()
        results = [(child.wait(timeout=120), *child.communicate()) for _, child in children]
    finally:
        for _, child in children:
            if child.poll() is None:
                child.kill()
                child.wait()

    for code, _out, err in results:
        assert code == 0, err
        assert "locked" not in err
    with open_store(str(db)) as store:
        runs = store.list_runs()
        assert len(runs) == WRITERS
        expected = list(range(BATCHES * ROWS_PER_BATCH))
        for run in runs:
            assert (run.status, run.steps_done) == ("completed", len(expected))
            assert [step for _, step, _, _ in store.iter_steps([run.id])] == expected
        assert sum(1 for _ in store.iter_steps()) == WRITERS * len(expected)
