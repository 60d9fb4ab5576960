"""Real processes for the watch tests: a sweep training slowly, and `runner watch` serving it."""

from __future__ import annotations

import subprocess
import time

import pytest

from runner.config import RunConfig
from runner.store import open_store
from tests.conftest import empty_pg, runner_command, subprocess_env

# tests/report/cdp.py sends every request to a proxy that does not exist; the watch server is on this host.
LOOPBACK = ("--proxy-bypass-list=127.0.0.1", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
SLEEPY = ["--model", "sleepy", "--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]  # tests.support.fake_plugins


def start_sweep(db_url: str, name: str, *args: str) -> subprocess.Popen:
    """`runner run ... --sweep NAME -j 1` in the background, training the sleepy model."""
    return subprocess.Popen(runner_command("run", *SLEEPY, *args, "--sweep", name, "-j", "1", "-q"),
                            env=subprocess_env(db_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def start_watch(db_url: str, *args: str) -> tuple[subprocess.Popen, str]:
    """`runner watch ARGS` in the background, and the address it printed."""
    process = subprocess.Popen(runner_command("watch", *args), env=subprocess_env(db_url),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("Serving "):
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"runner watch did not start: {line!r} {err}")
    return process, line.split()[1]


def wait_for(condition, timeout: float = 60, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not hold within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def processes():
    """Background processes started by a test, stopped when it ends."""
    started: list[subprocess.Popen] = []
    yield started
    for process in reversed(started):
        stop(process)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_url(request, db_url) -> str:
    """An empty database: the test's SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return db_url
    url = request.getfixturevalue("pg_url")
    empty_pg(url)
    return url


@pytest.fixture
def any_store(any_url):
    with open_store(any_url) as store:
        yield store


def config(**overrides) -> RunConfig:
    fields = dict(model="numpy", optimizer="gd", dataset="random", lr=1e-3, steps=100, seed=0)
    return RunConfig(**{**fields, **overrides})


def steps(first: int, last: int) -> list[tuple[int, float, float]]:
    """Rows for append_steps: steps first..last, loss 10/(step+1), 0.01 s a step."""
    return [(i, 10.0 / (i + 1), (i + 1) * 0.01) for i in range(first, last + 1)]
