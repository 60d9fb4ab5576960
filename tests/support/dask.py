"""Real Dask processes on 127.0.0.1 for the tests: a `dask scheduler` on a free port, `runner worker` hosts."""

from __future__ import annotations

import socket
import subprocess
import sys

from tests.conftest import runner_command, subprocess_env
from tests.support.processes import QUICK, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(db_url=None, **extra):
    return {**subprocess_env(db_url), **QUICK, **extra}


def start_scheduler(address: str | None = None, wait: bool = True) -> tuple[str, subprocess.Popen]:
    """A real `dask scheduler` on 127.0.0.1 (at ``address``, else a free port): its address and process; with
    ``wait``, once it takes connections."""
    address = address or f"tcp://127.0.0.1:{free_port()}"
    process = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                "--port", address.rpartition(":")[2], "--no-dashboard"],
                               env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if wait:
        wait_until(lambda: reachable(address), what="the scheduler")
    return address, process


def start_worker(address: str, host: str, *args: str, **popen) -> subprocess.Popen:
    """`runner worker ADDRESS ARGS` as host ``host`` (RUNNER_HOST); its output discarded unless ``popen`` says."""
    popen = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **popen}
    return subprocess.Popen(runner_command("worker", address, *args), env=env(RUNNER_HOST=host), **popen)


def reachable(address: str) -> bool:
    host, _, port = address.rpartition("//")[2].partition(":")
    try:
        socket.create_connection((host, int(port)), 0.2).close()
        return True
    except OSError:
        return False
