"""Alembic's entry point for runner's migrations.

runner.store.db.upgrade passes an open connection in
``config.attributes["connection"]``; otherwise ``sqlalchemy.url`` is used.
Everything runs in one transaction that first takes the schema lock
(runner.store.db.lock_schema, which also guards creating a new database),
so several processes upgrading the same database at once run the
migrations once.

On SQLite, foreign keys are off while the migrations run: a migration in
batch mode rebuilds a table, and dropping the old ``runs`` with them on
would delete every step (ON DELETE CASCADE). SQLite's own procedure for
rebuilding a table (lang_altertable.html) does the same, and checks the
keys before it commits.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Connection

from runner.store.db import create_engine_for, lock_schema
from runner.store.models import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    with foreign_keys_off(connection), connection.begin():
        lock_schema(connection)
        # configured inside the transaction, so alembic treats it as external and adds none of its own
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "sqlite" and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
            raise RuntimeError("the migration left a step without its run; nothing was changed")


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite only: foreign keys off for the block (the pragma works only outside a transaction)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    cursor = connection.connection.cursor()  # the driver's own: SQLAlchemy would begin a transaction first

    def foreign_keys_on() -> bool:
        row = cursor.execute("PRAGMA foreign_keys").fetchone()
        return bool(row and row[0])

    was_on = foreign_keys_on()
    cursor.execute("PRAGMA foreign_keys = OFF")
    if foreign_keys_on():
        raise RuntimeError("cannot turn SQLite's foreign keys off inside a transaction; migrate on a fresh connection")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if was_on else 'OFF'}")
        cursor.close()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = create_engine_for(config.get_main_option("sqlalchemy.url", ""))
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
