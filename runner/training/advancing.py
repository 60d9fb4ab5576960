"""The loop's handler that advances the run's lr schedule (runner.training.scheduling) after each step."""

from __future__ import annotations

from typing import Any

from runner.training.handlers import Handler, Loop

__all__ = ["Scheduling"]


class Scheduling(Handler):
    """Advances the run's schedule after each optimizer step: the next step trains at the next lr. First of the
    loop's handlers, so that whatever reads the trainer after a step (a checkpoint) sees the schedule advanced."""

    def __init__(self, schedule: Any):
        self.advance = schedule.step

    def after_step(self, loop: Loop, step: int, loss: Any) -> None:
        self.advance()
