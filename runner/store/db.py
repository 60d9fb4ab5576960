"""Engines, transactions, schema creation and upgrades, and turning database errors into StorageError.

Opening a store that is already at the newest schema costs one small query.
A new database gets the models' schema directly, stamped with HEAD as alembic
would stamp it; alembic is imported only for a database at an older revision.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DisconnectionError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import StaticPool

from runner.environment import DEFAULT_BUSY_SECONDS, LOST_AFTER_SECONDS, at_import, sqlite_busy_seconds
from runner.errors import ForeignDatabase, OptionError, StorageError, StorageUnavailable
from runner.store.models import HEAD, metadata

# What the rest of runner (and its tests and benchmarks) uses; the rest are this module's steps.
__all__ = [
    "APPLICATION_ID", "BUSY_TIMEOUT_SECONDS", "MIGRATIONS", "READ_ONLY", "VERSION_TABLE", "alembic_config", "check_ours",
    "check_same_file", "check_schema", "create_engine_for", "create_schema", "display_url", "empty_engine", "ensure_schema",
    "file_identity", "lock_schema", "read_revision", "server_connect_args", "sqlite_path", "sqlite_writable", "to_url",
    "transaction", "upgrade",
]

APPLICATION_NAME = "runner"  # what PostgreSQL's pg_stat_activity shows for runner's connections
CONNECT_TIMEOUT_SECONDS = 10  # a server that does not answer, rather than the system's minutes
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ALEMBIC_LOCK = threading.Lock()  # alembic's context and op are process-wide proxies
READ_ONLY = "runner_read_only"  # execution option: a read-only transaction (plain BEGIN on SQLite)
PG_LOCK_KEY = 0x72756E6E  # "runn": the advisory lock every runner process takes before changing the schema
APPLICATION_ID = 0x72756E6E  # "runn": the PRAGMA application_id of every SQLite file runner creates or upgrades

# Alembic's own version table (alembic.ddl.impl.DefaultImpl.version_table_impl), so that a
# database created here is the one alembic would have made; tests/store/test_schema_parity.py checks it.
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


BUSY_TIMEOUT_SECONDS = at_import(sqlite_busy_seconds, DEFAULT_BUSY_SECONDS)


def to_url(url: str) -> str:
    """A plain file path becomes a SQLite URL; anything with '://' is a URL already."""
    return url if "://" in url else f"sqlite:///{url}"


def choose_driver(url: URL) -> URL:
    """A bare postgresql:// uses psycopg (3), SQLAlchemy's default, or else psycopg2 if only that is installed."""
    if url.drivername == "postgresql" and find_spec("psycopg") is None and find_spec("psycopg2") is not None:
        return url.set(drivername="postgresql+psycopg2")
    return url


def display_url(url: str) -> str:
    """The URL with any password masked."""
    try:
        parsed = make_url(to_url(url))
    except (ArgumentError, ValueError):
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else to_url(url)


