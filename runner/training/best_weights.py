"""The best weights (``--keep-best METRIC``): a handler that copies the model's weights at each evaluation that
improves METRIC, kept as the run's artifact of kind "best" besides its final weights.

The copy is made where the weights are (``runner.checkpoints.weight_files.snapshot``: on a GPU a device copy,
queued without a wait) and only at an improving evaluation, whose values are on the host already; it is
written to the store (``write``) when a checkpoint is taken and when the run ends (runner.training.keeper), so a
crash loses only what the resumed run computes again. Its step is the steps done, as for every artifact:
the weights after the evaluation at step index S are "best at step S+1", and ``--steps S+1`` trains them again.

A resumed run goes on from the best it kept (``resumed``: its step and the metric's value there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runner.errors import PluginError
from runner.metrics import improves
from runner.training.early_stopping import missing_metric
from runner.training.handlers import Handler, Loop

__all__ = ["KeepBest"]

Save = Callable[[int, bytes], None]  # (steps done, the weights file's bytes): keep them as the run's "best"


class KeepBest(Handler):
    """Copies the weights at each evaluation that improves ``metric`` in direction ``way``; ``write`` saves the
    newest copy not saved yet with ``save``."""

    def __init__(self, metric: str, way: str, backend: str, save: Save,
                 resumed: Callable[[int], tuple[int, float] | None] = lambda first: None):
        self.metric, self.way, self.backend, self.save, self.resumed = metric, way, backend, save, resumed
        self.best: float | None = None
        self.best_step: int | None = None  # the evaluation's step index
        self.pending: tuple[int, dict[str, Any]] | None = None  # (steps done, the copy) not saved yet

    def on_start(self, loop: Loop) -> None:
        kept = self.resumed(loop.first) if loop.first else None
        if kept is not None:
            self.best_step, self.best = kept

    def on_evaluation(self, loop: Loop, step: int, results: Mapping[str, float]) -> None:
        from runner.checkpoints.weight_files import snapshot

        if self.metric not in results:
            raise PluginError(missing_metric(self.metric, results, loop.trainer.label))
        if improves(results[self.metric], self.best, self.way):
            self.best, self.best_step = results[self.metric], step
            self.pending = (step + 1, snapshot(loop.trainer.model, self.backend))

    def write(self) -> None:
        """Save the newest copy, if one is not saved yet (the one wait for a device here, at checkpoints and the end)."""
        from runner.checkpoints.weight_files import weights_bytes

        if self.pending is None:
            return
        done, weights = self.pending
        self.save(done, weights_bytes(weights, self.backend))
        self.pending = None
