"""The migration chain builds exactly the models' schema, and ships with the package."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from setuptools import find_packages
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from runner.processes import start_time
from runner.status import RunStatus
from runner.store import MetricSummary, open_store
from runner.store.db import MIGRATIONS, alembic_config, create_engine_for, read_revision
from runner.store.models import HEAD, metadata

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def schema_differences(url: str) -> list:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(db_url):
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", db_url)  # env.py's own engine, as from the command line
    command.upgrade(config, "head")
    assert schema_differences(db_url) == []
    assert tables(db_url) == {"alembic_version", "runs", "steps", "metrics", "run_events", "artifacts", "sweep_stops", "sweeps"}

    command.downgrade(config, "base")
    assert tables(db_url) == {"alembic_version"}
    command.upgrade(config, "head")
    assert schema_differences(db_url) == []


def test_open_store_creates_the_same_schema(db_url):
    open_store(db_url).close()
    assert schema_differences(db_url) == []


def test_several_stores_opening_a_fresh_database_at_once(db_url):
    errors: list[BaseException] = []
    start = threading.Barrier(5)

    def open_one() -> None:
        try:
            start.wait()
            open_store(db_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert schema_differences(db_url) == []


def test_migrations_ship_with_the_package():
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    packages = find_packages(str(ROOT), include=["runner*"])
    assert {"runner.store", "runner.store.migrations", "runner.store.migrations.versions"} <= set(packages)
    revisions = [p.name for p in (MIGRATIONS / "versions").glob("*.py") if p.name != "__init__.py"]
    assert sorted(revisions)[-1].startswith(HEAD)


RUN_0002 = (
    "INSERT INTO runs (id, model, optimizer, dataset, lr, steps, seed, device, config, status, created_at, steps_done)"
    " VALUES (:id, 'numpy', 'sgd', 'random', 0.01, 3, 0, 'cpu', '{}', :status, '2026-01-01 00:00:00', 3)"
)


def at_0002_with_runs(url: str) -> None:
    """A database as runner left it at revision 0002: runs 1 and 2 with their steps, run 3 deleted."""
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0002")
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            for run_id, status in ((1, "completed"), (2, "queued"), (3, "failed")):
                conn.execute(text(RUN_0002), {"id": run_id, "status": status})
            conn.execute(text("INSERT INTO steps (run_id, step, loss, elapsed) VALUES (1, 0, 2.0, 0.1), (1, 1, 1.0, 0.2)"))
            conn.execute(text("DELETE FROM runs WHERE id = 3"))
            if conn.dialect.name == "postgresql":  # the rows above chose their ids; move the sequence past them
                conn.execute(text("SELECT setval('runs_id_seq', 3)"))
    finally:
        engine.dispose()


def test_upgrading_from_0002_keeps_every_row_and_adds_the_status_check(db_url, make_config):
    at_0002_with_runs(db_url)
    with open_store(db_url) as store:  # upgrades to head
        assert [(r.id, r.status) for r in store.list_runs()] == [(2, RunStatus.QUEUED), (1, RunStatus.COMPLETED)]
        assert list(store.iter_steps([1])) == [(1, 0, 2.0, 0.1), (1, 1, 1.0, 0.2)]  # not cascaded away by the rebuild
        assert store.create_run(make_config(), device="cpu") == 4  # a deleted run's id is still never reused
    assert schema_differences(db_url) == []
    engine = create_engine_for(db_url)
    try:
        with pytest.raises(IntegrityError, match="ck_runs_status|CHECK constraint failed"), engine.begin() as conn:
            conn.execute(text(RUN_0002), {"id": 9, "status": "finished"})
        with engine.begin() as conn:  # every RunStatus passes the database's CHECK
            for offset, status in enumerate(RunStatus):
                conn.execute(text(RUN_0002), {"id": 10 + offset, "status": status.value})
    finally:
        engine.dispose()


def test_upgrading_a_database_made_at_0003_keeps_its_runs_and_records_metrics(tmp_path, make_config):
    # fixtures/schema_0003.db was made by runner at revision 0003 (runner run, twice, and a 2-run
    # sweep; the last run then removed with runner rm), not by hand, so it is what users have.
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema_0003.db", path)
    url = f"sqlite:///{path}"
    assert read_revision_of(url) == "0003" and "metrics" not in tables(url)
    with open_store(url) as store:  # upgrades to head
        runs_0003 = [(r.id, r.name, r.sweep, r.status, r.steps_done) for r in store.list_runs()]
        assert runs_0003 == [
            (3, None, "grid0003", RunStatus.COMPLETED, 4),
            (2, None, "grid0003", RunStatus.COMPLETED, 4),
            (1, "single", None, RunStatus.COMPLETED, 5),
        ]
        assert [(run_id, step) for run_id, step, *_ in store.iter_steps()] == [
            *((1, s) for s in range(5)), *((2, s) for s in range(4)), *((3, s) for s in range(4))
        ]
        assert store.metric_names([1, 2, 3]) == {1: [], 2: [], 3: []}
        new = store.create_run(make_config(), device="cpu")
        assert new == 5  # run 4 was deleted at 0003: its id stays unused
        store.append_steps(new, [(5, 0.5, 1.0)], metrics=[("accuracy", 5, 0.75)])
        assert store.metric_summary(new, "accuracy", "max") == MetricSummary("accuracy", 1, 0.75, 0.75, 0.75, 5, "max")
    assert read_revision_of(url) == HEAD
    assert schema_differences(url) == []


def read_revision_of(url: str) -> str | None:
    engine = create_engine_for(url)
    try:
        return read_revision(engine)
    finally:
        engine.dispose()


TIMES = ("created_at", "started_at", "ended_at", "heartbeat_at")


def at_0004_from_the_fixture(url: str) -> None:
    """fixtures/schema_0004.db, made by runner at revision 0004 (runner run --track lr,grad_norm, a 2-run sweep,
    then a run removed with runner rm)."""
    at_revision_from_the_fixture(url, "0004", ("runs", "steps", "metrics"))


def at_revision_from_the_fixture(url: str, revision: str, table_names: tuple[str, ...]) -> None:
    """fixtures/schema_<revision>.db: the file itself on SQLite; on PostgreSQL, the schema at ``revision``
    holding its rows, the id sequence where the file's AUTOINCREMENT counter was."""
    fixture = FIXTURES / f"schema_{revision}.db"
    if url.startswith("sqlite"):
        shutil.copyfile(fixture, make_url(url).database)
        return
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, revision)
    with sqlite3.connect(fixture) as source:
        source.row_factory = sqlite3.Row
        tables = {name: [dict(row) for row in source.execute(f"SELECT * FROM {name}")] for name in table_names}
        counter = source.execute("SELECT seq FROM sqlite_sequence WHERE name = 'runs'").fetchone()[0]
    for rows in tables.values():  # SQLite keeps them naive, in UTC
        for row in rows:
            row.update({column: f"{row[column]}+00:00" for column in (*TIMES, "at") if row.get(column) is not None})
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            for name, rows in tables.items():
                if not rows:
                    continue
                columns = list(rows[0])
                conn.execute(text(f"INSERT INTO {name} ({', '.join(columns)}) VALUES "
                                  f"({', '.join(':' + c for c in columns)})"), rows)
            conn.execute(text("SELECT setval('runs_id_seq', :n)"), {"n": counter})
            for name in ("run_events", "artifacts"):
                if tables.get(name):  # its ids were given: the sequence goes on after them
                    conn.execute(text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))"))
    finally:
        engine.dispose()