def sqlite_path(url: URL) -> str | None:
    """The file a SQLite URL names, or None (not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def refuse_memory(url: URL, shown: str) -> None:
    """An in-memory SQLite database vanishes when the command ends, so every command refuses one."""
    if url.get_backend_name() != "sqlite":
        return
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:") or url.query.get("mode") == "memory":
        raise OptionError(
            f"{shown} is an in-memory database, which keeps nothing once the command ends; "
            "give a file, e.g. --db experiments.db"
        )


def sqlite_writable(path: str) -> bool:
    """Whether this process can write the SQLite file at ``path`` and create its -wal and -shm files."""
    folder = os.path.dirname(os.path.abspath(path))
    return os.access(path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK) and not _read_only_mount(folder)


def _read_only_mount(folder: str) -> bool:
    # os.access says yes to root on a read-only filesystem; statvfs tells the truth.
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_url(url: URL, path: str) -> URL:
    """The same file opened read-only through SQLite's URI form. Where the -wal file cannot
    be created and is not there, the file is opened immutable: nothing can change it then,
    and SQLite would otherwise fail for want of a -shm file."""
    query = {"mode": "ro", "uri": "true"}
    if not sqlite_writable(path) and not os.path.exists(f"{path}-wal"):
        query["immutable"] = "1"
    return url.set(database=f"file:{quote(os.path.abspath(path))}", query=query)


def create_engine_for(url: str, read_only: bool = False) -> Engine:
    """An engine for ``url`` (or a plain file path), set up for several writers at once;
    ``read_only``: a SQLite file opened so that nothing, not even its journal mode, is written."""
    shown = display_url(url)
    try:
        parsed = choose_driver(make_url(to_url(url)))
        refuse_memory(parsed, shown)
        path = sqlite_path(parsed)
        if path is not None and os.path.isdir(path):
            raise StorageError(f"{path} is a directory, not a database file; give a file path such as {path}/experiments.db")
        is_sqlite = parsed.get_backend_name() == "sqlite"
        read_only = read_only and path is not None
        if read_only and path is not None:
            parsed = read_only_url(parsed, path)
        if is_sqlite:
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        else:  # a server's connection can be dropped (a restart, pg_terminate_backend): test each before use
            engine = create_engine(parsed, connect_args=server_connect_args(parsed), pool_pre_ping=True)
    except NoSuchModuleError:  # the user's to fix: a usage error (exit 2), before anything is created
        raise OptionError(
            f"unknown kind of database in {shown!r}; use sqlite:///path/to/file.db, "
            "a plain file path, or postgresql://user@host/dbname"
        ) from None
    except (ArgumentError, ValueError) as exc:  # make_url raises ValueError for a port that is not a number
        raise OptionError(f"{shown!r} is not a database URL ({first_line(exc)}); use e.g. sqlite:///experiments.db") from None
    except ImportError as exc:
        raise StorageError(
            f"the database driver for {shown} is not installed ({exc}); "
            "install it (for PostgreSQL: pip install 'runner[postgres]')"
        ) from None
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_read_only_connect if read_only else _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def server_connect_args(url: URL) -> dict[str, Any]:
    """PostgreSQL connections are named ``runner`` in pg_stat_activity, give up connecting after
    CONNECT_TIMEOUT_SECONDS (a run then tries again: runner.training.patience), and are ended by the server when idle
    inside a transaction for longer than a silent run's time to be lost, unless the URL says otherwise.

    Why the last: runner's transactions are short and never wait on the user, so one left open is a process
    that stopped in it (SIGSTOP, a host cut off from the network). Its row locks would hold until TCP gave up
    on it, hours later, and the other hosts' lost-run checks and claims would wait on them all that time. Its
    process, should it come back, finds its connection gone and retries as after any passing fault."""
    if url.get_backend_name() != "postgresql":
        return {}
    idle = f"-c idle_in_transaction_session_timeout={max(1000, int(LOST_AFTER_SECONDS * 1000))}"
    wanted = {"application_name": APPLICATION_NAME, "connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": idle}
    return {key: value for key, value in wanted.items() if key not in url.query}


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, or None if there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def check_same_file(path: str, identity: tuple[int, int]) -> None:
    """Raise StorageError (not a passing one) if the file at ``path`` is no longer ``identity``: SQLite
    would go on writing to the deleted file, or write into another one, and every row would be lost."""
    if file_identity(path) != identity:
        raise StorageError(
            f"{path} was deleted or replaced while runner was writing to it, so what this process wrote to it "
            "is lost with the old file; leave a database in place while runs write to it"
        )


def empty_engine() -> Engine:
    """An in-memory database with runner's schema and no runs: what a read-only command
    reads where there is no database yet, so that it creates nothing."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    return engine


def _sqlite_read_only_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout = {round(BUSY_TIMEOUT_SECONDS * 1000)}")


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLAlchemy's pysqlite recipe: let SQLAlchemy (not the driver) emit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {round(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    _set_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode, and far fewer fsyncs
    cursor.close()


