"""The Store API, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import FrozenInstanceError
from datetime import timedelta, timezone

import pytest
from sqlalchemy import event, update

from runner.environment import LOST_AFTER_SECONDS
from runner.errors import RunNotFound, StorageError
from runner.status import RunStatus
from runner.store import DEFAULT_URL, LossSummary, RunRecord, Store, open_store, resolve_url
from runner.store.models import runs, utcnow

NAN, INF = float("nan"), float("inf")


def rows(start: int, count: int, loss=lambda i: 1.0 / (i + 1)) -> list[tuple[int, float, float]]:
    return [(i, loss(i), 0.01 * (i + 1)) for i in range(start, start + count)]


def test_round_trip(store, make_config):
    config = make_config(
        name="first",
        steps=5,
        model_params={"hidden": 8, "sizes": (2, 3)},
        optimizer_options={"momentum": 0.9},
        dataset_params={"n": 64},
    )
    before = utcnow()
    run_id = store.create_run(config, device="cpu")
    store.append_steps(run_id, rows(0, 3))
    store.append_steps(run_id, rows(3, 2))
    store.finish_run(run_id, "completed", final_loss=0.2, best_loss=0.2)

    run = store.get_run(run_id)
    assert isinstance(run, RunRecord)
    assert (run.id, run.name, run.model, run.optimizer, run.dataset) == (run_id, "first", "linear", "sgd", "random")
    assert (run.lr, run.steps, run.seed, run.device, run.status) == (0.01, 5, 0, "cpu", "completed")
    assert run.config == {
        "model_params": {"hidden": 8, "sizes": [2, 3]},
        "optimizer_options": {"momentum": 0.9},
        "dataset_params": {"n": 64},
    }
    assert run.steps_done == 5
    assert (run.final_loss, run.best_loss, run.error) == (0.2, 0.2, None)
    for stamp in (run.created_at, run.started_at, run.heartbeat_at, run.ended_at):
        assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= stamp <= utcnow() + timedelta(seconds=1)
    assert run.created_at <= run.ended_at
    assert list(store.iter_steps([run_id])) == [(run_id, *row) for row in rows(0, 5)]
    with pytest.raises(FrozenInstanceError):
        run.status = "lost"


def test_create_run_records_where_it_ran(store, make_config):
    run = store.get_run(store.create_run(make_config(), device="cuda:0"))
    assert (run.host, run.pid) == (socket.gethostname(), os.getpid())
    assert run.python_version.count(".") == 2
    assert run.numpy_version and run.runner_version
    assert run.status == "running" and run.started_at == run.created_at and run.ended_at is None
    assert run.device == "cuda:0" and run.steps_done == 0 and run.name is None


def test_queued_run_has_not_started(store, make_config):
    run = store.get_run(store.create_run(make_config(), device="cpu", status="queued"))
    assert run.status == "queued" and run.started_at is None


def test_unknown_status_is_a_programming_error(store, make_config):
    with pytest.raises(ValueError, match="unknown run status 'done'; expected one of queued, running, completed"):
        store.create_run(make_config(), device="cpu", status="done")


def test_statuses_come_back_as_run_statuses(store, make_config):
    run_id = store.create_run(make_config(), device="cpu", status=RunStatus.QUEUED, sweep="s")
    assert store.get_run(run_id).status is RunStatus.QUEUED
    assert list(store.sweep_counts("s")) == [RunStatus.QUEUED] and isinstance(list(store.sweep_counts("s"))[0], RunStatus)


def pretend(store, run_id: int, **values) -> None:
    """Change a running run's row as another process, or time, would have."""
    with store._engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


def test_mark_lost_applies_the_heartbeat_rule_by_default(store, make_config):
    alive = store.create_run(make_config(), device="cpu")  # this process, beating now
    dead = store.create_run(make_config(), device="cpu")
    store.append_steps(dead, rows(0, 3))  # while it was this process's
    pretend(store, dead, pid=dead_pid())
    elsewhere_fresh, elsewhere_stale = (store.create_run(make_config(), device="cpu") for _ in range(2))
    pretend(store, elsewhere_fresh, host="another-host", heartbeat_at=utcnow() - timedelta(seconds=LOST_AFTER_SECONDS / 2))
    pretend(store, elsewhere_stale, host="another-host", heartbeat_at=utcnow() - timedelta(seconds=LOST_AFTER_SECONDS * 2))
    assert sorted(store.mark_lost()) == [dead, elsewhere_stale]
    statuses = {r.id: r.status for r in store.list_runs()}
    assert statuses == {alive: "running", dead: "lost", elsewhere_fresh: "running", elsewhere_stale: "lost"}
    assert store.get_run(dead).steps_done == 3 and store.mark_lost() == []


def dead_pid() -> int:
    """The id of a process of ours that has exited."""
    import subprocess
    import sys

    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(process.stdout)


