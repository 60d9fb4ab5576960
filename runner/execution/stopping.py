"""A sweep's stop flag in the database (``runner stop``, or Ctrl-C where a Dask sweep was started), seen by
every worker on every host: a worker claims nothing more, and a running run stops between steps as
Ctrl-C would stop it (interrupted, with a checkpoint; ``runner resume`` clears the flag)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.store import Store
    from runner.training.signals import StopFlag

__all__ = ["POLL_SECONDS", "SweepWatch"]

POLL_SECONDS = 1.0  # one small query per worker this often: what a stop costs to reach every host


class SweepWatch:
    """While in the block, sets ``flag.requested`` once ``sweep`` is asked to stop (a thread polls)."""

    def __init__(self, store: Store, sweep: str | None, flag: StopFlag, interval: float = POLL_SECONDS):
        self._store, self._sweep, self._flag, self._interval = store, sweep, flag, interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"stop-{sweep}", daemon=True)

    def __enter__(self) -> SweepWatch:
        if self._sweep is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        assert self._sweep is not None
        while not self._done.wait(self._interval):
            try:
                if self._store.sweep_stopped(self._sweep):
                    self._flag.requested = True
                    return
            except Exception:  # a busy database: the next look sees the flag
                pass
