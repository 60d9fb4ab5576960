"""A running run's sign of life, so that a killed one is never left "running".

The training loop's flushes already refresh the heartbeat; this thread
covers steps longer than a flush interval (it beats even while a step runs,
unless the step holds the GIL). The next command that looks (ls, show,
resume, report, a sweep) marks a running run ``lost`` by ``Store.mark_lost``'s
rule: on this host, only when its process is gone (a stopped or busy process
is still running); on another host, when its heartbeat is older than
``LOST_AFTER_SECONDS`` ($RUNNER_LOST_AFTER_SECONDS, default 60). A lost run
whose process writes again takes its status back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from runner.environment import positive
from runner.errors import OptionError

if TYPE_CHECKING:
    from runner.store import Store

VARIABLE = "RUNNER_HEARTBEAT_SECONDS"
DEFAULT_SECONDS = 5.0
LOST_VARIABLE = "RUNNER_LOST_AFTER_SECONDS"
DEFAULT_LOST_AFTER = 60.0


def seconds_from_environment() -> float:
    """$RUNNER_HEARTBEAT_SECONDS, a positive number of seconds (default 5); OptionError names a bad value."""
    return positive(VARIABLE, DEFAULT_SECONDS, float, "a positive number of seconds", "5, or unset it")


def lost_after_from_environment() -> float:
    """$RUNNER_LOST_AFTER_SECONDS (default 60): how old another host's run's heartbeat may grow before the
    run is lost. It must exceed the heartbeat interval; OptionError names a bad value."""
    beat = seconds_from_environment()
    lost_after = positive(LOST_VARIABLE, DEFAULT_LOST_AFTER, float, "a positive number of seconds", "60, or unset it")
    if lost_after <= beat:
        shown = f"={lost_after:g}" if os.environ.get(LOST_VARIABLE, "").strip() else f" (unset: {lost_after:g})"
        raise OptionError(
            f"{LOST_VARIABLE}{shown} is not longer than the heartbeat interval ({VARIABLE}={beat:g}); "
            f"set it to several intervals, e.g. {max(DEFAULT_LOST_AFTER, 6 * beat):g}"
        )
    return lost_after


def check_environment() -> None:
    """Raise OptionError for a bad $RUNNER_HEARTBEAT_SECONDS or $RUNNER_LOST_AFTER_SECONDS (the CLI's first check)."""
    lost_after_from_environment()


def _at_import(read: Callable[[], float], default: float) -> float:
    # Importing must not fail (a traceback before click runs): the CLI refuses a bad value up front
    # (runner.cli.main calls check_environment), so the default stands in only until then.
    try:
        return read()
    except OptionError:
        return default


HEARTBEAT_SECONDS = _at_import(seconds_from_environment, DEFAULT_SECONDS)
LOST_AFTER_SECONDS = _at_import(lost_after_from_environment, max(DEFAULT_LOST_AFTER, 6 * HEARTBEAT_SECONDS))


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