def test_nonfinite_losses_are_kept(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    losses = [2.0, NAN, INF, -INF, 0.5, -0.0]
    store.append_steps(run_id, [(i, loss, float(i)) for i, loss in enumerate(losses)])
    store.finish_run(run_id, "diverged", final_loss=NAN, best_loss=INF)

    back = [loss for _, _, loss, _ in store.iter_steps([run_id])]
    assert back[0] == 2.0 and math.isnan(back[1]) and back[2] == INF and back[3] == -INF and back[4] == 0.5
    run = store.get_run(run_id)
    assert math.isnan(run.final_loss) and run.best_loss == INF

    summary = store.loss_summary(run_id)
    assert summary.nonfinite == 3
    assert (summary.best_loss, summary.best_step) == (-0.0, 5)


def test_loss_summary(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, [(0, 3.0, 0.5), (1, 1.0, 1.0), (2, 1.0, 1.5), (3, 2.0, 2.0)])
    assert store.loss_summary(run_id) == LossSummary(
        run_id=run_id, steps=4, first_loss=3.0, final_loss=2.0, best_loss=1.0, best_step=1,
        steps_per_second=2.0, nonfinite=0,
    )


def test_loss_summary_of_a_run_without_steps(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    assert store.loss_summary(run_id) == LossSummary(run_id, 0, None, None, None, None, None, 0)
    with pytest.raises(RunNotFound):
        store.loss_summary(run_id + 1)


def test_loss_summary_when_every_loss_is_nonfinite(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, [(0, NAN, 0.1), (1, INF, 0.2)])
    summary = store.loss_summary(run_id)
    assert (summary.steps, summary.nonfinite, summary.best_loss, summary.best_step) == (2, 2, None, None)
    assert math.isnan(summary.first_loss) and summary.final_loss == INF


def test_list_runs_newest_first_with_filters(store, make_config):
    a = store.create_run(make_config(model="linear"), device="cpu")
    b = store.create_run(make_config(model="mlp"), device="cpu")
    c = store.create_run(make_config(model="linear"), device="cpu")
    store.finish_run(a, "completed", 1.0, 1.0)
    assert [r.id for r in store.list_runs()] == [c, b, a]
    assert [r.id for r in store.list_runs(model="linear")] == [c, a]
    assert [r.id for r in store.list_runs(status="running")] == [c, b]
    assert [r.id for r in store.list_runs(model="linear", status="completed")] == [a]
    assert [r.id for r in store.list_runs(limit=2)] == [c, b]
    assert store.list_runs(model="none") == []


def test_get_missing_run(store):
    with pytest.raises(RunNotFound, match=r"^no run 42 in .*; see `runner ls`$"):
        store.get_run(42)


def test_append_steps_to_missing_run(store, make_config):
    with pytest.raises(RunNotFound, match="no run 7 in"):
        store.append_steps(7, rows(0, 3))
    assert list(store.iter_steps()) == []


def test_finish_missing_run(store):
    with pytest.raises(RunNotFound):
        store.finish_run(3, "completed", 1.0, 1.0)


def test_failing_batch_stores_nothing(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, rows(0, 3))
    with pytest.raises(StorageError) as info:
        store.append_steps(run_id, rows(3, 2) + rows(2, 1))  # step 2 again
    assert "\n" not in str(info.value)
    assert store.get_run(run_id).steps_done == 3
    assert [step for _, step, _, _ in store.iter_steps([run_id])] == [0, 1, 2]


def test_finish_run_counts_the_stored_steps(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, rows(0, 4))
    store.finish_run(run_id, "failed", final_loss=None, best_loss=None, error="Traceback ...\nValueError: x")
    run = store.get_run(run_id)
    assert (run.status, run.steps_done, run.final_loss, run.best_loss) == ("failed", 4, None, None)
    assert run.error == "Traceback ...\nValueError: x"


def test_append_steps_is_one_transaction_and_one_insert_per_table(store, make_config):
    run_id = store.create_run(make_config(), device="cpu")
    commits, inserts = [], []
    engine = store._engine
    on_commit = lambda conn: commits.append(1)  # noqa: E731

    def on_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO"):
            inserts.append((statement.split()[2], executemany, len(parameters)))

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_cursor_execute)
    try:
        store.append_steps(run_id, rows(0, 500), metrics=[("accuracy", i, 0.5) for i in range(300)])
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_cursor_execute)
    assert len(commits) == 1
    # One statement each, with every row: sqlite3's executemany takes one tuple a row; on PostgreSQL,
    # SQLAlchemy's insertmanyvalues renders them as one multi-row VALUES, with one parameter a value.
    per_row = 1 if engine.dialect.name == "sqlite" else 4
    assert inserts == [("steps", True, 500 * per_row), ("metrics", True, 300 * per_row)]
    run = store.get_run(run_id)
    assert run.steps_done == 500 and run.heartbeat_at >= run.created_at


