"""A running run's sign of life, so that a killed one is never left "running".

The training loop's flushes already refresh the heartbeat; this thread
covers steps longer than a flush interval. A run whose heartbeat is older
than ``STALE_SECONDS``, or whose process on this host is gone, is marked
``lost`` by the next command that looks (ls, show, resume, report, a sweep):
``Store.mark_lost`` applies that rule.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.store import Store

HEARTBEAT_SECONDS = float(os.environ.get("RUNNER_HEARTBEAT_SECONDS", "5"))
STALE_SECONDS = 6 * HEARTBEAT_SECONDS


class Heartbeat:
    """Beats for ``run_id`` every HEARTBEAT_SECONDS until stopped (a context manager)."""

    def __init__(self, store: Store, run_id: int, interval: float = HEARTBEAT_SECONDS):
        self._store, self._run_id, self._interval = store, run_id, interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._store.heartbeat(self._run_id)
            except Exception:  # a busy database must not kill the run; the next beat retries
                pass
