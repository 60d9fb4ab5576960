"""Alembic's entry point for runner's migrations.

runner.store.db.upgrade passes an open connection in
``config.attributes["connection"]``; otherwise ``sqlalchemy.url`` is used.
Everything runs in one transaction that first takes a lock, so several
processes upgrading the same database at once run the migrations once:
on SQLite the transaction starts with BEGIN IMMEDIATE (see db.py), on
PostgreSQL it takes an advisory lock.
"""

from alembic import context
from sqlalchemy import Connection, text

from runner.store.models import Base

PG_LOCK_KEY = 0x72756E6E  # "runn": any constant that every runner process agrees on

config = context.config


def run_migrations(connection: Connection) -> None:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        # configured inside the transaction, so alembic treats it as external and adds none of its own
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    from runner.store.db import create_engine_for

    engine = create_engine_for(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
