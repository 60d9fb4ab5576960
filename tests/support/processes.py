"""What the tests that drive real processes share: waiting for a condition, stopping a process, and the
settings and queries of the scale-out tests (Dask and SLURM)."""

from __future__ import annotations

import signal
import subprocess
import time

from runner.status import RunStatus

DATA = ["--set", "batch=4", "--set", "d_in=5", "--set", "d_out=2"]
# Heartbeats every 0.2 s, and another host's run lost after 2 s without one: a dead host's run goes quickly.
QUICK = {"RUNNER_HEARTBEAT_SECONDS": "0.2", "RUNNER_LOST_AFTER_SECONDS": "2"}


def wait_until(predicate, timeout=30.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def running_past(store, sweep: str, step: int = 12, host: str | None = None):
    """A running run of ``sweep`` (on ``host``, if given) that has stored at least ``step`` steps (by default,
    past its first checkpoint at 10), or None."""
    running = [r for r in store.list_runs(sweep=sweep, status=RunStatus.RUNNING)
               if r.steps_done >= step and host in (None, r.host)]
    return running[0] if running else None
