"""The migration chain builds exactly the models' schema, and ships with the package."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from setuptools import find_packages
from sqlalchemy import inspect

from runner.store import open_store
from runner.store.db import MIGRATIONS, alembic_config, create_engine_for
from runner.store.models import HEAD, Base

ROOT = Path(__file__).resolve().parents[2]


def schema_differences(url: str) -> list:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
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
    assert tables(db_url) == {"alembic_version", "runs", "steps"}

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
