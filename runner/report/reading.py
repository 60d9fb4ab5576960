"""Reading the runs' steps (and metrics) for a report: every one, or about as many as are drawn, summaries exact.

With a number of points per run, a run with more than twice as many finite
losses is read in part, in two passes in the database
(runner.store.sampling): first each run's count, first and last step,
lowest and highest loss; then the rows at every Nth step (one N for every
run, so that a seed group's runs share their steps), plus each run's first,
last, lowest and highest rows. What a report says of a run (its first,
final and best loss, the step of the best, its training time) is thus the
same as from every step, and so is its count of steps. A run with a
non-finite loss, and a short run, is read whole. A metric (``--metric``) is
read the same way, one value in every N steps. The store keeps every step;
`runner export` writes them all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from runner.report.metric_data import MetricSeries, read_metrics
from runner.report.stats import ArrayRecord, split_by_run
from runner.store import Store

__all__ = ["STEP_DTYPE", "Sampling", "Series", "read_metric", "read_series", "read_steps"]

STEP_DTYPE = np.dtype([("run_id", np.int64), ("step", np.int64), ("loss", np.float64), ("elapsed", np.float64)])
ROW_DTYPE = np.dtype([("step", np.int64), ("loss", np.float64), ("elapsed", np.float64)])  # one run's
WHOLE_BELOW = 2  # a run with at most this many times the points asked for is read whole


@dataclass(frozen=True, eq=False)
class Series(ArrayRecord):
    """One run's steps in step order, as stored (NaN and inf included): every one, or the rows read (see Sampling)."""

    step: np.ndarray  # int64
    loss: np.ndarray  # float64
    elapsed: np.ndarray  # float64, seconds since the run started

    @classmethod
    def empty(cls) -> Series:
        return cls(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class Sampling:
    """How a report read the runs' losses (or one metric): every one, or for the runs in ``sampled`` one row
    in every ``every`` steps plus each one's first, last, lowest and highest."""

    points: int | None = None  # the rows per run asked for; None: every step of every run was read
    every: int = 1
    sampled: tuple[int, ...] = ()  # ids of the runs read in part
    stored: dict[int, int] = field(default_factory=dict)  # rows stored, by run id (runs read in part only)
    what: str = "loss"  # or a metric's name

    def describe(self) -> str | None:
        """For the page: what was read in part and how; None when every step was read."""
        if not self.sampled:
            return None
        n = len(self.sampled)
        stored = sum(self.stored[i] for i in self.sampled)
        were = "were" if n != 1 else "was"
        more = f"more than {WHOLE_BELOW * (self.points or 0):,}"
        if self.what == "loss":
            return (
                f"Read in part: {n} run{'s' if n != 1 else ''} with {more} steps ({stored:,} stored) {were} read "
                f"from the database at the steps that are multiples of {self.every:,}, plus each one's "
                "first, last, lowest and highest loss; the summaries (final and best loss, its step, the count of "
                "steps, the training time) are exact, counted over every stored step. Shorter runs, and runs with "
                "a non-finite loss, were read whole."
            )
        return (
            f"Read in part: the {self.what} of {n} run{'s' if n != 1 else ''} with {more} values ({stored:,} stored) "
            f"{were} read from the database at one value in every {self.every:,} steps, plus each one's first, "
            f"last, lowest and highest; its final and best values and their count are exact. Shorter runs, and "
            f"runs with a non-finite {self.what}, were read whole."
        )


def read_series(store: Store, run_ids: Sequence[int]) -> dict[int, Series]:
    """Every stored step of these runs, read in one streamed query, as one Series per run."""
    if not run_ids:
        return {}
    return _by_run(np.fromiter(store.iter_steps(list(run_ids)), dtype=STEP_DTYPE))


def _by_run(rows: np.ndarray) -> dict[int, Series]:
    # The store orders by run then step, so each run is one contiguous slice.
    return {
        run_id: Series(chunk["step"].copy(), chunk["loss"].copy(), chunk["elapsed"].copy())
        for run_id, chunk in split_by_run(rows)
    }


def read_steps(store: Store, run_ids: Sequence[int], points: int | None = None) -> tuple[dict[int, Series], Sampling]:
    """The runs' steps, one Series per run that stored any: every one (``points`` None), or about
    ``points`` of each long run (see the module's doc)."""
    if points is None or not run_ids:
        return read_series(store, run_ids), Sampling()
    extents = store.step_extents(run_ids)
    long = {i: e for i, e in extents.items() if e.finite and e.rows > WHOLE_BELOW * points}
    series = read_series(store, [i for i in sorted(extents) if i not in long])
    if not long:
        return series, Sampling(points)
    every = max(1, math.ceil(max(e.last_step - e.first_step + 1 for e in long.values()) / points))
    for run_id, rows in store.iter_sampled_steps(long.values(), every):
        table = np.array(rows, dtype=ROW_DTYPE)
        series[run_id] = Series(table["step"], table["loss"], table["elapsed"])
    return series, Sampling(points, every, tuple(sorted(long)), {i: e.rows for i, e in long.items()})


def read_metric(
    store: Store, run_ids: Sequence[int], name: str, points: int | None = None
) -> tuple[dict[int, MetricSeries], Sampling]:
    """One metric's values, one MetricSeries per run that recorded any: every one (``points`` None), or about
    ``points`` of each run with many, as ``read_steps`` reads the loss."""
    if points is None or not run_ids:
        return {i: found[name] for i, found in read_metrics(store, run_ids, [name]).items()}, Sampling(what=name)
    extents = store.metric_extents(run_ids, name)
    long = {i: e for i, e in extents.items() if e.finite and e.rows > WHOLE_BELOW * points}
    short = [i for i in sorted(extents) if i not in long]
    series = {i: found[name] for i, found in read_metrics(store, short, [name]).items()} if short else {}
    if not long:
        return series, Sampling(points, what=name)
    every = max(1, math.ceil(max(e.last_step - e.first_step + 1 for e in long.values()) / points))
    for run_id, rows in store.iter_sampled_metric(name, long.values(), every):
        table = np.array(rows, dtype=[("step", np.int64), ("value", np.float64)])
        series[run_id] = MetricSeries(table["step"], table["value"])
    return series, Sampling(points, every, tuple(sorted(long)), {i: e.rows for i, e in long.items()}, name)
