"""Telling a progress display how the run goes: a few times a second, and once at its end."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from runner.status import RunStatus
from runner.training.handlers import Handler, Loop

__all__ = ["ReportProgress"]

# (steps done, latest loss: None before the first, latest value of each metric on the host)
Progress = Callable[[int, float | None, Mapping[str, float]], None]


class ReportProgress(Handler):
    """Calls ``progress`` with the newest values already on the host (showing them costs no device sync),
    and at the end with those the store took."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def on_tick(self, loop: Loop) -> None:
        self.progress(loop.done, *loop.latest())

    def on_stop(self, loop: Loop, status: RunStatus, reason: str | None) -> None:
        self.progress(loop.done, *loop.stored())
