"""Handing the loop's rows to the store at least every ``--flush-seconds`` (``ExecOptions.flush_seconds``).

Rows wait in the loop's buffer in between (on a GPU, on the device), so a
run pays for the store, and a GPU for its one wait, a few times a minute
rather than at every step. A checkpoint (runner.training.checkpointing) and the
loop's end flush too; this waits a whole interval after any flush.
"""

from __future__ import annotations

from runner.training.handlers import Handler, Loop

__all__ = ["FlushEvery"]


class FlushEvery(Handler):
    """Flushes the loop's rows once ``seconds`` have passed since the latest flush."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def on_tick(self, loop: Loop) -> None:
        if loop.now - loop.flushed_at >= self.seconds:
            loop.flush()
