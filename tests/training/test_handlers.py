"""The loop's seam (runner.training.handlers): a handler written here plugs in and is called as documented."""

import pytest

from runner.status import RunStatus
from runner.training.checkpointing import checkpoints
from runner.training.handlers import Handler, Hooks
from runner.training.options import ExecOptions
from tests.support.training import record

QUIET = ExecOptions(flush_seconds=3600)  # one flush, at the end: the calls do not depend on the clock


class Calls(Handler):
    """Notes each call but on_tick (a few times a second: how many depends on the clock)."""

    def __init__(self):
        self.calls = []

    def on_start(self, loop):
        self.calls.append(("on_start", loop.first, loop.steps, loop.done))

    def before_step(self, loop, step):
        self.calls.append(("before_step", step, loop.done))

    def after_step(self, loop, step, loss):
        self.calls.append(("after_step", step, loop.done, float(loss)))

    def on_evaluation(self, loop, step, results):
        self.calls.append(("on_evaluation", step, sorted(results)))

    def on_flush(self, loop, rows, metric_rows):
        self.calls.append(("on_flush", [r[0] for r in rows], sorted({name for name, _, _ in metric_rows})))

    def on_stop(self, loop, status, reason):
        self.calls.append(("on_stop", status, reason, loop.done))


class StopAfter(Handler):
    """Early stopping, as a search's pruning or a patience rule would be: asks to stop after step ``last``."""

    def __init__(self, last, status=None):
        self.last, self.status = last, status

    def after_step(self, loop, step, loss):
        if step == self.last:
            loop.request_stop(f"enough at step {step}", self.status)


class Faulty(Handler):
    def __init__(self, hook, at=2):
        self.hook, self.at = hook, at

    def after_step(self, loop, step, loss):
        if self.hook == "after_step" and step == self.at:
            raise ValueError(f"handler fault at step {step}")

    def on_stop(self, loop, status, reason):
        if self.hook == "on_stop":
            raise ValueError("handler fault at the end")


def test_a_handler_is_called_at_each_hook_in_order_with_its_arguments(metric_registry):
    calls = Calls()
    run = record(metric_registry, "counted", steps=4, dataset="heldout", eval_every=2, options=QUIET, handlers=[calls])
    assert run.outcome.status == "completed", run.outcome.error
    losses = run.losses
    evaluated = sorted({name for name, _, _ in run.metric_rows if name.startswith("val_")})
    assert evaluated and calls.calls == [
        ("on_start", 0, 4, 0),
        ("before_step", 0, 0), ("after_step", 0, 1, losses[0]),
        # the loop's own evaluation handler comes before those given, so its results before their after_step
        ("before_step", 1, 1), ("on_evaluation", 1, evaluated), ("after_step", 1, 2, losses[1]),
        ("before_step", 2, 2), ("after_step", 2, 3, losses[2]),
        ("before_step", 3, 3), ("on_evaluation", 3, evaluated), ("after_step", 3, 4, losses[3]),
        ("on_flush", [0, 1, 2, 3], sorted({name for name, _, _ in run.metric_rows})),  # once the sink took them
        ("on_stop", RunStatus.COMPLETED, None, 4),
    ]


def test_a_handler_that_asks_to_stop_ends_the_run_between_steps_with_a_checkpoint(registry):
    calls, taken = Calls(), []
    keep = checkpoints("300s", lambda done, seconds: taken.append(done))
    run = record(registry, "numpy", steps=10, options=QUIET, handlers=[keep, StopAfter(2), calls])
    assert run.outcome.status == "interrupted" and run.outcome.steps_done == 3
    assert [step for step, _, _ in run.rows] == [0, 1, 2]
    assert taken == [3]  # stopped between steps: the state is whole
    assert calls.calls[-2:] == [("on_flush", [0, 1, 2], []), ("on_stop", RunStatus.INTERRUPTED, "enough at step 2", 3)]
    assert ("before_step", 3, 3) in calls.calls  # asked after step 2: the stop comes before step 3


def test_early_stopping_completes_the_run_and_a_request_after_the_last_step_changes_nothing(registry):
    calls, taken = Calls(), []
    keep = checkpoints("300s", lambda done, seconds: taken.append(done))
    run = record(registry, "numpy", steps=10, options=QUIET, handlers=[keep, StopAfter(4, RunStatus.COMPLETED), calls])
    # a stop between steps takes a checkpoint, completed too: what `runner resume RUN --no-early-stop` continues from
    assert run.outcome.status == "completed" and run.outcome.steps_done == 5 and taken == [5]
    assert calls.calls[-1] == ("on_stop", RunStatus.COMPLETED, "enough at step 4", 5)
    run = record(registry, "numpy", steps=5, options=QUIET, handlers=[StopAfter(4), calls])
    assert run.outcome.status == "completed" and calls.calls[-1] == ("on_stop", RunStatus.COMPLETED, None, 5)


@pytest.mark.parametrize("hook", ["after_step", "on_stop"])
def test_a_handler_that_raises_fails_the_run_with_its_traceback_and_the_others_still_end(registry, hook):
    calls = Calls()
    run = record(registry, "numpy", steps=10, options=QUIET, handlers=[Faulty(hook), calls])
    assert run.outcome.status == "failed"
    assert "Traceback" in run.outcome.error and "ValueError: handler fault" in run.outcome.error
    assert f"in {hook}" in run.outcome.error  # the traceback says whose fault
    stored = 3 if hook == "after_step" else 10  # every computed step still reaches the sink
    assert [step for step, _, _ in run.rows] == list(range(stored)) and run.outcome.steps_done == stored
    assert calls.calls[-1][:2] == ("on_stop", RunStatus.FAILED)  # a later handler still ends, told so


def test_only_the_hooks_a_handler_overrides_are_called():
    class Ticks(Handler):
        def on_tick(self, loop):
            pass

    plain, ticks, stops = Handler(), Ticks(), StopAfter(1)
    hooks = Hooks([plain, ticks, stops])
    assert hooks.on_tick == [ticks.on_tick] and hooks.after_step == [stops.after_step]
    assert hooks.before_step == hooks.on_start == hooks.on_flush == hooks.on_stop == []
