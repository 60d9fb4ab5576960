"""A run's line as drawn (its loss or a metric): the points its axis can show, downsampled for display.

The ReportData is never modified: a Line is a new, usually smaller, copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.report.downsample import lttb_indices
from runner.report.scale import Scale

__all__ = ["Line", "compact", "display_line"]


@dataclass(frozen=True)
class Line:
    """A run's points as drawn: drawable values only, maybe downsampled."""

    step: np.ndarray
    value: np.ndarray
    elapsed: np.ndarray | None  # seconds since the run's first step; None for a metric (its rows carry no time)
    stored: int  # values stored
    downsampled: bool


def display_line(step: np.ndarray, value: np.ndarray, elapsed: np.ndarray | None, max_points: int, scale: Scale) -> Line:
    """The finite (positive, on a log axis) values, LTTB-downsampled to about ``max_points``."""
    keep = scale.drawable(value)
    shown_step, shown = step[keep], value[keep]
    shown_elapsed = elapsed[keep] if elapsed is not None else None
    # A run read in part (runner.report.reading) comes with its stride's points and up to four more
    # (first, last, lowest, highest): LTTB on those would cost time and change nothing that shows.
    downsampled = len(shown_step) > max_points + 4
    if downsampled:
        shape = np.log10(shown) if scale.log else shown  # keep the shape that the axis shows
        idx = lttb_indices(shown_step, shape, max_points)
        shown_step, shown = shown_step[idx], shown[idx]
        shown_elapsed = shown_elapsed[idx] if shown_elapsed is not None else None
    return Line(shown_step, shown, shown_elapsed, len(step), downsampled)


INT_TYPES = (np.uint8, np.uint16, np.int32)  # typed arrays that plotly.js reads from the figure JSON's "bdata"


def compact(values: np.ndarray) -> np.ndarray:
    """A smaller array for the page: the narrowest integer type that holds the steps, float32 for values
    where that loses nothing that matters on screen. Plotly writes NumPy arrays into the figure JSON as
    base64 typed arrays ("bdata"), so a point costs its bytes, not its digits."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        if not len(values):
            return values.astype(np.int32)
        low, high = values.min(), values.max()
        for kind in INT_TYPES:
            if np.iinfo(kind).min <= low and high <= np.iinfo(kind).max:
                return values.astype(kind)
        return values
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    if not len(nonzero) or (nonzero.max() < 1e38 and nonzero.min() > 1e-37):
        return values.astype(np.float32)
    return values.astype(np.float64)
