"""What each command may do to the database it is pointed at: in-memory URLs are refused,
someone else's database is never touched, read-only commands create and upgrade nothing,
and a database on a read-only filesystem can still be read."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import update

from runner.errors import ForeignDatabase, OptionError, StorageError
from runner.store import open_store
from runner.store.db import APPLICATION_ID
from runner.store.models import runs
from tests.support.in_process import runner_here

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = ["--set", "batch=4", "--set", "d_in=5", "--set", "d_out=2"]
READING = [["ls"], ["show", "1"], ["export"], ["report", "1"]]
WRITING = [["run", "-m", "numpy", "--steps", "5", *DATA], ["resume"], ["rm", "1", "--force"]]


def runner(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return runner_here(*args, cwd=cwd)  # in this process: what each command says and leaves is the point


def one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", ":memory:", "sqlite:///file::memory:?uri=true",
                                 "sqlite:///file:x?mode=memory&uri=true"])
def test_an_in_memory_database_is_refused(url):
    with pytest.raises(OptionError, match="in-memory database.*give a file"):
        open_store(url)
    with pytest.raises(OptionError):
        open_store(url, create=False)


@pytest.mark.parametrize("args", [*READING, *WRITING], ids=lambda a: a[0])
def test_every_command_refuses_an_in_memory_database_with_exit_2(tmp_path, args):
    line = one_line_error(runner(*args, "--db", "sqlite://", cwd=tmp_path), 2)
    assert "in-memory database" in line and "give a file" in line
    assert list(tmp_path.iterdir()) == []  # nothing created, not even the default database


def test_a_sweep_on_an_in_memory_database_is_refused(tmp_path):
    result = runner("run", "-m", "numpy", "--seed", "0-1", "--steps", "5", "--db", "sqlite://", *DATA, cwd=tmp_path)
    assert "in-memory database" in one_line_error(result, 2)
    assert "queued" not in result.stdout


@pytest.fixture
def foreign(tmp_path) -> Path:
    """Another application's SQLite file, in its own (rollback journal) mode."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('ada')")
    conn.close()
    return path


@pytest.mark.parametrize("args", [*READING, *WRITING], ids=lambda a: a[0])
def test_every_command_refuses_another_applications_database_untouched(foreign, args):
    before = digest(foreign)
    line = one_line_error(runner(*args, "--db", str(foreign), cwd=foreign.parent), 2)
    assert "another application's tables (customers)" in line
    assert digest(foreign) == before  # not even switched to WAL mode
    assert sorted(p.name for p in foreign.parent.iterdir()) == ["other.db"]


@pytest.mark.parametrize("create", [True, False])
def test_open_store_refuses_another_applications_database(foreign, create):
    before = digest(foreign)
    with pytest.raises(StorageError, match="another application's tables"):
        open_store(str(foreign), create=create)
    assert digest(foreign) == before


@pytest.mark.parametrize("args", READING, ids=lambda a: a[0])
def test_a_reading_command_creates_no_database(tmp_path, args):
    result = runner(*args, "--db", "new.db", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_or_empty_database_reads_as_no_runs(tmp_path):
    with open_store(str(tmp_path / "missing.db"), create=False) as store:
        assert store.list_runs() == [] and store.mark_lost() == []
    empty = tmp_path / "empty.db"
    empty.touch()
    with open_store(str(empty), create=False) as store:
        assert store.list_runs() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"] and empty.stat().st_size == 0


def test_a_reading_command_does_not_upgrade_an_old_schema(tmp_path):
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema_0003.db", path)
    before = digest(path)
    for args in READING:
        line = one_line_error(runner(*args, "--db", str(path), cwd=tmp_path), 1)
        assert "older runner schema (revision 0003)" in line and "upgrades it" in line
        assert digest(path) == before
    assert runner("rm", "3", "--force", "--db", str(path), cwd=tmp_path).returncode == 0  # a writing command upgrades
    with open_store(str(path), create=False) as store:
        assert [r.id for r in store.list_runs()] == [2, 1]


def read_only_mount(folder: Path) -> Path:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc})")
    return folder


def test_a_database_on_a_read_only_filesystem_can_be_read(tmp_path):
    folder = read_only_mount(tmp_path / "mnt")
    try:
        db = str(folder / "runs.db")
        assert runner("run", "-m", "numpy", "--steps", "5", "--db", db, *DATA, cwd=tmp_path).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        listed = runner("ls", "--db", db, cwd=tmp_path)
        assert listed.returncode == 0 and "completed" in listed.stdout, listed.stderr
        assert runner("show", "1", "--db", db, cwd=tmp_path).returncode == 0
        exported = runner("export", "--db", db, cwd=tmp_path)
        assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 1 + 5
        report = runner("report", "1", "--db", db, "-o", str(tmp_path / "r.html"), cwd=tmp_path)
        assert report.returncode == 0 and (tmp_path / "r.html").exists(), report.stderr
        assert "cannot open" in one_line_error(runner("rm", "1", "--force", "--db", db, cwd=tmp_path), 1)
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_an_unwritable_file_is_opened_read_only(tmp_path, monkeypatch, make_config):
    # What a read-only filesystem looks like to open_store, for machines where no tmpfs can be mounted.
    db = str(tmp_path / "runs.db")
    with open_store(db) as store:
        run_id = store.create_run(make_config(steps=2), device="cpu")
        store.append_steps(run_id, [(0, 1.0, 0.1), (1, 0.5, 0.2)])
        with store._engine.begin() as conn:  # as if on another host, silent for a while
            conn.execute(update(runs).where(runs.c.id == run_id).values(host="elsewhere"))
    monkeypatch.setattr("runner.store.sqlite_writable", lambda path: False)
    monkeypatch.setattr("runner.store.db.sqlite_writable", lambda path: False)
    with open_store(db, create=False) as store:
        assert store.mark_lost(lost_after=0.001) == []  # it would be lost; a read-only store changes nothing
        assert [r.status for r in store.list_runs()] == ["running"]
        assert len(list(store.iter_steps([run_id]))) == 2
        with pytest.raises(StorageError, match="readonly"):
            store.heartbeat(run_id)
    with open_store(db) as store:
        assert store.list_runs()[0].status == "running"


