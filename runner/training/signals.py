"""Turning Ctrl-C and SIGTERM into a clean stop between steps."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from runner.status import RunStatus
from runner.training.handlers import Handler, Loop

__all__ = ["StopFlag", "graceful_stop"]


class StopFlag(Handler):
    """Set ``requested`` (from a signal handler, or runner.execution.stopping's thread) to end the run
    between steps: the loop finishes its step, stores every computed loss, takes a checkpoint and marks
    the run interrupted."""

    requested = False

    def before_step(self, loop: Loop, step: int) -> None:
        if self.requested:
            loop.request_stop("stop requested", RunStatus.INTERRUPTED)


@contextmanager
def graceful_stop() -> Iterator[StopFlag]:
    """Within this block, the first SIGINT or SIGTERM asks the loop to stop.

    The loop finishes its step, stores every computed loss and marks the run
    interrupted. A second signal raises KeyboardInterrupt at once.
    """
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag  # signals can only be handled in the main thread
        return

    def handler(signum, frame):
        if flag.requested:
            raise KeyboardInterrupt
        flag.requested = True

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
