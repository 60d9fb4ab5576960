"""When the loop takes a checkpoint: every N steps (at multiples of N) or every S seconds
(``--checkpoint-every``, runner.checkpoints.every), and when a request ends the run between steps (a stop
flag, or early stopping).

A checkpoint is taken between steps, right after the loop's rows are
flushed, so that every row up to it is in the store when it is: resuming
from it neither skips a row nor stores one twice. While the store is
failing, or once a loss diverged, none is taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runner.checkpoints.every import parse_every
from runner.status import RunStatus
from runner.training.handlers import Handler, Loop

__all__ = ["checkpoints", "Checkpoints", "EverySteps", "EverySeconds"]

# (steps done, seconds of training so far): take a checkpoint now; every row up to then has reached the sink
OnCheckpoint = Callable[[int, float], None]


def checkpoints(every: str, take: OnCheckpoint) -> Handler:
    """The handler that calls ``take`` as ``every`` (``"300s"`` or ``"500 steps"``) says."""
    parsed = parse_every(every)
    if parsed.steps is not None:
        return EverySteps(take, parsed.steps)
    assert parsed.seconds is not None
    return EverySeconds(take, parsed.seconds)


class Checkpoints(Handler):
    """Takes a checkpoint at a stop between steps; its subclasses say when else."""

    def __init__(self, take: OnCheckpoint):
        self.take = take
        self.taken: int | None = None  # the steps done at the latest checkpoint: a stop right after it takes none
        self.last = time.perf_counter()

    def on_start(self, loop: Loop) -> None:
        self.last = time.perf_counter()

    def on_stop(self, loop: Loop, status: RunStatus, reason: str | None) -> None:
        # Stopped between steps, the state is whole: an interrupted run resumes from it, and one that stopped early
        # (completed) is continued from it by `runner resume RUN --no-early-stop` (runner.training.keeper keeps it).
        if reason is not None and status in (RunStatus.INTERRUPTED, RunStatus.COMPLETED):
            self.save(loop)

    def save(self, loop: Loop) -> None:
        """Flush what is pending, then take one; none when the flushed losses diverged or the store is failing."""
        if loop.done == self.taken:
            return
        if not loop.flush():  # the one sync, at checkpoint times only
            return
        if not loop.all_stored():
            return  # the store is failing: a checkpoint ahead of the stored rows would skip the kept ones
        self.take(loop.done, loop.clock)
        self.taken = loop.done
        self.last = time.perf_counter()
        self.saved(loop.done)

    def saved(self, done: int) -> None:
        pass


class EverySteps(Checkpoints):
    def __init__(self, take: OnCheckpoint, steps: int):
        super().__init__(take)
        self.steps = steps
        self.at_step = steps

    def on_start(self, loop: Loop) -> None:
        super().on_start(loop)
        self.at_step = (loop.first // self.steps + 1) * self.steps

    def after_step(self, loop: Loop, step: int, loss: Any) -> None:
        if loop.done == self.at_step:
            self.save(loop)

    def saved(self, done: int) -> None:
        self.at_step = (done // self.steps + 1) * self.steps


class EverySeconds(Checkpoints):
    def __init__(self, take: OnCheckpoint, seconds: float):
        super().__init__(take)
        self.seconds = seconds

    def on_tick(self, loop: Loop) -> None:
        if loop.now - self.last >= self.seconds:
            self.save(loop)
