"""Database faults as the store reports them: which may pass (StorageUnavailable), and which never do."""

from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from runner.errors import StorageError, StorageUnavailable
from runner.store import db as store_db
from runner.store import open_store


def rows(start, count):
    return [(i, 1.0 / (i + 1), i * 0.1) for i in range(start, start + count)]


def test_rows_offered_again_skip_those_already_stored(store, make_config):
    # A connection lost as the server committed: the run offers those rows again with more.
    run_id = store.create_run(make_config(), device="cpu")
    store.append_steps(run_id, rows(0, 3), metrics=[("acc", 2, 0.5)])
    with pytest.raises(StorageError):  # a first offer with a stored step is a fault, as ever
        store.append_steps(run_id, rows(2, 3))
    store.append_steps(run_id, rows(0, 5), metrics=[("acc", 2, 0.5), ("acc", 4, 0.75)], again=True)
    assert [s[1] for s in store.iter_steps([run_id])] == [0, 1, 2, 3, 4]
    assert [(m[2], m[3]) for m in store.iter_metrics([run_id])] == [(2, 0.5), (4, 0.75)]
    store.finish_run(run_id, "completed", 0.2, 0.2)
    assert store.get_run(run_id).steps_done == 5


def test_a_locked_sqlite_file_is_a_passing_fault_named_with_the_busy_timeout(sqlite_url, make_config, monkeypatch):
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_SECONDS", 0.2)
    with open_store(sqlite_url) as store:
        run_id = store.create_run(make_config(), device="cpu")
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageUnavailable) as info:
            store.append_steps(run_id, rows(0, 2))
        assert str(info.value).endswith("was locked by another process for over 0.2 s (database is locked); try again")
        other.execute("ROLLBACK")
        store.append_steps(run_id, rows(0, 2))
        other.close()


@pytest.mark.parametrize("change", ["delete", "replace"])
def test_a_sqlite_file_deleted_or_replaced_under_a_store_is_never_written_blind(tmp_path, make_config, change):
    path = tmp_path / "runs.db"
    with open_store(str(path)) as store:
        run_id = store.create_run(make_config(), device="cpu")
        store.append_steps(run_id, rows(0, 2))
        if change == "delete":
            path.unlink()
        else:
            open_store(str(tmp_path / "other.db")).close()
            os.replace(tmp_path / "other.db", path)
        with pytest.raises(StorageError) as info:
            store.append_steps(run_id, rows(2, 2))
        assert not isinstance(info.value, StorageUnavailable)  # retrying cannot bring the file back
        assert str(info.value).startswith(f"{path} was deleted or replaced while runner was writing to it")
        with pytest.raises(StorageError, match="deleted or replaced"):
            store.finish_run(run_id, "completed", 0.5, 0.5)


@pytest.mark.postgres
def test_a_dropped_postgresql_connection_is_replaced_unseen(pg_url, make_config):
    with open_store(pg_url) as store:
        run_id = store.create_run(make_config(), device="cpu")
        store.append_steps(run_id, rows(0, 2))
        admin = create_engine(pg_url, connect_args={"application_name": "runner-test"})
        with admin.begin() as conn:
            killed = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'runner'")).scalar()
        admin.dispose()
        assert killed >= 1  # the store's pooled connection, named for pg_stat_activity
        store.append_steps(run_id, rows(2, 2))  # pool_pre_ping: a new connection, no error
        assert [s[1] for s in store.iter_steps([run_id])] == [0, 1, 2, 3]
