"""How a run stands: the one list of statuses, and what each means to the commands.

A run is queued (in a sweep, waiting for a worker), running, or has ended
as one of the rest. The store keeps the value (and refuses any other), the
engine and workers produce it, the CLI filters and exits by it. Nothing
here imports anything heavy: ``runner ls`` builds its ``--status`` choice
from this module.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["RunStatus", "ACTIVE", "ENDED", "ABNORMAL", "RESUMABLE", "FAILURES", "EXIT_CODES", "VALUES"]


class RunStatus(str, Enum):
    """A run's status; a ``str``, so it compares, stores and prints as its value."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    LOST = "lost"

    def __str__(self) -> str:  # the value, also in f-strings, on every Python (3.12 changed the default)
        return self.value


#: Not started yet, or under way.
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
#: Over, one way or another, in the order a summary lists them: completed first.
ENDED = tuple(status for status in RunStatus if status not in ACTIVE)
#: Ended without completing.
ABNORMAL = tuple(status for status in ENDED if status is not RunStatus.COMPLETED)
#: Stopped before their end by a signal or a lost process: ``runner resume`` continues them.
RESUMABLE = (RunStatus.INTERRUPTED, RunStatus.LOST)
#: A sweep with --fail-fast stops claiming after one of these.
FAILURES = (RunStatus.FAILED, RunStatus.DIVERGED)

#: ``runner run``'s exit status for how its run ended, so that scripts can tell the outcomes apart.
EXIT_CODES = {RunStatus.COMPLETED: 0, RunStatus.FAILED: 1, RunStatus.DIVERGED: 3, RunStatus.INTERRUPTED: 130}

#: Every status as a plain string, in declaration order (for click choices and the database's CHECK).
VALUES = tuple(status.value for status in RunStatus)
