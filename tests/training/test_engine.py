import dataclasses
import math
import threading
import time

import pytest

from runner.config import resolve
from runner.errors import StorageError, StorageUnavailable
from runner.request import RunChoice
from runner.training import engine
from runner.training.checkpointing import checkpoints
from runner.training.engine import prepare, train
from runner.training.options import ExecOptions
from runner.training.reporting import ReportProgress
from runner.training.signals import StopFlag

SMALL = ["batch=4", "d_in=3", "d_out=2"]


def run(registry, model, steps=10, sets=(), params=None, handlers=(), **options):
    resolved = resolve(registry, RunChoice(model, steps=steps, sets=[*SMALL, *sets]))
    if params:
        config = resolved.config
        config = dataclasses.replace(config, model_params={**config.model_params, **params})
        resolved = dataclasses.replace(resolved, config=config)
    batches = []
    outcome = train(prepare(resolved), steps, lambda rows, _: batches.append(rows), ExecOptions(**options),
                    handlers=handlers)
    return outcome, batches, [row for batch in batches for row in batch]


@pytest.mark.parametrize("value", [float("inf"), float("nan"), float("-inf")])
def test_non_finite_loss_ends_the_run_as_diverged_with_the_value_kept(registry, value):
    outcome, _, rows = run(registry, "explode", params={"value": value})
    assert outcome.status == "diverged"
    assert [step for step, _, _ in rows] == [0, 1, 2, 3]
    last = rows[-1][1]
    assert (math.isnan(last) and math.isnan(value)) or last == value
    assert outcome.steps_done == 4 and outcome.best_loss == pytest.approx(100 / 3)


def test_an_exception_in_a_plugin_fails_the_run_and_keeps_earlier_steps(registry):
    outcome, _, rows = run(registry, "crash")
    assert outcome.status == "failed"
    assert "RuntimeError: boom at step 3" in outcome.error and "Traceback" in outcome.error
    assert [step for step, _, _ in rows] == [0, 1, 2]


def test_losses_reach_the_sink_in_batches_not_per_step(registry):
    outcome, batches, rows = run(registry, "numpy", steps=200, flush_seconds=3600)
    assert outcome.status == "completed" and outcome.steps_done == 200
    assert len(batches) == 1 and [r[0] for r in rows] == list(range(200))
    elapsed = [r[2] for r in rows]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0


def test_frequent_flushes_keep_every_step_in_order(registry):
    outcome, batches, rows = run(registry, "sleepy", steps=30, flush_seconds=0.05)
    assert len(batches) > 1
    assert [r[0] for r in rows] == list(range(30))


def test_stop_flag_interrupts_between_steps_and_keeps_every_computed_step(registry):
    stop = StopFlag()
    timer = threading.Timer(0.3, lambda: setattr(stop, "requested", True))
    timer.start()
    outcome, _, rows = run(registry, "sleepy", steps=100_000, handlers=[stop])
    assert outcome.status == "interrupted"
    assert 0 < outcome.steps_done == len(rows) < 100_000


