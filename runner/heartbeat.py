"""A running run's sign of life, so that a killed one is never left "running".

The training loop's flushes already refresh the heartbeat; this thread
covers steps longer than a flush interval. A run whose heartbeat is older
than ``STALE_SECONDS``, or whose process on this host is gone, is marked
``lost`` by the next command that looks (ls, show, resume, report, a sweep):
``Store.mark_lost`` applies that rule.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from runner.environment import positive
from runner.errors import OptionError

if TYPE_CHECKING:
    from runner.store import Store

VARIABLE = "RUNNER_HEARTBEAT_SECONDS"
DEFAULT_SECONDS = 5.0


def seconds_from_environment() -> float:
    """$RUNNER_HEARTBEAT_SECONDS, a positive number of seconds (default 5); OptionError names a bad value."""
    return positive(VARIABLE, DEFAULT_SECONDS, float, "a positive number of seconds", "5, or unset it")


def _seconds_at_import() -> float:
    # Importing must not fail (a traceback before click runs): the CLI refuses a bad value up front
    # (runner.cli.main calls seconds_from_environment), so the default stands in only until then.
    try:
        return seconds_from_environment()
    except OptionError:
        return DEFAULT_SECONDS


HEARTBEAT_SECONDS = _seconds_at_import()
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