def test_upgrading_a_database_made_at_0004_keeps_everything_and_stores_64_bit_seeds(db_url, make_config):
    at_0004_from_the_fixture(db_url)
    assert read_revision_of(db_url) == "0004" and "run_events" not in tables(db_url)
    with open_store(db_url) as store:  # upgrades to head
        assert [(r.id, r.name, r.sweep, r.seed, r.status, r.steps_done, r.pid_start) for r in store.list_runs()] == [
            (3, None, "grid0004", 1, RunStatus.COMPLETED, 4, None),
            (2, None, "grid0004", 0, RunStatus.COMPLETED, 4, None),
            (1, "single", None, 0, RunStatus.COMPLETED, 5, None),
        ]
        assert [(run_id, step) for run_id, step, *_ in store.iter_steps()] == [
            *((1, s) for s in range(5)), *((2, s) for s in range(4)), *((3, s) for s in range(4))
        ]
        assert store.metric_names([1, 2, 3]) == {1: ["grad_norm", "lr"], 2: [], 3: []}
        assert [step for _, _, step, _ in store.iter_metrics([1], ["lr"])] == list(range(5))
        assert store.events(1) == []
        new = store.create_run(make_config(seed=2**32 - 1), device="cpu")
        assert new == 5  # run 4 was deleted at 0004: its id stays unused
        assert store.get_run(new).seed == 2**32 - 1 and store.get_run(new).pid_start == start_time(os.getpid())
    assert read_revision_of(db_url) == HEAD
    assert schema_differences(db_url) == []


