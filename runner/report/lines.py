"""A run's line as drawn: the points its axis can show, downsampled for display, in compact arrays.

The ReportData is never modified: a Line is a new, usually smaller, copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.report.data import RunData
from runner.report.downsample import lttb_indices
from runner.report.scale import Scale

__all__ = ["Line", "compact", "display_line"]


@dataclass(frozen=True)
class Line:
    """A run's points as drawn: drawable losses only, maybe downsampled."""

    step: np.ndarray
    loss: np.ndarray
    elapsed: np.ndarray
    stored: int  # steps stored
    downsampled: bool


def display_line(run: RunData, max_points: int, scale: Scale) -> Line:
    """The run's finite (positive, on a log axis) losses, LTTB-downsampled to about ``max_points``."""
    s = run.series
    keep = scale.drawable(s.loss)
    step, loss, elapsed = s.step[keep], s.loss[keep], s.elapsed[keep]
    downsampled = len(step) > max_points
    if downsampled:
        shape = np.log10(loss) if scale.log else loss  # keep the shape that the axis shows
        idx = lttb_indices(step, shape, max_points)
        step, loss, elapsed = step[idx], loss[idx], elapsed[idx]
    return Line(step, loss, elapsed, len(s), downsampled)


def compact(values: np.ndarray) -> np.ndarray:
    """A smaller array for the page: int32 or float32 where that loses nothing that matters on screen."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        if not len(values) or (values.min() >= -(2**31) and values.max() < 2**31):
            return values.astype(np.int32)
        return values
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    if not len(nonzero) or (nonzero.max() < 1e38 and nonzero.min() > 1e-37):
        return values.astype(np.float32)
    return values.astype(np.float64)
