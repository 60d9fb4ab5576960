# Kept hand-written, not tenacity or backoff: they retry by blocking the caller; here training goes on between tries.
"""How long a run rides out a database that fails, and how often it tries again meanwhile.

A fault that may pass (``StorageUnavailable``: the database locked, full or
unreachable, a connection lost) does not fail a run at once. The run keeps
what it could not write, tries again after 0.25 s, then 0.5 s, 1 s, ...
(doubling, at most ``MAX_WAIT`` apart, never every step) and goes on
training meanwhile. Each success forgets the fault; a fault that lasts
``--db-deadline`` seconds (``ExecOptions.db_deadline``) fails the run, with
one line saying why. Recording the run's end is retried the same way, under
the same deadline, so a run never waits for the database twice as long.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from runner.errors import DatabaseGaveUp, StorageUnavailable

__all__ = ["FIRST_WAIT", "MAX_WAIT", "DEFAULT_DEADLINE", "T", "Patience"]

FIRST_WAIT = 0.25  # seconds before the first retry; each further one waits twice as long ...
MAX_WAIT = 10.0  # ... up to this
DEFAULT_DEADLINE = 300.0  # seconds: --db-deadline's default

T = TypeVar("T")


class Patience:
    """One run's fault so far: when it began, when to try again, and when to give up."""

    def __init__(self, deadline: float = DEFAULT_DEADLINE, clock: Callable[[], float] = time.monotonic):
        self.deadline = deadline
        self._clock = clock
        self.since: float | None = None  # when the current fault began (None: no fault)
        self._failures = 0
        self._next_try = 0.0

    def ready(self) -> bool:
        """Whether it is time to try the database (always, when it is not failing)."""
        return self.since is None or self._clock() >= self._next_try

    def succeeded(self) -> None:
        self.since, self._failures = None, 0

    def failed(self, fault: StorageUnavailable, unsaved: str = "") -> None:
        """Count ``fault``; DatabaseGaveUp (a StorageError, not a passing one) once the fault has lasted the deadline.

        ``unsaved`` says what is lost on giving up, e.g. '40 computed steps'."""
        now = self._clock()
        if self.since is None:
            self.since = now
        self._failures += 1
        if now - self.since >= self.deadline:
            lost = f", {unsaved} not stored" if unsaved else ""
            raise DatabaseGaveUp(f"the database failed for over {self.deadline:g} s (--db-deadline{lost}): {fault}") from fault
        wait = min(MAX_WAIT, FIRST_WAIT * 2 ** (self._failures - 1))
        self._next_try = min(now + wait, self.since + self.deadline)  # one last try at the deadline itself

    def sleep(self) -> None:
        """Wait until the next try is due."""
        time.sleep(max(0.0, self._next_try - self._clock()))

    def call(self, action: Callable[[], T], unsaved: str = "") -> T:
        """``action()``, tried again while it raises StorageUnavailable, until the deadline."""
        while True:
            if not self.ready():
                self.sleep()
            try:
                result = action()
            except StorageUnavailable as fault:
                self.failed(fault, unsaved)
                continue
            self.succeeded()
            return result
