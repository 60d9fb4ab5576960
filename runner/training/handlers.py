"""The training loop's seam: handlers it calls at fixed points, so that a concern plugs in without touching the loop.

``runner.training.engine.train(..., handlers=[...])`` runs the steps and calls
each handler's hooks, handlers in list order. The loop's own handlers come
first: held-out evaluation (``runner.training.evaluation.Evaluate``, with
``--eval-every``) and flushing rows to the store (``runner.training.flushing``);
then those given, which ``runner.training.runs`` makes: checkpoints
(``runner.training.checkpointing``), then the caller's own, such as the stop flag
(``runner.training.signals.StopFlag``) and the progress bar
(``runner.training.reporting``). Every hook gets the ``Loop`` first (what a
handler may read and ask of the run), then::

    on_start(loop)                         once, before the first step (``loop.first``: a resumed run's is not 0)
    before_step(loop, step)                before each step; a stop asked for here ends the run before the step
    after_step(loop, step, loss)           after each step, its values in the loop's buffer
    on_tick(loop)                          between steps, a few times a second (``engine.PROGRESS_SECONDS``)
    on_evaluation(loop, step, results)     after an evaluation at ``step``: ``{name: value}``, on the host
    on_flush(loop, rows, metric_rows)      after the sink stored rows: (step, loss, seconds), (name, step, value)
    on_stop(loop, status, reason)          once, after the last rows reached the sink (or failed to)

Evaluation is the loop's first ``after_step``, so a step's ``on_evaluation``
comes before the ``after_step`` of the handlers given; flushing is an
``on_tick`` before theirs. ``on_stop``'s ``reason`` is the one given to ``loop.request_stop`` when that
ended the run between steps (its state is whole, so a checkpoint can be
taken), else None: the run completed, diverged, failed or was interrupted
within a step. ``on_start`` and ``on_stop`` are called for every run, even one
that fails at its first step.

``loss`` is the step's loss as the model returned it: on a GPU a device
tensor, and reading it (``float``, ``.item()``) makes the loop wait for the
device at every step. A handler that needs values reads them in ``on_flush``
(host floats, a batch at a time) or ``on_evaluation``.

Every hook is a no-op here. The loop calls only the hooks a handler's class
overrides, decided once before the first step (``Hooks``): a hook that no
handler implements costs nothing per step.

A handler that raises fails the run as a plugin's exception does: status
``failed``, its traceback recorded as the run's error; a later ``on_stop``
is still called, and the first error is the one kept.

This is where what a run may grow plugs in, with no change to the loop: a
learning-rate schedule (``after_step``: set the optimizer's rate), early
stopping (``on_flush`` or ``on_evaluation``: ``loop.request_stop(reason,
RunStatus.COMPLETED)``), keeping the best weights (``on_evaluation``: copy
``loop.trainer.model``'s), a search's pruning (``on_evaluation``: ask to
stop when the trial is behind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from runner.training.buffers import MetricRow, Row

if TYPE_CHECKING:
    from runner.status import RunStatus
    from runner.training.trainer import Trainer

__all__ = ["Loop", "Handler", "HOOKS", "Hooks", "implementing"]


class Loop(Protocol):
    """What a handler sees of the running loop (``runner.training.engine`` holds the one that runs)."""

    trainer: Trainer
    first: int  # the step this part of the run started at
    steps: int  # the run's steps: the loop stops after step ``steps - 1``
    done: int  # steps done so far
    now: float  # time.perf_counter() at the end of the latest step
    clock: float  # seconds of training so far (a resumed run's go on from its checkpoint's)
    flushed_at: float  # time.perf_counter() at the latest flush

    def request_stop(self, reason: str, status: RunStatus | None = None) -> None:
        """End the run before its next step, as ``status`` (default: interrupted); the first request counts,
        and one made after the last step changes nothing."""

    def flush(self) -> bool:
        """Hand every row computed so far to the sink (on a GPU, the one wait for the device); False if a loss
        diverged, and the loop then ends the run as diverged."""

    def all_stored(self) -> bool:
        """Whether the sink took every row flushed so far (False while the store is failing)."""

    def latest(self) -> tuple[float | None, Mapping[str, float]]:
        """The newest loss and metric values already on the host, without waiting on a device."""

    def stored(self) -> tuple[float | None, Mapping[str, float]]:
        """The newest loss and metric values that the sink took."""

    def record_evaluation(self, step: int, results: Mapping[str, float]) -> None:
        """Record values measured at ``step`` (on the host) as metric rows, then call each ``on_evaluation``."""


class Handler:
    """A concern of the training loop; override the hooks it needs (see the module's docstring for when each is called)."""

    def on_start(self, loop: Loop) -> None:
        pass

    def before_step(self, loop: Loop, step: int) -> None:
        pass

    def after_step(self, loop: Loop, step: int, loss: Any) -> None:
        pass

    def on_tick(self, loop: Loop) -> None:
        pass

    def on_evaluation(self, loop: Loop, step: int, results: Mapping[str, float]) -> None:
        pass

    def on_flush(self, loop: Loop, rows: Sequence[Row], metric_rows: Sequence[MetricRow]) -> None:
        pass

    def on_stop(self, loop: Loop, status: RunStatus, reason: str | None) -> None:
        pass


HOOKS = ("on_start", "before_step", "after_step", "on_tick", "on_evaluation", "on_flush", "on_stop")


class Hooks:
    """For each hook, the bound methods of the handlers that implement it, in the handlers' order."""

    def __init__(self, handlers: Sequence[Handler]):
        self.handlers = tuple(handlers)
        for hook in HOOKS:
            setattr(self, hook, implementing(self.handlers, hook))

    on_start: list[Callable[..., None]]
    before_step: list[Callable[..., None]]
    after_step: list[Callable[..., None]]
    on_tick: list[Callable[..., None]]
    on_evaluation: list[Callable[..., None]]
    on_flush: list[Callable[..., None]]
    on_stop: list[Callable[..., None]]


def implementing(handlers: Sequence[Handler], hook: str) -> list[Callable[..., None]]:
    """The handlers' ``hook`` methods, leaving out the no-ops they inherit from Handler."""
    default = getattr(Handler, hook)
    return [getattr(h, hook) for h in handlers if getattr(type(h), hook, default) is not default]