def test_upgrading_a_database_made_at_0005_keeps_everything_and_can_keep_artifacts(db_url, make_config):
    """fixtures/schema_0005.db, made by runner at 0005: a run with --track lr, a 2-run sweep, a run killed with
    kill -9 (lost, with its event), and run 5 removed with runner rm."""
    at_revision_from_the_fixture(db_url, "0005", ("runs", "steps", "metrics", "run_events"))
    assert read_revision_of(db_url) == "0005" and "artifacts" not in tables(db_url)
    with open_store(db_url) as store:  # upgrades to head
        assert [(r.id, r.name, r.sweep, r.status, r.steps_done) for r in store.list_runs()] == [
            (4, None, None, RunStatus.LOST, 300),
            (3, None, "grid0005", RunStatus.COMPLETED, 4),
            (2, None, "grid0005", RunStatus.COMPLETED, 4),
            (1, "single", None, RunStatus.COMPLETED, 5),
        ]
        assert len(list(store.iter_steps())) == 5 + 4 + 4 + 300
        assert [e.kind for e in store.events(4)] == ["lost"]
        assert store.artifacts([1, 2, 3, 4]) == {1: [], 2: [], 3: [], 4: []}
        store.save_artifact(4, "checkpoint", 300, b"state", "pt")
        assert store.requeue([4]) == {4: 300}
        assert store.create_run(make_config(), device="cpu") == 6  # run 5 was deleted at 0005: its id stays unused
    assert read_revision_of(db_url) == HEAD
    assert schema_differences(db_url) == []


def test_upgrading_a_database_made_at_0006_counts_attempts_and_keeps_everything(db_url, make_config):
    """fixtures/schema_0006.db, made by runner at 0006: run 1 with its weights, a 2-run sweep, run 4 removed
    with runner rm, run 5 killed with kill -9 after a checkpoint at step 275 (lost, with its event)."""
    at_revision_from_the_fixture(db_url, "0006", ("runs", "steps", "metrics", "run_events", "artifacts"))
    assert read_revision_of(db_url) == "0006" and "sweep_stops" not in tables(db_url)
    with open_store(db_url) as store:  # upgrades to head
        assert [(r.id, r.sweep, r.status, r.steps_done, r.attempts) for r in store.list_runs()] == [
            (5, None, RunStatus.LOST, 275, 0),
            (3, "grid0006", RunStatus.COMPLETED, 4, 0),
            (2, "grid0006", RunStatus.COMPLETED, 4, 0),
            (1, None, RunStatus.COMPLETED, 5, 0),
        ]
        assert len(list(store.iter_steps())) == 5 + 4 + 4 + 275
        assert [(a.kind, a.step) for a in store.artifacts([1, 5])[1]] == [("weights", 5)]
        assert store.latest_artifact(5, "checkpoint").info.step == 275  # its bytes still match their checksum
        assert store.requeue([5]) == {5: 275}
        assert store.claim_run(5, "cpu").attempts == 1  # claims count from the upgrade on
        store.stop_sweep("grid0006", "a test")
        assert store.sweep_stopped("grid0006") and not store.sweep_stopped("other")
        assert store.create_run(make_config(), device="cpu") == 6  # run 4 was deleted at 0006: its id stays unused
    assert read_revision_of(db_url) == HEAD
    assert schema_differences(db_url) == []


def test_upgrading_a_database_made_at_0007_records_slots_from_then_on(db_url, make_config):
    """fixtures/schema_0007.db, made by runner at 0007: run 1 with its weights, a 2-run sweep asked to stop
    (runner stop), run 4 removed with runner rm, run 5 killed with kill -9 after a checkpoint at step 350."""
    at_revision_from_the_fixture(db_url, "0007", ("runs", "steps", "metrics", "run_events", "artifacts", "sweep_stops"))
    assert read_revision_of(db_url) == "0007"
    with open_store(db_url) as store:  # upgrades to head
        assert [(r.id, r.sweep, r.status, r.steps_done, r.attempts, r.slot) for r in store.list_runs()] == [
            (5, None, RunStatus.LOST, 350, 1, None),
            (3, "grid0007", RunStatus.COMPLETED, 4, 1, None),
            (2, "grid0007", RunStatus.COMPLETED, 4, 1, None),
            (1, None, RunStatus.COMPLETED, 5, 1, None),
        ]
        assert len(list(store.iter_steps())) == 5 + 4 + 4 + 350
        assert store.sweep_stopped("grid0007")
        assert store.latest_artifact(5, "checkpoint").info.step == 350
        assert store.requeue([5]) == {5: 350}
        claimed = store.claim_run(5, "cpu", "vm-0-cpu")
        assert (claimed.attempts, claimed.slot) == (2, "vm-0-cpu")
        assert store.create_run(make_config(), device="cpu") == 6  # run 4 was deleted at 0007: its id stays unused
    assert read_revision_of(db_url) == HEAD
    assert schema_differences(db_url) == []


