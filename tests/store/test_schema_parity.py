"""A new database gets its schema straight from the models (create_schema);
an older one is upgraded by the migrations. Both must end up the same, or the
models and the migrations have drifted apart."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import CheckConstraint, Column, Connection, Integer, MetaData, Table, inspect, text

from runner.store.db import VERSION_TABLE, alembic_config, create_engine_for, create_schema
from runner.store.models import metadata


def snapshot(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every table as the database reports it. Columns are keyed by name, so their
    order is left out: migration 0002 appended ``sweep``, the models list it second."""
    inspector = inspect(conn)
    return {table: _table(conn, inspector, table) for table in inspector.get_table_names()}


def _table(conn: Connection, inspector: Any, table: str) -> dict[str, Any]:
    by_name = lambda items: sorted(items, key=lambda item: str(item.get("name")))  # noqa: E731
    return {
        "columns": {c["name"]: {**c, "type": repr(c["type"])} for c in inspector.get_columns(table)},
        "primary key": inspector.get_pk_constraint(table),
        "foreign keys": by_name(inspector.get_foreign_keys(table)),
        "indexes": by_name(inspector.get_indexes(table)),
        "unique": by_name(inspector.get_unique_constraints(table)),
        "checks": by_name({**c, "sqltext": " ".join(c["sqltext"].split())} for c in inspector.get_check_constraints(table)),
        "options": inspector.get_table_options(table) | _sqlite_options(conn, table),
    }


def _sqlite_options(conn: Connection, table: str) -> dict[str, bool]:
    """What SQLAlchemy's inspector may not report (AUTOINCREMENT; WITHOUT ROWID before 2.1)."""
    if conn.dialect.name != "sqlite":
        return {}
    sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}).scalar()
    return {"autoincrement": "AUTOINCREMENT" in sql.upper(), "without rowid": "WITHOUT ROWID" in sql.upper()}


def schema_of(url: str) -> dict[str, dict[str, Any]]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return snapshot(conn)
    finally:
        engine.dispose()


def created_then_dropped(url: str) -> dict[str, dict[str, Any]]:
    """The schema create_schema makes; the database is left empty again."""
    engine = create_engine_for(url)
    try:
        create_schema(engine)
        with engine.begin() as conn:
            made = snapshot(conn)
            metadata.drop_all(conn)
            VERSION_TABLE.drop(conn)
        return made
    finally:
        engine.dispose()


def migrated(url: str) -> dict[str, dict[str, Any]]:
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    return schema_of(url)


def test_the_models_make_the_schema_the_migrations_build(db_url):
    from_models = created_then_dropped(db_url)
    assert schema_of(db_url) == {}
    from_migrations = migrated(db_url)
    assert set(from_models) == {"alembic_version", "runs", "steps", "metrics", "run_events", "artifacts", "sweep_stops", "sweeps"}
    for table in from_migrations:
        assert from_models[table] == from_migrations[table], table
    assert from_models == from_migrations


def test_the_snapshot_sees_check_constraints_and_sqlite_table_options(db_url):
    # Guards the comparison above against passing because the dialect reported nothing.
    made = created_then_dropped(db_url)
    assert made["steps"]["foreign keys"][0]["options"] == {"ondelete": "CASCADE"}
    assert {index["name"] for index in made["runs"]["indexes"]} >= {"ix_runs_model", "ix_runs_status", "ix_runs_sweep"}
    if db_url.startswith("sqlite"):
        assert (made["runs"]["options"]["autoincrement"], made["runs"]["options"]["without rowid"]) == (True, False)
        assert (made["steps"]["options"]["autoincrement"], made["steps"]["options"]["without rowid"]) == (False, True)
    probe = Table("probe", MetaData(), Column("n", Integer), CheckConstraint("n > 0", name="ck_probe_positive"))
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:
            probe.create(conn)
            checks = snapshot(conn)["probe"]["checks"]
            probe.drop(conn)
    finally:
        engine.dispose()
    assert [check["name"] for check in checks] == ["ck_probe_positive"]
    assert "n > 0" in checks[0]["sqltext"]
