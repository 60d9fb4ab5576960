"""What opening and using a store imports, checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

from runner.store import open_store

SCRIPT = r"""
import json, sys
from runner.config import RunConfig
from runner.store import open_store

with open_store(sys.argv[1]) as store:
    opened = {"alembic": "alembic" in sys.modules}
    config = RunConfig(model="linear", optimizer="sgd", dataset="random", lr=0.1, steps=3, seed=0)
    run_id = store.create_run(config, device="cpu")
    store.append_steps(run_id, [(0, 1.0, 0.1), (1, 0.5, 0.2)])
    store.finish_run(run_id, "completed", final_loss=0.5, best_loss=0.5)
    store.get_run(run_id), store.loss_summary(run_id), list(store.iter_steps([run_id])), store.list_runs()
print(json.dumps({**opened, "torch": "torch" in sys.modules}))
"""


def imported(db: str, env: dict[str, str]) -> dict[str, bool]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, db], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_opening_a_current_store_does_not_import_alembic_or_torch(tmp_path, python_env):
    db = str(tmp_path / "current.db")
    open_store(db).close()  # at head now
    assert imported(db, python_env) == {"alembic": False, "torch": False}


def test_a_fresh_store_is_migrated_with_alembic_but_never_torch(tmp_path, python_env):
    assert imported(str(tmp_path / "fresh.db"), python_env) == {"alembic": True, "torch": False}
