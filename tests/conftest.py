"""Fixtures shared by the whole suite: a fresh plugin registry, a database
under tmp_path, and a CLI runner pointed at it.

Every test sees only runner's own entry-point plugins (the ``runner``
package: plugins/) and the test plugins it names, never another package
that happens to be installed: $RUNNER_PLUGIN_PACKAGES is ``runner`` for the
whole session, its subprocesses included. A test that needs an installed
plugin package names it with ``@pytest.mark.plugin_packages("runner-sine")``.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG = {
    "host": os.environ.get("PGHOST", "127.0.0.1"),
    "port": int(os.environ.get("PGPORT", "5432")),
    "user": os.environ.get("PGUSER", "postgres"),
}


@contextmanager
def new_pg_database(prefix: str) -> Iterator[str]:
    """A database of its own on the PostgreSQL server, named ``prefix_…``, dropped afterwards; skipped where the
    server is absent (failed under CI=1)."""
    try:
        import psycopg2

        admin = psycopg2.connect(dbname="test", connect_timeout=3, **PG)
    except Exception as exc:  # ImportError or OperationalError
        message = f"PostgreSQL at {PG['host']}:{PG['port']} is not available ({str(exc).strip()})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test session."""
    with new_pg_database("runner_test") as url:
        yield url


def empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS sweeps, sweep_stops, artifacts, run_events, metrics, steps, runs, alembic_version CASCADE"))
    engine.dispose()




@pytest.fixture
def plugin_env(monkeypatch):
    """Load tests.support.fake_plugins alongside the built-ins."""
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins")
    monkeypatch.syspath_prepend(str(ROOT))
    # Sweep workers are subprocesses: they find the test plugins through PYTHONPATH.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


@pytest.fixture
def registry(plugin_env):
    from runner.registry import load_registry

    return load_registry()


@pytest.fixture
def metric_env(plugin_env, monkeypatch):
    """Also load tests.support.metric_plugins: datasets with validation splits, models with metrics."""
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.fake_plugins,tests.support.metric_plugins")


@pytest.fixture
def metric_registry(metric_env):
    from runner.registry import load_registry

    return load_registry()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "experiments.db"


@pytest.fixture
def db_url(db_path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def store(db_url):
    from runner.store import open_store

    s = open_store(db_url)
    yield s
    s.close()


class Cli:
    """Invoke ``runner`` in-process against the test database."""

    def __init__(self, db_url: str):
        self.runner = CliRunner()
        self.db_url = db_url

    def __call__(self, *args: str, code: int = 0, input: str | None = None):
        from runner.cli import main

        result = self.runner.invoke(main, list(args), env={"RUNNER_DB": self.db_url}, input=input, catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}, wanted {code}\n{result.output}"
        return result


@pytest.fixture
def cli(db_url, plugin_env) -> Cli:
    return Cli(db_url)


def subprocess_env(db_url: str | None = None) -> dict[str, str]:
    """Environment for a real `runner` subprocess that sees the test plugins."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["RUNNER_PLUGINS"] = "tests.support.fake_plugins"
    if db_url:
        env["RUNNER_DB"] = db_url
    return env


def runner_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "runner", *args]


OWN_PACKAGES = "runner"  # the distribution whose entry points are plugins/


def pytest_configure(config):
    """Hide installed plugin packages from the whole session (see the module's docstring)."""
    from runner.registry import PACKAGES_VARIABLE

    os.environ[PACKAGES_VARIABLE] = OWN_PACKAGES
    config.addinivalue_line("markers", "plugin_packages(*names): installed plugin packages this test loads besides runner's own")


@pytest.fixture(autouse=True)
def plugins_logger():
    """The runner.plugins logger as it was: a test's RUNNER_TRACE_PLUGINS=1 sets its level for the rest of the
    process (as the variable should in a real one), which must not trace the tests after it."""
    import logging

    logger = logging.getLogger("runner.plugins")
    level, handlers = logger.level, list(logger.handlers)
    yield logger
    logger.setLevel(level)
    logger.handlers[:] = handlers


@pytest.fixture(autouse=True)
def named_plugin_packages(request, monkeypatch):
    """Add the packages a ``plugin_packages`` marker names to the ones the test's registry loads."""
    from runner.registry import PACKAGES_VARIABLE

    names = [name for marker in request.node.iter_markers("plugin_packages") for name in marker.args]
    missing = [name for name in names if not _installed(name)]
    if missing:  # the examples are installed by .ci/run, not by the README's first command
        pytest.skip(f"needs the plugin package {', '.join(missing)} (pip install -e examples/...)")
    if names:
        monkeypatch.setenv(PACKAGES_VARIABLE, ",".join([OWN_PACKAGES, *names]))


def _installed(distribution: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(distribution)
    except PackageNotFoundError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    """The full tier's tests are marked ``full`` (tests/tiers.py); ``pytest`` runs the others."""
    from tests.tiers import assign

    assign(items, str(ROOT))
