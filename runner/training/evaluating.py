"""The handler that evaluates a run every ``--eval-every`` steps (runner.training.evaluation does the evaluating):
apart, so that a Trainer can hold its Evaluator without the handler seam."""

from __future__ import annotations

from typing import Any

from runner.training.handlers import Handler, Loop

__all__ = ["Evaluate"]


class Evaluate(Handler):
    """Evaluates the loop's trainer every ``--eval-every`` steps and after its last, recording the values
    at that step (one copy to the host per evaluation); the loop adds this when the run evaluates."""

    def after_step(self, loop: Loop, step: int, loss: Any) -> None:
        trainer = loop.trainer
        if trainer.evaluates_at(step, loop.steps - 1):
            assert trainer.evaluator is not None  # the loop adds this handler only then
            loop.record_evaluation(step, trainer.evaluator())
