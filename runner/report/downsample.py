# Kept hand-written, not tsdownsample: a compiled dependency for some NumPy lines, without the kept minimum and maximum.
"""Fewer points for drawing a long line, never for storing it.

``lttb`` is Largest-Triangle-Three-Buckets (Steinarsson, 2013): the first and
last points are kept, the rest are split into equal buckets and each bucket
keeps the point that makes the largest triangle with the point kept before
it and the mean of the next bucket, which keeps spikes and turns. On top of
that the global minimum and maximum are always kept, so a report never hides
the best loss or the worst spike. ``envelope`` keeps, per bucket, the lowest
low and the highest high: the shape of a band, not of a line.

Pure NumPy; the input arrays are never modified.
"""

from __future__ import annotations

import numpy as np

__all__ = ["envelope", "lttb", "lttb_indices"]


def lttb_indices(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Sorted indices of at most ``n_out + 2`` points of (x, y) to draw.

    ``x`` must be increasing and both arrays finite. With ``n_out`` or fewer
    points, every index is returned.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x and y differ in length: {n} and {len(y)}")
    if n_out < 3:
        raise ValueError(f"n_out must be at least 3, not {n_out}")
    if n <= n_out:
        return np.arange(n)

    # Buckets for the n - 2 inner points; edges[i]:edges[i + 1] is bucket i.
    n_buckets = n_out - 2
    edges = (np.arange(n_buckets + 1) * ((n - 2) / n_buckets)).astype(np.int64) + 1
    edges[-1] = n - 1
    lengths = np.diff(edges)
    # Each bucket's mean point (the "C" of the next bucket's triangle); the last point follows the last bucket.
    sums_x = np.add.reduceat(x[1:-1], edges[:-1] - 1)
    sums_y = np.add.reduceat(y[1:-1], edges[:-1] - 1)
    mean_x = np.append(sums_x / lengths, x[-1])
    mean_y = np.append(sums_y / lengths, y[-1])

    chosen: list[int] | np.ndarray
    if n / n_buckets <= 64:
        chosen = _choose_small(x, y, edges, mean_x, mean_y)
    else:
        chosen = _choose_wide(x, y, edges, lengths, mean_x, mean_y)

    extremes = [0, n - 1, int(np.argmin(y)), int(np.argmax(y))]
    return np.union1d(chosen, extremes)


def _choose_small(x, y, edges, mean_x, mean_y) -> list[int]:
    """The sequential choice, bucket by bucket, in plain floats: fastest for small buckets."""
    xs, ys, bounds, cxs, cys = x.tolist(), y.tolist(), edges.tolist(), mean_x.tolist(), mean_y.tolist()
    chosen = []
    ax, ay = xs[0], ys[0]
    for i in range(len(bounds) - 1):
        # Twice the triangle's area, up to sign: |(ax - cx)(by - ay) - (ax - bx)(cy - ay)|.
        dx, dy = ax - cxs[i + 1], cys[i + 1] - ay
        best, pick = -1.0, bounds[i]
        for j in range(bounds[i], bounds[i + 1]):
            area = abs(dx * (ys[j] - ay) - (ax - xs[j]) * dy)
            if area > best:
                best, pick = area, j
        chosen.append(pick)
        ax, ay = xs[pick], ys[pick]
    return chosen


def _choose_wide(x, y, edges, lengths, mean_x, mean_y) -> np.ndarray:
    """The same choice with each bucket as one padded row of a matrix: fastest for wide buckets."""
    width = int(lengths.max())
    column = np.arange(width)
    index = edges[:-1, None] + column[None, :]
    # Padding repeats a bucket's first point, which can never win strictly, and argmax keeps the first maximum.
    index = np.where(column[None, :] < lengths[:, None], index, edges[:-1, None])
    bx, by = x[index], y[index]
    chosen = np.empty(len(lengths), dtype=np.int64)
    ax, ay = x[0], y[0]
    for i in range(len(lengths)):
        area = np.abs((ax - mean_x[i + 1]) * (by[i] - ay) - (ax - bx[i]) * (mean_y[i + 1] - ay))
        j = int(area.argmax())
        chosen[i] = index[i, j]
        ax, ay = bx[i, j], by[i, j]
    return chosen


def lttb(x: np.ndarray, y: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """The points of (x, y) that ``lttb_indices`` keeps, as new arrays."""
    keep = lttb_indices(x, y, n_out)
    return np.asarray(x)[keep], np.asarray(y)[keep]


def envelope(
    x: np.ndarray, low: np.ndarray, high: np.ndarray, n_out: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band (x, low, high) in at most ``n_out`` buckets: each bucket's first x, lowest low, highest high.

    The first and last points are kept as they are.
    """
    x, low, high = np.asarray(x), np.asarray(low), np.asarray(high)
    n = len(x)
    if n_out < 3:
        raise ValueError(f"n_out must be at least 3, not {n_out}")
    if n <= n_out:
        return x.copy(), low.copy(), high.copy()
    n_buckets = n_out - 2
    starts = (np.arange(n_buckets) * ((n - 2) / n_buckets)).astype(np.int64) + 1
    inner = slice(1, n - 1)
    bx = x[inner][starts - 1]
    blo = np.minimum.reduceat(low[inner], starts - 1)
    bhi = np.maximum.reduceat(high[inner], starts - 1)
    return (
        np.concatenate([x[:1], bx, x[-1:]]),
        np.concatenate([low[:1], blo, low[-1:]]),
        np.concatenate([high[:1], bhi, high[-1:]]),
    )