# Issue 17, item 5: runner's databases are recognised positively; anything else is refused, not a byte changed.

ALL = [*READING, *WRITING, ["stop", "s"]]


@pytest.fixture
def lookalike(tmp_path) -> Path:
    """Another application's SQLite file whose tables are named as runner's are."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, run_id INTEGER, what TEXT)")
        conn.execute("INSERT INTO runs (title) VALUES ('morning jog')")
    conn.close()
    return path


@pytest.mark.parametrize("args", ALL, ids=lambda a: a[0])
def test_another_applications_runs_and_steps_tables_are_refused_untouched(lookalike, args):
    before = digest(lookalike)
    line = one_line_error(runner(*args, "--db", str(lookalike), cwd=lookalike.parent), 2)
    assert line == f"Error: {lookalike} holds another application's tables (runs, steps), not runner's; " \
                   "give runner its own database"
    assert digest(lookalike) == before  # not switched to WAL mode, no schema added
    assert sorted(p.name for p in lookalike.parent.iterdir()) == ["other.db"]  # no -wal or -shm file


@pytest.mark.parametrize("args", ALL, ids=lambda a: a[0])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path, args):
    path = tmp_path / "notes.db"
    path.write_bytes(b"shopping list: eggs, milk\n" * 200)
    before = digest(path)
    line = one_line_error(runner(*args, "--db", str(path), cwd=tmp_path), 2)
    assert "is not a runner database (file is not a database)" in line
    assert digest(path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_another_application_id_is_refused_even_without_tables(tmp_path):
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id = 1234")
    conn.close()
    before = digest(path)
    for create in (True, False):
        with pytest.raises(ForeignDatabase, match=r"belongs to another application \(its SQLite application id is 0x4d2\)"):
            open_store(str(path), create=create)
    assert digest(path) == before


def test_another_applications_alembic_revision_is_not_runners(tmp_path):
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('3f2a9c1be07d')")
        conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY)")
    conn.close()
    before = digest(path)
    with pytest.raises(ForeignDatabase, match=r"another application's tables \(alembic_version, runs\)"):
        open_store(str(path))
    assert digest(path) == before


def application_id(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        value = conn.execute("PRAGMA application_id").fetchone()[0]
    conn.close()
    return value


def test_a_database_runner_creates_carries_its_application_id(tmp_path):
    path = tmp_path / "runs.db"
    open_store(str(path)).close()
    assert application_id(path) == APPLICATION_ID == int.from_bytes(b"runn", "big")
    with open_store(str(path), create=False) as store:
        assert store.list_runs() == []


def test_a_file_of_an_earlier_runner_is_known_by_its_revision_and_marked_as_it_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema_0003.db", path)
    assert application_id(path) == 0
    with open_store(str(path)) as store:  # upgraded, runs kept
        assert [r.id for r in store.list_runs()] == [3, 2, 1]
    assert application_id(path) == APPLICATION_ID


def test_a_current_file_without_the_application_id_is_still_runners(tmp_path, make_config):
    path = tmp_path / "runs.db"
    with open_store(str(path)) as store:
        store.create_run(make_config(), device="cpu")
    with sqlite3.connect(path) as conn:  # as a runner from before application ids left it
        conn.execute("PRAGMA application_id = 0")
    conn.close()
    result = runner("ls", "--db", str(path), cwd=tmp_path)
    assert result.returncode == 0 and "running" in result.stdout, result.stderr


@pytest.fixture
def fresh_pg():
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    from tests.conftest import new_pg_database

    with new_pg_database("runner_foreign") as url:
        yield url


def pg_tables(url: str) -> list[tuple[str, int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars()
        counts = [(name, conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()) for name in list(names)]
    engine.dispose()
    return counts


@pytest.mark.postgres
@pytest.mark.slow  # nine commands
def test_a_postgresql_database_with_foreign_runs_and_steps_is_refused_untouched(fresh_pg, tmp_path):
    from sqlalchemy import create_engine, text

    engine = create_engine(fresh_pg)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id SERIAL PRIMARY KEY, title TEXT)"))
        conn.execute(text("CREATE TABLE steps (id SERIAL PRIMARY KEY, what TEXT)"))
        conn.execute(text("INSERT INTO runs (title) VALUES ('morning jog')"))
    engine.dispose()
    before = pg_tables(fresh_pg)
    for args in ALL:
        line = one_line_error(runner(*args, "--db", fresh_pg, cwd=tmp_path), 2)
        assert "holds another application's tables (runs, steps), not runner's" in line
    assert pg_tables(fresh_pg) == before  # no alembic_version, no runner table, their row kept


@pytest.mark.postgres
def test_a_postgresql_database_with_runners_revision_is_runners(fresh_pg, make_config):
    with open_store(fresh_pg) as store:
        store.create_run(make_config(), device="cpu")
    with open_store(fresh_pg, create=False) as store:
        assert len(store.list_runs()) == 1
