"""Statistics over runs that the loss and every metric share: a seed group's band and its runs' spread.

Plain NumPy on arrays; nothing here knows the store or draws.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ArrayRecord", "Band", "Spread", "band_of", "shared_steps", "split_by_run", "spread"]


def _arrays_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype.kind == b.dtype.kind and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


class ArrayRecord:
    """Equality for frozen dataclasses of NumPy arrays: same shapes and values, NaN equal to NaN."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            _arrays_equal(getattr(self, name), getattr(other, name)) for name in self.__dataclass_fields__  # type: ignore[attr-defined]
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Band(ArrayRecord):
    """A group's values per step over its runs' finite values: mean, std, min, max and how many runs count.

    ``elapsed`` is the mean wall-clock time at which the runs that stored the step reached it
    (NaN for a metric, whose rows carry no time).
    """

    step: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray
    elapsed: np.ndarray


def band_of(
    steps: Sequence[np.ndarray],
    values: Sequence[np.ndarray],
    elapsed: Sequence[np.ndarray] | None = None,
    aligned: bool = False,
) -> Band:
    """Per step, the statistics of the finite values of the runs that stored that step.

    ``aligned``: only at the steps that every run whose first..last steps span them has a row for. A run
    read in part (runner.report.reading) also brings rows the others lack (its own lowest and highest
    value): at such a step a mean over the one run that has it would jump to that run's value.
    """
    if aligned and steps:
        keep = shared_steps(steps)
        steps, values = [s[k] for s, k in zip(steps, keep)], [v[k] for v, k in zip(values, keep)]
        elapsed = [t[k] for t, k in zip(elapsed, keep)] if elapsed is not None else None
    grid = np.unique(np.concatenate(steps)) if steps else np.empty(0, np.int64)
    matrix = np.full((len(steps), len(grid)), np.nan)
    times = np.full((len(steps), len(grid)), np.nan)
    for i, (step, value) in enumerate(zip(steps, values)):
        at = np.searchsorted(grid, step)
        matrix[i, at] = value
        if elapsed is not None:
            times[i, at] = elapsed[i]
    matrix[~np.isfinite(matrix)] = np.nan
    count = np.sum(~np.isnan(matrix), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a step no run has a finite value for is NaN
        return Band(
            step=grid,
            mean=np.nanmean(matrix, axis=0),
            std=np.nanstd(matrix, axis=0),
            low=np.nanmin(matrix, axis=0),
            high=np.nanmax(matrix, axis=0),
            count=count,
            elapsed=np.nanmean(times, axis=0),
        )


def shared_steps(steps: Sequence[np.ndarray]) -> list[np.ndarray]:
    """For each run's (increasing) steps, a mask of those that every run spanning the step also has."""
    grid = np.unique(np.concatenate(steps))
    missing = np.zeros(len(grid), dtype=bool)
    for step in steps:
        if not len(step):
            continue
        spanned = (grid >= step[0]) & (grid <= step[-1])
        missing |= spanned & ~np.isin(grid, step, assume_unique=True)
    shared = grid[~missing]
    return [np.isin(step, shared, assume_unique=True) for step in steps]


@dataclass(frozen=True)
class Spread:
    """The runs' final values: mean, std, lowest and highest of the finite ones, and how many are not."""

    mean: float | None
    std: float | None
    low: float | None
    high: float | None
    nonfinite: int


def spread(finals: Sequence[float | None]) -> Spread:
    """The spread of these final values (None: the run stored none, and counts nowhere)."""
    finite = [v for v in finals if v is not None and math.isfinite(v)]
    nonfinite = sum(1 for v in finals if v is not None and not math.isfinite(v))
    if not finite:
        return Spread(None, None, None, None, nonfinite)
    return Spread(float(np.mean(finite)), float(np.std(finite)), min(finite), max(finite), nonfinite)


def split_by_run(rows: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(run id, its rows) of a structured array ordered by ``run_id``: each run is one contiguous slice."""
    if not len(rows):
        return
    starts = np.flatnonzero(np.diff(rows["run_id"])) + 1
    bounds = np.concatenate([[0], starts, [len(rows)]])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        yield int(rows["run_id"][lo]), rows[lo:hi]