def _set_wal(cursor: Any) -> None:
    # Switching a fresh file to WAL can fail at once with "database is locked" while another
    # process switches it (SQLite does not call the busy handler there), so wait here instead.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock up front so that concurrent writers wait (busy_timeout)
    # instead of failing with "database is locked" when a reader upgrades to a writer.
    # Read-only transactions take a snapshot instead, so long reads never block writers.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def transaction(engine: Engine, where: str) -> Iterator[Connection]:
    """A connection in a transaction that commits on success and rolls back on error;
    database errors come out as StorageError."""
    with database_errors(engine, where):
        conn = engine.connect()
        try:
            conn.begin()  # now, not at the first execute: _stream reads through the driver's own cursor
            yield conn
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:
                pass  # the connection is gone; the original error says why
            raise
        finally:
            conn.close()


def is_database_error(exc: BaseException, engine: Engine) -> bool:
    dbapi = engine.dialect.loaded_dbapi
    return isinstance(exc, SQLAlchemyError) or (dbapi is not None and isinstance(exc, dbapi.Error))


def is_passing(exc: BaseException, engine: Engine) -> bool:
    """Whether a database error may pass by itself: PEP 249's OperationalError (locked, full, a lost
    connection, a server that does not answer) and InterfaceError (a connection already closed)."""
    dbapi = engine.dialect.loaded_dbapi
    kinds: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
    if dbapi is not None:
        kinds += (dbapi.OperationalError, dbapi.InterfaceError)
    return isinstance(exc, kinds)


@contextmanager
def database_errors(engine: Engine, where: str, connecting: bool = False) -> Iterator[None]:
    """Raise the database's errors inside as one-line StorageErrors: StorageUnavailable for those that may pass."""
    try:
        yield
    except Exception as exc:
        if is_database_error(exc, engine):
            kind = StorageUnavailable if is_passing(exc, engine) else StorageError
            if not_sqlite(exc):  # not a database at all: someone else's file, refused as such (exit 2)
                kind = ForeignDatabase
            raise kind(describe(exc, where, connecting)) from exc
        raise


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only (no SQL, no background link)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0].strip() if lines else type(orig).__name__


def not_sqlite(exc: BaseException) -> bool:
    """Whether SQLite said the file is not one of its databases."""
    lowered = first_line(exc).lower()
    return "file is not a database" in lowered or "file is encrypted" in lowered


def describe(exc: BaseException, where: str, connecting: bool = False) -> str:
    """A one-line message for a database error, ending with what to do."""
    detail = first_line(exc)
    lowered = detail.lower()
    if not_sqlite(exc):
        return f"{where} is not a runner database (file is not a database); point runner at another file"
    if "database is locked" in lowered:
        return f"{where} was locked by another process for over {BUSY_TIMEOUT_SECONDS:g} s ({detail}); try again"
    if "disk is full" in lowered or "no space left" in lowered:
        return f"{where} cannot grow: its disk is full ({detail}); free some space"
    if "unable to open database file" in lowered:
        return f"cannot open {where} ({detail}); check that its folder exists and is writable"
    if "readonly database" in lowered:
        return f"cannot write to {where} ({detail}); check the file's permissions"
    if connecting:
        return f"cannot connect to {where} ({detail}); check that the server is running and the URL is right"
    return f"database error in {where} ({detail}); check the database and try again"


def check_schema(engine: Engine, where: str, create: bool) -> str | None:
    """The database's schema revision (None: no tables at all), read without writing anything.

    A database is runner's when it says so (see ``check_ours``); anything else is refused
    untouched (ForeignDatabase). Raises StorageError for one newer than this runner and,
    unless ``create``, one that needs an upgrade (only a command that writes upgrades a schema).
    """
    with database_errors(engine, where, connecting=engine.dialect.name != "sqlite"):
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            application_id = _application_id(conn)
            tables = set(inspect(conn).get_table_names())
            revision = _foreign_revision(conn) if VERSION_TABLE.name in tables else None
    check_ours(where, tables, revision, application_id)
    if revision not in (None, HEAD):
        check_known(where, revision)
        if not create:
            raise StorageError(
                f"{where} has an older runner schema (revision {revision}); "
                "a command that writes (runner run, resume or rm) upgrades it, then try again"
            )
    return revision


