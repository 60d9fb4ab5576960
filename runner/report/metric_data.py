"""A report's metrics, gathered from the store: each run's values and summary, each group's band, the best entry.

A metric is recorded at some steps only (an evaluation metric every N), so
each run's values keep their own steps; a group's band is over the steps
its runs recorded. Whether higher is better comes from
``runner.metrics.direction``, with the directions a run's model declared
(stored in the run's config JSON under ``metric_directions``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from runner.errors import OptionError
from runner.metrics import Direction, direction, unknown_metric_message
from runner.report.stats import ArrayRecord, Band, Spread, band_of, split_by_run, spread
from runner.store import MetricSummary, Store

__all__ = [
    "LOSS",
    "Best",
    "GroupMetric",
    "MetricSeries",
    "RunMetric",
    "UnknownMetric",
    "check_names",
    "choose_best",
    "group_metric",
    "read_metrics",
    "run_metric",
]

LOSS = "loss"  # --best may name the loss as well as a metric
METRIC_DTYPE = np.dtype([("run_id", np.int64), ("step", np.int64), ("value", np.float64)])


class UnknownMetric(OptionError):
    """A metric that no selected run recorded: a usage error."""


@dataclass(frozen=True, eq=False)
class MetricSeries(ArrayRecord):
    """One run's values of one metric, in step order, exactly as stored (NaN and inf included)."""

    step: np.ndarray  # int64
    value: np.ndarray  # float64

    @classmethod
    def empty(cls) -> MetricSeries:
        return cls(np.empty(0, np.int64), np.empty(0, np.float64))

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class RunMetric:
    """One metric of one run: what ``Store.metric_summary`` says, and every stored value."""

    summary: MetricSummary
    series: MetricSeries = field(repr=False)

    @property
    def nonfinite(self) -> int:
        return int(np.count_nonzero(~np.isfinite(self.series.value)))


@dataclass(frozen=True)
class GroupMetric:
    """One metric of a seed group: its runs' final values, the best of any run, and the band per step."""

    name: str
    direction: Direction
    final: Spread  # over the runs' final values
    best: float | None  # the best finite value of any run, by ``direction``
    band: Band = field(repr=False)


@dataclass(frozen=True)
class Best:
    """The entry that ``--best NAME`` marks: the best final value (a group's mean over its seeds)."""

    metric: str
    direction: Direction
    value: float
    run_id: int | None = None  # an ungrouped run, or
    group: str | None = None  # a group's key

    def marks(self, entry: Any) -> bool:
        """Whether ``entry`` (a Group or a RunData) is the best one."""
        key = getattr(entry, "key", None)
        return key == self.group if key is not None else entry.id == self.run_id

    def describe(self) -> str:
        way = "highest" if self.direction == "max" else "lowest"
        return f"★ marks the best by {self.metric}: the {way} final value (a seed group's mean over its seeds)."



def check_names(names: Sequence[str], best: str | None, known: Iterable[str]) -> None:
    """UnknownMetric, naming the first of ``names`` (or ``best``) that no selected run recorded."""
    known = set(known)
    for name in (*names, *([best] if best is not None else [])):
        if name not in known and not (name == best == LOSS):
            raise UnknownMetric(unknown_metric_message(name, known))


def read_metrics(store: Store, run_ids: Sequence[int], names: Sequence[str]) -> dict[int, dict[str, MetricSeries]]:
    """Every stored value of these metrics of these runs, one streamed query per metric, by run then name.

    ``iter_metrics`` orders by run, name and step, so each run is one contiguous slice.
    """
    out: dict[int, dict[str, MetricSeries]] = {}
    for name in names:
        rows = np.fromiter(
            ((run_id, step, value) for run_id, _, step, value in store.iter_metrics(list(run_ids), [name])),
            dtype=METRIC_DTYPE,
        )
        for run_id, chunk in split_by_run(rows):
            out.setdefault(run_id, {})[name] = MetricSeries(chunk["step"].copy(), chunk["value"].copy())
    return out


def run_metric(name: str, way: Direction, series: MetricSeries, stored: int | None = None) -> RunMetric:
    """What ``Store.metric_summary`` says about these values, without asking the database again.

    ``stored``: the count of values stored, when ``series`` holds only some of them (runner.report.reading
    keeps a run's first, last, lowest and highest values, and reads in part only runs whose values are all finite).
    """
    n = len(series) if stored is None else stored
    best = best_step = None
    finite = np.isfinite(series.value)
    if finite.any():
        ranked = np.where(finite, series.value if way == "min" else -series.value, np.inf)
        at = int(np.argmin(ranked))  # the first step that reached the best value
        best, best_step = float(series.value[at]), int(series.step[at])
    first = float(series.value[0]) if n else None
    final = float(series.value[-1]) if n else None
    return RunMetric(MetricSummary(name, n, first, final, best, best_step, way), series)


def group_metric(name: str, way: Direction, members: Sequence[RunMetric | None], aligned: bool = False) -> GroupMetric:
    """The group's metric from its runs' (None: a run that did not record it); ``aligned``: some were read in
    part, and the band is over the steps they share (runner.report.stats.band_of)."""
    present = [m for m in members if m is not None]
    bests = [m.summary.best for m in present if m.summary.best is not None]
    pick = max if way == "max" else min
    return GroupMetric(
        name=name,
        direction=way,
        final=spread([m.summary.final for m in present]),
        best=pick(bests) if bests else None,
        band=band_of([m.series.step for m in present], [m.series.value for m in present], aligned=aligned),
    )


def metric_direction(name: str, declared: Mapping[str, str]) -> Direction:
    return "min" if name == LOSS else direction(name, declared)


def choose_best(name: str, way: Direction, finals: Iterable[tuple[Any, float | None]]) -> Best | None:
    """The best of (entry, final value) pairs by ``way``, ties to the first; None when no value is finite."""
    best: tuple[Any, float] | None = None
    for entry, value in finals:
        if value is None or not math.isfinite(value):
            continue
        if best is None or (value > best[1] if way == "max" else value < best[1]):
            best = (entry, value)
    if best is None:
        return None
    entry, value = best
    key = getattr(entry, "key", None)
    return Best(name, way, value, run_id=None if key is not None else entry.id, group=key)
