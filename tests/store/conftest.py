"""Fixtures for the store tests.

Here ``db_url`` and ``store`` are parametrized: each test that uses them runs
on a fresh SQLite file under tmp_path and on PostgreSQL. PostgreSQL tests
share one database created for the test session (runner_test_<random>,
dropped at the end) and start from empty tables. If the server cannot be
reached they are skipped, unless $CI is set, when they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.config import RunConfig
from runner.store import open_store
from tests.conftest import empty_pg

ROOT = Path(__file__).resolve().parents[2]
@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("pg_url")
    empty_pg(url)
    return url


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.close()


@pytest.fixture
def make_config():
    def make(**overrides) -> RunConfig:
        fields = dict(model="linear", optimizer="sgd", dataset="random", lr=0.01, steps=100, seed=0)
        return RunConfig(**{**fields, **overrides})

    return make


@pytest.fixture
def python_env() -> dict[str, str]:
    """The environment for a Python subprocess that imports this checkout's runner."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("RUNNER_DB", None)
    return env