def check_ours(where: str, tables: set[str], revision: str | None, application_id: int | None) -> None:
    """Raise ForeignDatabase unless the database is runner's, or empty (no tables: runner may create its own).

    Runner's: a SQLite file with runner's application id (every file this runner creates or upgrades), or a
    database whose alembic_version holds one of runner's revisions (files of earlier runners, PostgreSQL).
    An unknown revision beside every table of runner's schema is a newer runner's (check_known says so);
    tables named ``runs`` and ``steps`` alone prove nothing.
    """
    if application_id not in (None, 0, APPLICATION_ID):
        raise ForeignDatabase(f"{where} belongs to another application (its SQLite application id is "
                              f"{application_id:#x}), not to runner; give runner its own database")
    if application_id == APPLICATION_ID or not tables:
        return
    if revision is not None and (revision == HEAD or is_known(revision) or set(metadata.tables) <= tables):
        return
    shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
    raise ForeignDatabase(f"{where} holds another application's tables ({shown}), not runner's; "
                          "give runner its own database")


def _application_id(conn: Connection) -> int | None:
    """SQLite's application id (0: none set), or None on another database."""
    if conn.dialect.name != "sqlite":
        return None
    return int(conn.exec_driver_sql("PRAGMA application_id").scalar() or 0)


def _foreign_revision(conn: Connection) -> str | None:
    """The revision in an alembic_version table that may be another application's: one whose rows are
    not alembic's reads as a revision no runner has."""
    try:
        return _revision(conn)  # the connection's last query: a failed one aborts nothing that follows
    except SQLAlchemyError:
        return "(not alembic's)"


def read_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database, or None for a fresh one."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE.name):
        return None
    return conn.execute(VERSION_TABLE.select()).scalar()


def lock_schema(conn: Connection) -> None:
    """Serialize schema changes, for the rest of ``conn``'s transaction. On SQLite the
    transaction's BEGIN IMMEDIATE (see _sqlite_begin) already holds the write lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})


def ensure_schema(engine: Engine, where: str) -> None:
    """Bring the database to HEAD, or raise StorageError if it is newer than this runner."""
    with database_errors(engine, where, connecting=engine.dialect.name != "sqlite"):
        revision = read_revision(engine)
    if revision is None:
        with database_errors(engine, where):
            revision = create_schema(engine)
    if revision != HEAD:
        upgrade(engine, where, revision)
    if engine.dialect.name == "sqlite":  # a file an earlier runner made is marked runner's as it is upgraded
        with database_errors(engine, where), engine.begin() as conn:
            if _application_id(conn) != APPLICATION_ID:
                stamp_application_id(conn)


def create_schema(engine: Engine) -> str | None:
    """Create the models' schema in a fresh database and stamp it HEAD, in one transaction.

    Several processes may do this at once: each takes the schema lock, and the
    ones after the first find the version table and create nothing. Returns
    the revision the database is then at (None: a version table with no row,
    left for alembic). An existing table of the same name makes it fail, as the
    first migration would, rather than adopt a table it did not create.
    """
    with engine.begin() as conn:
        lock_schema(conn)
        if inspect(conn).has_table(VERSION_TABLE.name):
            return _revision(conn)
        metadata.create_all(conn, checkfirst=False)
        VERSION_TABLE.create(conn)
        conn.execute(VERSION_TABLE.insert().values(version_num=HEAD))
        stamp_application_id(conn)
    return HEAD


def stamp_application_id(conn: Connection) -> None:
    """Mark a SQLite file as runner's (PRAGMA application_id), in ``conn``'s transaction; a no-op elsewhere."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, where: str, revision: str | None) -> None:
    """Upgrade to head with alembic. Safe when several processes do it at once:
    env.py runs the migrations in one transaction that takes lock_schema first,
    so the second one finds the schema at head."""
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config()
    if revision is not None:
        check_known(where, revision)
    try:
        with _ALEMBIC_LOCK, database_errors(engine, where), engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except CommandError as exc:
        raise StorageError(f"cannot upgrade the schema of {where} ({first_line(exc)}); upgrade runner") from exc


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one of this runner's migrations."""
    from alembic.script import ScriptDirectory

    return revision in {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def check_known(where: str, revision: str) -> None:
    """Raise StorageError unless ``revision`` is one of this runner's migrations."""
    if not is_known(revision):
        raise StorageError(f"{where} was created by a newer runner (schema revision {revision}); upgrade runner")
