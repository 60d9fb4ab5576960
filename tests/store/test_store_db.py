"""Opening databases: SQLite setup, schema checks, and one-line StorageErrors."""

from __future__ import annotations

import importlib.util
import os

import pytest
from sqlalchemy import event, text

from runner.errors import OptionError, StorageError
from runner.store import open_store
from runner.store.db import alembic_config, create_engine_for, create_schema, display_url, read_revision
from runner.store.models import HEAD


def storage_error(url: str) -> str:
    with pytest.raises(StorageError) as info:
        open_store(url)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message, message
    return message


def test_fresh_file_gets_the_schema_at_head_and_wal_mode(tmp_path):
    path = tmp_path / "fresh.db"
    with open_store(f"sqlite:///{path}") as store:
        with store._engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_creating_the_schema_again_finds_it_and_changes_nothing(db_url, make_config):
    # What a process that lost the race to create a new database sees once it gets the lock.
    with open_store(db_url) as store:
        run_id = store.create_run(make_config(), device="cpu")
        assert create_schema(store._engine) == HEAD
        assert read_revision(store._engine) == HEAD
        assert [r.id for r in store.list_runs()] == [run_id]


def test_a_database_with_a_table_of_the_same_name_is_left_alone(tmp_path):
    path = tmp_path / "theirs.db"
    engine = create_engine_for(str(path))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE runs (theirs INTEGER)"))
    message = storage_error(str(path))
    assert message == f"{path} holds another application's tables (runs), not runner's; give runner its own database"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM sqlite_master")).scalars().all() == ["runs"]
    engine.dispose()


def test_head_is_the_newest_migration():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_a_plain_path_is_a_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store("relative.db") as store:
        assert store.url == "sqlite:///relative.db"
    assert (tmp_path / "relative.db").exists()


def test_writes_begin_immediate_and_reads_do_not(sqlite_url, make_config):
    with open_store(sqlite_url) as store:
        begins = []
        on_execute = lambda conn, cursor, statement, *rest: statement.startswith("BEGIN") and begins.append(statement)  # noqa: E731
        event.listen(store._engine, "before_cursor_execute", on_execute)
        run_id = store.create_run(make_config(), device="cpu")
        store.append_steps(run_id, [(0, 1.0, 0.1)])
        store.finish_run(run_id, "completed", 1.0, 1.0)
        assert begins == ["BEGIN IMMEDIATE"] * 3
        begins.clear()
        store.get_run(run_id)
        store.list_runs()
        list(store.iter_steps())
        assert begins == ["BEGIN"] * 3


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "x.db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    message = storage_error(str(path))
    assert message.startswith(f"{path} is not a runner database (file is not a database)")
    assert path.read_bytes() == garbage


def test_a_directory(tmp_path):
    message = storage_error(str(tmp_path))
    assert message.startswith(f"{tmp_path} is a directory")


def test_a_missing_folder(tmp_path):
    message = storage_error(str(tmp_path / "no" / "such" / "runs.db"))
    assert message.startswith("cannot open") and "folder exists" in message


def test_an_unknown_kind_of_database_is_the_users_to_fix():
    with pytest.raises(OptionError, match="^unknown kind of database in 'foo://x'"):
        open_store("foo://x")


def test_an_unparseable_url_is_the_users_to_fix():
    with pytest.raises(OptionError, match="is not a database URL"):
        open_store("://nowhere")


@pytest.mark.skipif(importlib.util.find_spec("pg8000") is not None, reason="pg8000 is installed")
def test_a_missing_driver():
    message = storage_error("postgresql+pg8000://me:secret@localhost/db")
    assert "driver" in message and "not installed" in message and "pg8000" in message
    assert "secret" not in message


@pytest.mark.skipif(importlib.util.find_spec("psycopg2") is None, reason="needs psycopg2")
def test_an_unreachable_server():
    message = storage_error("postgresql+psycopg2://postgres:secret@127.0.0.1:1/nothing")
    assert message.startswith("cannot connect to postgresql+psycopg2://postgres:***@127.0.0.1:1/nothing")
    assert "server is running" in message


@pytest.mark.postgres
def test_a_missing_postgresql_database(pg_url):
    message = storage_error(pg_url.rsplit("/", 1)[0] + "/no_such_database_here")
    assert message.startswith("cannot connect to") and "no_such_database_here" in message


def test_a_newer_schema(db_url):
    open_store(db_url).close()
    engine = create_engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    message = storage_error(db_url)
    assert "created by a newer runner (schema revision ffff_future); upgrade runner" in message


def test_display_url_masks_passwords():
    assert display_url("postgresql://me:pw@host/db") == "postgresql://me:***@host/db"
    assert display_url("runs.db") == "sqlite:///runs.db"
