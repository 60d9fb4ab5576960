"""A report's metrics, gathered from the store: each run's values and summary, each group's band, the best entry.

A metric is recorded at some steps only (an evaluation metric every N), so
each run's values keep their own steps; a group's band is over the steps
its runs recorded. Whether higher is better comes from
``runner.metrics.direction``, with the directions a run's model declared
(stored in the run's config JSON under ``metric_directions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from runner.errors import OptionError
from runner.metrics import VALIDATION_PREFIX, Direction, direction, unknown_metric_message
from runner.report.ranking import Side, rank
from runner.report.stats import ArrayRecord, Band, Spread, band_of, split_by_run, spread
from runner.store import MetricSummary, Store

__all__ = [
    "BOUNDED",
    "LOSS",
    "Best",
    "NotAGoal",
    "GroupMetric",
    "MetricSeries",
    "RunMetric",
    "UnknownMetric",
    "bounds_of",
    "check_names",
    "choose_best",
    "group_metric",
    "read_metrics",
    "run_metric",
    "tracked",
]

LOSS = "loss"  # --best may name the loss as well as a metric
METRIC_DTYPE = np.dtype([("run_id", np.int64), ("step", np.int64), ("value", np.float64)])


# Names that end so are fractions, from 0 to 1 (runner.metrics calls them higher-is-better): a linear axis, and
# intervals cut at the bound. A run that recorded one outside [0, 1] (a percentage) makes it unbounded.
BOUNDED = ("accuracy", "acc", "f1", "auc", "precision", "recall")
UNIT = (0.0, 1.0)


class UnknownMetric(OptionError):
    """A metric that no selected run recorded: a usage error."""


class NotAGoal(OptionError):
    """--best naming a tracked value (lr, grad_norm...): a usage error, since nothing makes it better."""


def tracked(name: str) -> bool:
    """Whether ``name`` is one of runner's tracked values (runner.training.tracking: lr, grad_norm, param_norm): recorded to
    watch, not a goal, so it has no best."""
    from runner.training.tracking import TRACKERS

    return name in TRACKERS


def bounds_of(name: str, values: Iterable[np.ndarray]) -> tuple[float, float] | None:
    """(0, 1) for an accuracy-like name whose finite values all lie there; None for any other metric."""
    base = name[len(VALIDATION_PREFIX):] if name.startswith(VALIDATION_PREFIX) else name
    if not base.lower().endswith(BOUNDED):
        return None
    for value in values:
        finite = value[np.isfinite(value)]
        if len(finite) and (finite.min() < UNIT[0] or finite.max() > UNIT[1]):
            return None
    return UNIT


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
    """The entry that ``--best NAME`` marks, by runner.report.ranking's rule on each run's final value; or, when the
    rule cannot tell the top entries apart, the entries tied (and none is marked)."""

    metric: str
    direction: Direction
    value: float  # the top entry's mean over its completed seeds
    run_id: int | None = None  # an ungrouped run, or
    group: str | None = None  # a group's key
    tied: tuple[str, ...] = ()  # the names of the entries tied for best (the top first); empty: a clear best
    bad: str = ""  # "3 of 6 seeds diverged": the top's seeds that count against it

    @property
    def clear(self) -> bool:
        return not self.tied

    def marks(self, entry: Any) -> bool:
        """Whether ``entry`` (a Group or a RunData) is the best one (never, when the best is tied)."""
        if self.tied:
            return False
        key = getattr(entry, "key", None)
        return key == self.group if key is not None else entry.id == self.run_id

    def describe(self) -> str:
        way = "highest" if self.direction == "max" else "lowest"
        if self.tied:
            names = ", ".join(self.tied[:5]) + (f" and {len(self.tied) - 5} more" if len(self.tied) > 5 else "")
            return (f"Nothing is starred: by final {self.metric}, {len(self.tied)} entries are tied for best ({names}); "
                    "the data cannot tell them apart (the ranking rule is under Comparisons).")
        bad = f" Its {self.bad} (counted against it)." if self.bad else ""
        return (f"★ marks the best by {self.metric}: the {way} final value (a seed group's mean over its seeds), "
                f"by the ranking rule under Comparisons.{bad}")


def check_names(names: Sequence[str], best: str | None, known: Iterable[str]) -> None:
    """UnknownMetric, naming the first of ``names`` (or ``best``) that no selected run recorded."""
    known = set(known)
    if best is not None and tracked(best):
        raise NotAGoal(f"--best {best}: {best} is a value runner tracks, not a goal to make better; "
                       "name the loss or a metric the model records")
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


def choose_best(name: str, way: Direction, sides: Iterable[tuple[Any, Side]]) -> Best | None:
    """The best of (entry, its Side of final values) by runner.report.ranking's rule; None when no value is finite."""
    pairs = list(sides)
    ranking = rank([s for _, s in pairs], way)
    if ranking is None:
        return None
    entry = next(e for e, s in pairs if s is ranking.top)
    key = getattr(entry, "key", None)
    tied = tuple(s.name for s in ranking.tied) if not ranking.clear else ()
    return Best(name, way, float(ranking.top.mean or 0.0), run_id=None if key is not None else entry.id, group=key,
                tied=tied, bad=ranking.top.bad_text())
