"""What opening and using a store imports, checked in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic import command

from runner.store import open_store
from runner.store.db import alembic_config, create_engine_for, read_revision
from runner.store.models import HEAD

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

LS = r"""
import json, sys
from runner.cli import main

try:
    main(["ls", "--json", "--db", sys.argv[1]], prog_name="runner")
except SystemExit as exit:
    code = exit.code
unneeded = ("alembic", "torch", "sqlalchemy.orm", "pluggy")  # pluggy: ls loads no plugin
print(json.dumps({"exit": code, "imported": [m for m in unneeded if m in sys.modules]}))
"""


def imported(script: str, db: str, env: dict[str, str]) -> dict[str, bool]:
    done = subprocess.run([sys.executable, "-c", script, db], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def revision(db: str) -> str | None:
    engine = create_engine_for(db)  # not open_store, which would upgrade it
    try:
        return read_revision(engine)
    finally:
        engine.dispose()


def test_opening_a_current_store_does_not_import_alembic_or_torch(tmp_path, python_env):
    db = str(tmp_path / "current.db")
    open_store(db).close()  # at head now
    assert imported(SCRIPT, db, python_env) == {"alembic": False, "torch": False}


def test_a_fresh_store_is_created_without_alembic(tmp_path, python_env):
    db = str(tmp_path / "fresh.db")
    assert imported(SCRIPT, db, python_env) == {"alembic": False, "torch": False}
    assert revision(db) == HEAD


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "current"])
def test_runner_ls_imports_neither_alembic_nor_the_orm_nor_plugins(tmp_path, python_env, fresh):
    db = str(tmp_path / "runs.db")
    if not fresh:
        open_store(db).close()
    assert imported(LS, db, python_env) == {"exit": 0, "imported": []}
    assert os.path.exists(db) != fresh  # ls only reads: it creates no database


def test_a_store_at_an_older_revision_is_upgraded_with_alembic(tmp_path, python_env):
    db = str(tmp_path / "old.db")
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", f"sqlite:///{db}")
    command.upgrade(config, "0001")
    assert imported(SCRIPT, db, python_env) == {"alembic": True, "torch": False}
    assert revision(db) == HEAD


def test_the_heartbeat_imports_no_part_of_the_store(python_env):
    # It is given the store's bound method to call: the store and the heartbeat must not import each other.
    script = "import json, sys, runner.training.heartbeat; print(json.dumps(sorted(m for m in sys.modules if m.startswith('runner.store'))))"
    done = subprocess.run([sys.executable, "-c", script], env=python_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