def test_iter_steps_orders_by_run_then_step(store, make_config):
    a = store.create_run(make_config(), device="cpu")
    b = store.create_run(make_config(), device="cpu")
    store.append_steps(b, rows(0, 2))
    store.append_steps(a, rows(0, 3))
    store.append_steps(b, rows(2, 2))
    assert [(r, s) for r, s, _, _ in store.iter_steps()] == [(a, 0), (a, 1), (a, 2), (b, 0), (b, 1), (b, 2), (b, 3)]
    assert [(r, s) for r, s, _, _ in store.iter_steps([b])] == [(b, 0), (b, 1), (b, 2), (b, 3)]
    assert list(store.iter_steps([])) == []
    with pytest.raises(RunNotFound, match=f"no run {b + 1} in"):
        store.iter_steps([a, b + 1])  # raised at the call, not at the first next()


def test_export_in_progress_does_not_block_writers(db_url, make_config):
    with open_store(db_url) as reader, open_store(db_url) as writer:
        run_id = writer.create_run(make_config(), device="cpu")
        writer.append_steps(run_id, rows(0, 25_000))
        export = reader.iter_steps([run_id])
        assert next(export)[:2] == (run_id, 0)
        started = time.perf_counter()
        writer.append_steps(run_id, rows(25_000, 10))  # would wait for the lock if the export held it
        assert time.perf_counter() - started < 5
        assert sum(1 for _ in export) == 25_000 - 1  # the export reads one snapshot
        assert reader.get_run(run_id).steps_done == 25_010


def test_delete_runs_removes_runs_and_their_steps(store, make_config):
    a = store.create_run(make_config(), device="cpu")
    b = store.create_run(make_config(), device="cpu")
    c = store.create_run(make_config(), device="cpu")
    for run_id in (a, b, c):
        store.append_steps(run_id, rows(0, 3))
    assert store.delete_runs([a, c, a]) == 2
    assert [r.id for r in store.list_runs()] == [b]
    assert {r for r, _, _, _ in store.iter_steps()} == {b}
    assert store.create_run(make_config(), device="cpu") > c  # ids are never reused
    assert store.delete_runs([]) == 0


def test_delete_runs_with_an_absent_id_deletes_nothing(store, make_config):
    a = store.create_run(make_config(), device="cpu")
    b = store.create_run(make_config(), device="cpu")
    store.append_steps(a, rows(0, 3))
    with pytest.raises(RunNotFound, match=rf"^no runs {b + 1}, {b + 5} in .*; see `runner ls`$"):
        store.delete_runs([a, b + 5, b, b + 1])
    assert [r.id for r in store.list_runs()] == [b, a]
    assert len(list(store.iter_steps([a]))) == 3


def test_sqlite_keeps_inf_as_real_and_nan_as_text(sqlite_url, make_config):
    import sqlite3

    with open_store(sqlite_url) as store:
        run_id = store.create_run(make_config(), device="cpu")
        store.append_steps(run_id, [(0, NAN, 0.1), (1, INF, 0.2), (2, -INF, 0.3), (3, 1.5, 0.4)])
        store.finish_run(run_id, "diverged", final_loss=NAN, best_loss=1.5)
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT typeof(loss), loss FROM steps ORDER BY step").fetchall()
        final = conn.execute("SELECT typeof(final_loss), final_loss FROM runs").fetchone()
    conn.close()
    assert stored == [("text", "NaN"), ("real", INF), ("real", -INF), ("real", 1.5)]
    assert final == ("text", "NaN")


def test_url_masks_the_password(pg_url):
    with_password = pg_url.replace("postgres@", "postgres:s3cret@")
    with open_store(with_password) as store:
        assert "s3cret" not in store.url and "***" in store.url
        assert "s3cret" not in repr(store)


def test_open_store_reads_runner_db(tmp_path, monkeypatch):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("RUNNER_DB", str(path))  # a plain path is a SQLite file
    with open_store() as store:
        assert isinstance(store, Store) and store.url == f"sqlite:///{path}"
    assert path.exists()


def test_the_url_is_the_one_given_else_runner_db_else_the_default(monkeypatch):
    monkeypatch.setenv("RUNNER_DB", "sqlite:///from-env.db")
    assert resolve_url("sqlite:///given.db") == "sqlite:///given.db"
    assert resolve_url(None) == resolve_url("") == "sqlite:///from-env.db"
    monkeypatch.delenv("RUNNER_DB")
    assert resolve_url(None) == DEFAULT_URL


def test_open_store_defaults_to_experiments_db(tmp_path, monkeypatch):
    monkeypatch.delenv("RUNNER_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.url == DEFAULT_URL == "sqlite:///experiments.db"
    assert (tmp_path / "experiments.db").exists()


def test_timestamps_are_utc(store, make_config):
    run = store.get_run(store.create_run(make_config(), device="cpu"))
    assert run.created_at.tzinfo == timezone.utc
