"""Early stopping (``--early-stop METRIC --patience K [--min-delta D]``): a handler that ends the run at the evaluation
that shows no improvement of METRIC for K evaluations in a row.

It decides in ``on_evaluation``, whose values are on the host already (no
wait for a device), so the run ends before its next step: zero lag. An
improvement is a value better than the best so far by more than D in the
metric's direction (``runner.metrics.improves``). The run ends as
``completed``, and what stopped it is recorded (``EarlyStop.record``, kept in
``runs.early_stop``): the metric, the step it stopped after, the best value
and its step, the patience and min_delta, and the reason in words. An
evaluation at the last step that would stop the run changes nothing: the run
had reached its end.

A resumed run replays the values it stored before its checkpoint
(``history``), so it stops where the run left alone would have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runner.errors import PluginError
from runner.metrics import improves
from runner.status import RunStatus
from runner.training.handlers import Handler, Loop

__all__ = ["EarlyStop", "missing_metric"]


class EarlyStop(Handler):
    """Ends the run when ``metric`` has not improved for ``patience`` evaluations; ``record`` gets what happened."""

    def __init__(self, metric: str, way: str, patience: int, min_delta: float, record: Callable[[dict[str, Any]], None],
                 history: Callable[[int], Iterable[tuple[int, float]]] = lambda before: ()):
        self.metric, self.way, self.patience, self.min_delta = metric, way, patience, min_delta
        self.record, self.history = record, history
        self.best: float | None = None
        self.best_step: int | None = None
        self.waited = 0  # evaluations since the best
        self.stopped: dict[str, Any] | None = None  # what record gets, once the run asked to stop

    def on_start(self, loop: Loop) -> None:
        if loop.first:  # a resumed run: its evaluations before the checkpoint count
            for step, value in self.history(loop.first):
                self.seen(step, value)

    def on_evaluation(self, loop: Loop, step: int, results: Mapping[str, float]) -> None:
        if self.metric not in results:
            raise PluginError(missing_metric(self.metric, results, loop.trainer.label))
        if not self.seen(step, results[self.metric]) or step >= loop.steps - 1:
            return
        reason = (f"{self.metric} did not improve for {self.patience} evaluation{'s' * (self.patience != 1)}"
                  f"; best {self.best:.6g} at step {self.best_step}")
        self.stopped = {"metric": self.metric, "step": step, "best": self.best, "best_step": self.best_step,
                        "patience": self.patience, "min_delta": self.min_delta, "reason": reason}
        loop.request_stop(reason, RunStatus.COMPLETED)

    def seen(self, step: int, value: float) -> bool:
        """Take one evaluation's value; True when it is the one that ends the run."""
        if improves(value, self.best, self.way, self.min_delta if self.best is not None else 0.0):
            self.best, self.best_step, self.waited = value, step, 0
            return False
        self.waited += 1
        return self.waited >= self.patience

    def on_stop(self, loop: Loop, status: RunStatus, reason: str | None) -> None:
        if self.stopped is not None and status == RunStatus.COMPLETED and reason == self.stopped["reason"]:
            self.record(self.stopped)


def missing_metric(metric: str, results: Mapping[str, float], label: str) -> str:
    """The error of a run whose evaluation did not give the metric it decides by."""
    return (f"{label}: its evaluation gave {', '.join(sorted(results)) or 'no values'}, not {metric}, which the run "
            "decides by (--early-stop, --keep-best); return it from evaluate (or loss_and_grads) at every evaluation")
