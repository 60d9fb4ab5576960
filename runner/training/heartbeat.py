"""A running run's sign of life, so that a killed one is never left "running".

The training loop's flushes already refresh the heartbeat; this thread
covers steps longer than a flush interval (it beats even while a step runs,
unless the step holds the GIL). The next command that looks (ls, show,
resume, report, a sweep) marks a running run ``lost`` by ``Store.mark_lost``'s
rule: on this host, only when its process is gone (a stopped or busy process
is still running); on another host, when its heartbeat is older than
``LOST_AFTER_SECONDS`` ($RUNNER_LOST_AFTER_SECONDS, default 60). A lost run
whose process writes again takes its status back. Both settings are read in
runner.environment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from runner.environment import HEARTBEAT_SECONDS

__all__ = ["Heartbeat"]


class Heartbeat:
    """Calls ``beat(run_id)`` (a Store's ``heartbeat``) every HEARTBEAT_SECONDS until stopped (a context manager)."""

    def __init__(self, beat: Callable[[int], None], run_id: int, interval: float = HEARTBEAT_SECONDS):
        self._beat, self._run_id, self._interval = beat, run_id, interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._beat(self._run_id)
            except Exception:  # a busy database must not kill the run; the next beat retries
                pass