def test_upgrading_a_database_made_at_0008_records_sweeps_and_relative_artifact_paths(db_url, make_config):
    """fixtures/schema_0008.db, made by runner at 0008: run 1, a 2-run sweep asked to stop (runner stop), run 4
    removed with runner rm, run 5 with its weights under --artifacts /tmp/fx/arts, run 6 killed with kill -9 after
    a checkpoint at step 1200 kept under the same directory."""
    at_revision_from_the_fixture(db_url, "0008", ("runs", "steps", "metrics", "run_events", "artifacts", "sweep_stops"))
    assert read_revision_of(db_url) == "0008"
    with open_store(db_url) as store:  # upgrades to head
        assert [(r.id, r.sweep, r.status, r.steps_done) for r in store.list_runs()] == [
            (6, None, RunStatus.LOST, 1200),
            (5, None, RunStatus.COMPLETED, 6),
            (3, "grid0008", RunStatus.COMPLETED, 4),
            (2, "grid0008", RunStatus.COMPLETED, 4),
            (1, None, RunStatus.COMPLETED, 5),
        ]
        assert len(list(store.iter_steps())) == 5 + 4 + 4 + 6 + 1200
        assert store.sweep_stopped("grid0008")
        assert store.create_run(make_config(), device="cpu") == 7  # run 4 was deleted at 0008: its id stays unused
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as conn:
            paths = conn.execute(text("SELECT run_id, path FROM artifacts WHERE path IS NOT NULL ORDER BY run_id")).all()
            options = dict(conn.execute(text("SELECT id, options FROM runs WHERE options IS NOT NULL")).all())
            sweeps = conn.execute(text("SELECT name FROM sweeps")).scalars().all()
    finally:
        engine.dispose()
    assert [(run_id, path.split("/")[0]) for run_id, path in paths] == [(5, "run-5"), (6, "run-6")]
    assert all(not path.startswith("/") for _, path in paths)
    roots = {run_id: (value if isinstance(value, dict) else __import__("json").loads(value)) for run_id, value in options.items()}
    assert roots == {5: {"artifacts": "/tmp/fx/arts"}, 6: {"artifacts": "/tmp/fx/arts"}}
    assert sweeps == ["grid0008"]
    assert read_revision_of(db_url) == HEAD
    assert schema_differences(db_url) == []


def test_upgrading_a_database_made_at_0009_keeps_everything_and_can_keep_the_best_weights(db_url, make_config):
    """fixtures/schema_0009.db, made by runner at 0009: run 1 with --track lr, a 2-run sweep asked to stop
    (runner stop), run 4 removed with runner rm, run 5 with its weights under --artifacts /tmp/fx/arts, run 6
    killed with kill -9 after a checkpoint at step 1200 kept under the same directory."""
    at_revision_from_the_fixture(db_url, "0009",
                                 ("runs", "steps", "metrics", "run_events", "artifacts", "sweep_stops", "sweeps"))
    assert read_revision_of(db_url) == "0009"
    with open_store(db_url) as store:  # upgrades to head
        records = store.list_runs()
        assert [(r.id, r.sweep, r.status, r.steps_done) for r in records] == [
            (6, None, RunStatus.LOST, 1200),
            (5, None, RunStatus.COMPLETED, 6),
            (3, "grid0009", RunStatus.COMPLETED, 4),
            (2, "grid0009", RunStatus.COMPLETED, 4),
            (1, None, RunStatus.COMPLETED, 5),
        ]
        assert [(r.threads, r.packages, r.early_stop) for r in records] == [(None, None, None)] * 5
        assert len(list(store.iter_steps())) == 5 + 4 + 4 + 6 + 1200
        assert store.metric_names([1]) == {1: ["lr"]}
        assert store.sweep_stopped("grid0009")
        assert [(a.kind, a.step) for a in store.artifacts([5])[5]] == [("weights", 6)]
        assert store.requeue([6]) == {6: 1200}
        store.save_artifact(1, "best", 3, b"weights at step 3", "pt")  # a kind the old CHECK refused
        assert [(a.kind, a.step) for a in store.artifacts([1])[1]] == [("weights", 5), ("best", 3)]
        assert store.create_run(make_config(), device="cpu") == 7  # run 4 was deleted at 0009: its id stays unused
    assert read_revision_of(db_url) == HEAD
    assert schema_differences(db_url) == []
