"""The feed reads only what is new: statuses, then each changing run's steps and metrics after the last read."""

from __future__ import annotations

import numpy as np

from runner.report.data import Selection
from runner.status import RunStatus
from runner.watch.feed import Feed
from tests.watch.conftest import config, steps


class Spy:
    """The store, recording which runs each poll asked steps of (and from which step)."""

    def __init__(self, store):
        self.store, self.asked = store, []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def steps_after(self, after):
        self.asked.append(dict(after))
        return self.store.steps_after(after)


def test_each_poll_returns_only_the_steps_after_the_last_read(any_store):
    run = any_store.create_run(config(), "cpu", sweep="s")
    any_store.append_steps(run, steps(0, 4))
    feed, spy = Feed(Selection(sweep="s")), Spy(any_store)

    first = feed.poll(spy)
    assert first.added == (run,) and first.statuses == {run: "running"} and first.first_points == (run,)
    assert first.steps[run]["step"].tolist() == [0, 1, 2, 3, 4]

    any_store.append_steps(run, steps(5, 7))
    second = feed.poll(spy)
    assert second.steps[run]["step"].tolist() == [5, 6, 7] and not second.structural
    assert spy.asked[-1] == {run: 4}  # from the last step read on
    assert second.steps[run]["loss"].tolist() == [10 / 6, 10 / 7, 10 / 8]

    assert not feed.poll(spy)  # nothing new: an empty update
    series = feed.tails[run].series()
    assert series.step.tolist() == list(range(8)) and np.allclose(series.elapsed, np.arange(1, 9) * 0.01)


def test_a_run_that_ends_is_read_once_more_then_no_longer(any_store):
    run = any_store.create_run(config(), "cpu", sweep="s")
    other = any_store.create_run(config(seed=1), "cpu", sweep="s")
    any_store.append_steps(run, steps(0, 2))
    feed, spy = Feed(Selection(sweep="s")), Spy(any_store)
    feed.poll(spy)

    any_store.append_steps(run, steps(3, 5))  # its last steps, then it ends, between two polls
    any_store.finish_run(run, RunStatus.COMPLETED, final_loss=10 / 6, best_loss=10 / 6)
    update = feed.poll(spy)
    assert update.statuses == {run: "completed"} and update.steps[run]["step"].tolist() == [3, 4, 5]
    assert spy.asked[-1] == {run: 2, other: -1}

    feed.poll(spy)
    assert spy.asked[-1] == {other: -1}  # the ended run is not read again; the running one still is


def test_a_run_queued_again_is_read_afresh(any_store):
    run = any_store.create_run(config(), "cpu", sweep="s")
    any_store.append_steps(run, steps(0, 9))
    any_store.finish_run(run, RunStatus.INTERRUPTED, final_loss=1.0, best_loss=1.0)
    feed = Feed(Selection(sweep="s"))
    feed.poll(any_store)
    assert feed.tails[run].last_step == 9

    any_store.requeue([run], restart=True)  # every step deleted: it starts over from step 0
    update = feed.poll(any_store)
    assert update.reset == (run,) and update.statuses == {run: "queued"} and update.structural
    assert feed.tails[run].last_step == -1 and not len(feed.tails[run].series())


def test_runs_that_join_or_leave_the_selection(any_store):
    first = any_store.create_run(config(), "cpu", sweep="s")
    any_store.create_run(config(), "cpu", sweep="other")
    feed = Feed(Selection(sweep="s"))
    assert feed.poll(any_store).added == (first,)

    second = any_store.create_run(config(seed=1), "cpu", sweep="s")
    assert feed.poll(any_store).added == (second,)
    any_store.delete_runs([first])
    update = feed.poll(any_store)
    assert update.removed == (first,) and list(feed.tails) == [second]

    by_id = Feed(Selection(run_ids=(second, 999)))  # a run id that is gone is left out, not an error
    assert by_id.poll(any_store).added == (second,)


def test_metrics_after_the_last_read(any_store):
    run = any_store.create_run(config(), "cpu", sweep="s")
    any_store.append_steps(run, steps(0, 9), metrics=[("val_loss", 4, 0.5), ("acc", 4, 0.1), ("grad", 4, 1.0)])
    feed = Feed(Selection(sweep="s"), ["val_loss", "acc"])
    first = feed.poll(any_store)
    assert {name: rows["value"].tolist() for name, rows in first.metrics[run].items()} == {"val_loss": [0.5], "acc": [0.1]}

    any_store.append_steps(run, steps(10, 19), metrics=[("val_loss", 14, 0.25), ("acc", 14, float("nan"))])
    second = feed.poll(any_store)
    assert second.metrics[run]["val_loss"]["step"].tolist() == [14]
    assert np.isnan(second.metrics[run]["acc"]["value"]).all()  # stored NaN read back as NaN
    metric = feed.tails[run].metric("val_loss")
    assert metric is not None and metric.value.tolist() == [0.5, 0.25]
    assert feed.tails[run].metric("grad") is None  # not asked for: not read