def test_a_failing_sink_does_not_lose_rows(registry):
    calls, stored = [], []

    def flaky(rows, metric_rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise OSError("disk busy")
        stored.extend(rows)

    outcome = train(prepare(resolve(registry, RunChoice("sleepy", sets=SMALL))), 40, flaky, ExecOptions(flush_seconds=0.05))
    assert outcome.status == "failed" and "disk busy" in outcome.error
    assert [r[0] for r in stored] == list(range(len(stored))) and stored
    assert outcome.steps_done == len(stored)


def test_progress_reports_steps_and_loss(registry):
    seen = []
    progress = ReportProgress(lambda n, loss, metrics: seen.append((n, loss, metrics)))
    outcome, _, rows = run(registry, "sleepy", steps=30, handlers=[progress])
    assert seen[-1] == (30, rows[-1][1], {})


def test_device_buffer_copies_in_blocks_and_stops_at_divergence():
    torch = pytest.importorskip("torch")
    from runner.training.buffers import DeviceStepBuffer

    buffer = DeviceStepBuffer(torch.device("cpu"), block=4)
    for step, value in enumerate([3.0, 2.0, 1.0, 0.5, 0.25]):
        buffer.add(step, torch.tensor(value), step * 0.1)
    assert [r[0] for r in buffer.rows] == [0, 1, 2, 3]  # one full block copied, one pending
    assert [r[1] for r in buffer.drain()[0]] == [3.0, 2.0, 1.0, 0.5, 0.25]
    for step, value in enumerate([1.0, float("inf"), 2.0], start=5):
        buffer.add(step, torch.tensor(value), 0.0)
    rows, _ = buffer.drain()
    assert buffer.diverged and [r[0] for r in rows] == [5, 6] and rows[-1][1] == float("inf")


# --- metrics a model reports with its loss (issue 9) ---

def test_a_models_metrics_are_recorded_at_every_step_beside_its_loss(metric_registry):
    from tests.support.training import record

    run = record(metric_registry, "counted", steps=6, dataset="heldout")
    assert run.outcome.status == "completed"
    assert [step for step, _, _ in run.rows] == list(range(6))
    half = run.metric("half_loss")
    assert list(half) == list(range(6)) and all(half[s] == loss / 2 for s, loss in enumerate(run.losses))
    assert run.metric("w_sum") == {s: pytest.approx(-1e-3 * s * 15) for s in range(6)}  # w before step s's update
    assert run.outcome.metrics == {"half_loss": half[5], "w_sum": run.metric("w_sum")[5]}


def test_models_without_metrics_hand_the_sink_no_metric_rows(registry):
    from tests.support.training import record

    run = record(registry, "numpy", steps=5, sets=["batch=4", "d_in=3", "d_out=2"])
    assert run.outcome.status == "completed" and len(run.rows) == 5
    assert run.metric_rows == [] and run.outcome.metrics == {}


@pytest.mark.parametrize("model, message", [
    ("badname", "returned a metric with a bad name: 'Bad Name' is not a word"),
    ("nonscalar", "returned metric 'per_row' of shape (3,), not a scalar"),
    ("fickle", "stopped returning the metrics of its first step (half_loss)"),
])
def test_a_model_breaking_the_metrics_protocol_fails_its_run_naming_the_plugin(metric_registry, model, message):
    from runner.cli.run import last_error_line
    from tests.support.training import record

    run = record(metric_registry, model, steps=5, dataset="heldout")
    assert run.outcome.status == "failed"
    line = last_error_line(run.outcome.error)
    assert line.startswith("PluginError: plugin 'tests.support.metric_plugins' (local), model") and message in line


def test_metric_values_on_a_device_are_copied_with_the_loss_in_blocks():
    torch = pytest.importorskip("torch")
    from runner.training.buffers import DeviceStepBuffer

    buffer = DeviceStepBuffer(torch.device("cpu"), names=("acc", "lr"), block=2)
    for step in range(3):
        buffer.add(step, torch.tensor(float(step)), 0.0, [torch.tensor(0.5 * step), 0.1])
    assert len(buffer.rows) == 2  # one block copied, one step pending
    buffer.add_metrics(2, {"val_loss": 7.0})
    rows, metric_rows = buffer.drain()
    assert [r[1] for r in rows] == [0.0, 1.0, 2.0]
    assert sorted(metric_rows) == sorted(
        [("acc", s, 0.5 * s) for s in range(3)] + [("lr", s, pytest.approx(0.1)) for s in range(3)] + [("val_loss", 2, 7.0)]
    )
    assert buffer.latest_metrics == {"acc": 1.0, "lr": pytest.approx(0.1), "val_loss": 7.0}


def test_an_autograd_models_metrics_are_detached_and_its_classes_reach_build(metric_registry):
    from tests.support.training import record

    run = record(metric_registry, "softmax", steps=30, sets=())
    assert run.outcome.status == "completed", run.outcome.error
    accuracy = run.metric("accuracy")
    assert len(accuracy) == 30 and accuracy[29] > accuracy[0] and 0 <= min(accuracy.values()) <= max(accuracy.values()) <= 1


def test_a_loss_that_still_requires_grad_is_read_without_a_warning(metric_registry):
    import warnings

    from tests.support.training import record

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = record(metric_registry, "sticky", steps=3)
    assert run.outcome.status == "completed", run.outcome.error
    assert len(run.rows) == 3


def test_progress_shows_the_newest_metrics(metric_registry):
    from tests.support.training import record

    seen = []
    run = record(metric_registry, "counted", steps=5, dataset="heldout",
                 handlers=[ReportProgress(lambda n, loss, metrics: seen.append((n, dict(metrics))))])
    assert seen[-1] == (5, run.outcome.metrics)


# --- checkpoints: taken between steps, and resuming from a step (issue 11) ---

def checkpointed(registry, model, steps, stop_after=None, checkpoint_every="300s", **options):
    """Train with checkpoints noting (steps done, seconds, rows the sink had by then); stop after ``stop_after`` steps."""
    rows, calls = [], []
    resolved = resolve(registry, RunChoice(model, steps=steps, sets=SMALL))
    trainer = prepare(resolved)
    stop = StopFlag()
    if stop_after is not None:
        step, taken = trainer.step, []

        def counted():
            taken.append(1)
            stop.requested = len(taken) >= stop_after
            return step()

        trainer.step = counted
    keep = checkpoints(checkpoint_every, lambda done, seconds: calls.append((done, seconds, len(rows))))
    outcome = train(trainer, steps, lambda got, _: rows.extend(got), ExecOptions(**options), handlers=[keep, stop])
    return outcome, rows, calls


def test_a_checkpoint_is_taken_every_n_steps_after_the_rows_so_far_reach_the_sink(registry):
    outcome, rows, calls = checkpointed(registry, "numpy", 12, checkpoint_every="5 steps", flush_seconds=3600)
    assert outcome.status == "completed" and [(done, seen) for done, _, seen in calls] == [(5, 5), (10, 10)]
    assert [seconds for _, seconds, _ in calls] == [rows[4][2], rows[9][2]]  # the time of the step it follows


def test_by_default_a_short_run_takes_no_checkpoint_and_a_stopped_run_always_does(registry):
    outcome, rows, calls = checkpointed(registry, "numpy", 12)
    assert outcome.status == "completed" and calls == []
    outcome, rows, calls = checkpointed(registry, "numpy", 12, stop_after=7)
    assert outcome.status == "interrupted" and outcome.steps_done == 7
    assert calls == [(7, rows[-1][2], 7)]
    outcome, rows, calls = checkpointed(registry, "numpy", 12, stop_after=6, checkpoint_every="3 steps")
    assert [done for done, _, _ in calls] == [3, 6]  # not twice at 6: once there, a stop adds none


def test_checkpoints_by_time_come_between_steps_after_a_flush(registry):
    outcome, rows, calls = checkpointed(registry, "sleepy", 30, checkpoint_every="0.1s", flush_seconds=3600)
    assert outcome.status == "completed" and calls
    assert all(done == seen for done, _, seen in calls)


def test_no_checkpoint_is_taken_of_a_diverged_run(registry):
    outcome, rows, calls = checkpointed(registry, "explode", 10, checkpoint_every="1 step")
    assert outcome.status == "diverged" and [done for done, _, _ in calls] == [1, 2, 3]


def test_a_failing_checkpoint_fails_the_run_and_keeps_its_rows(registry):
    rows = []

    def fails(done, seconds):
        raise OSError("disk full")

    outcome = train(prepare(resolve(registry, RunChoice("numpy", sets=SMALL))), 10, lambda got, _: rows.extend(got),
                    handlers=[checkpoints("4 steps", fails)])
    assert outcome.status == "failed" and "OSError: disk full" in outcome.error
    assert [r[0] for r in rows] == [0, 1, 2, 3] and outcome.steps_done == 4


def test_a_resumed_run_numbers_its_steps_and_times_on_from_the_checkpoint(registry):
    rows, calls = [], []
    outcome = train(prepare(resolve(registry, RunChoice("numpy", sets=SMALL))), 10, lambda got, _: rows.extend(got),
                    start=6, elapsed=100.0, handlers=[checkpoints("4 steps", lambda done, seconds: calls.append(done))])
    assert outcome.status == "completed" and outcome.steps_done == 10 and outcome.seconds >= 100
    assert [r[0] for r in rows] == [6, 7, 8, 9] and all(r[2] >= 100 for r in rows)
    assert calls == [8]  # at multiples of 4, as the run left alone takes them


def flaky_sink(fails_while):
    """A sink that refuses with a passing fault while ``fails_while()`` holds; returns it, the lengths it
    refused and the rows it stored."""
    refused, stored = [], []

    def sink(rows, metric_rows):
        if fails_while():
            refused.append(len(rows))
            raise StorageUnavailable("x.db was locked by another process for over 1 s (database is locked); try again")
        stored.extend(rows)

    return sink, refused, stored


def for_seconds(seconds):
    until = time.monotonic() + seconds
    return lambda: time.monotonic() < until


def test_a_passing_store_fault_is_ridden_out_and_loses_nothing(registry):
    sink, refused, stored = flaky_sink(for_seconds(0.6))
    outcome = train(prepare(resolve(registry, RunChoice("sleepy", sets=SMALL))), 120, sink, ExecOptions(flush_seconds=0.02))
    assert outcome.status == "completed" and outcome.error is None
    assert [r[0] for r in stored] == list(range(120)) and outcome.steps_done == 120
    assert refused == sorted(set(refused))  # the kept rows only grow
    # tried again after 0.25 s, 0.5 s, ...: not at each of the ~30 flushes the fault lasted
    assert 2 <= len(refused) <= 4


def test_training_waits_for_the_store_once_the_memory_bound_is_reached(registry, monkeypatch):
    monkeypatch.setattr(engine, "PENDING_LIMIT", 20)
    sink, refused, stored = flaky_sink(for_seconds(1.5))
    outcome = train(prepare(resolve(registry, RunChoice("sleepy", sets=SMALL))), 200, sink, ExecOptions(flush_seconds=0.02))
    assert outcome.status == "completed" and [r[0] for r in stored] == list(range(200))
    at_bound = [n for n in refused if n >= 20]
    assert len(at_bound) >= 2 and len(set(at_bound)) == 1  # offered again and again, and no step computed meanwhile
    assert max(refused) < 20 + 10  # at most one flush (0.02 s of 0.01 s steps, and slack) past the bound


def test_a_store_fault_past_the_deadline_fails_the_run_in_one_line(registry):
    sink, refused, stored = flaky_sink(lambda: True)
    started = time.monotonic()
    outcome = train(prepare(resolve(registry, RunChoice("sleepy", sets=SMALL))), 10_000, sink,
                    ExecOptions(flush_seconds=0.02, db_deadline=0.5))
    assert 0.5 <= time.monotonic() - started < 5
    assert outcome.status == "failed" and outcome.steps_done == 0 and not stored
    assert "\n" not in outcome.error.strip()
    assert outcome.error.startswith("StorageError: the database failed for over 0.5 s (--db-deadline, ")
    assert "computed steps not stored): x.db was locked" in outcome.error


def test_a_store_fault_that_cannot_pass_fails_the_run_at_once(registry):
    def sink(rows, metric_rows):
        raise StorageError("x.db was deleted or replaced while runner was writing to it")

    outcome = train(prepare(resolve(registry, RunChoice("sleepy", sets=SMALL))), 10_000, sink, ExecOptions(flush_seconds=0.02))
    assert outcome.status == "failed" and outcome.steps_done == 0
    assert outcome.error == "StorageError: x.db was deleted or replaced while runner was writing to it"
