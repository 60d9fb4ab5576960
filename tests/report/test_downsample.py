"""LTTB and the band envelope: few points for the eye, never the data changed, extremes always kept."""

from __future__ import annotations

import numpy as np
import pytest

from runner.report.downsample import (
    _choose_small,
    _choose_wide,
    envelope,
    lttb,
    lttb_indices,
)


def reference_lttb(x, y, n_out):
    """LTTB written out plainly, point by point (Steinarsson 2013), with the same bucket edges."""
    n = len(x)
    n_buckets = n_out - 2
    edges = [int(i * ((n - 2) / n_buckets)) + 1 for i in range(n_buckets + 1)]
    edges[-1] = n - 1
    chosen = [0]
    for i in range(n_buckets):
        lo, hi = edges[i], edges[i + 1]
        if i + 1 < n_buckets:
            nlo, nhi = edges[i + 1], edges[i + 2]
            cx, cy = sum(x[nlo:nhi]) / (nhi - nlo), sum(y[nlo:nhi]) / (nhi - nlo)
        else:
            cx, cy = x[-1], y[-1]
        ax, ay = x[chosen[-1]], y[chosen[-1]]
        areas = [abs((ax - cx) * (y[j] - ay) - (ax - x[j]) * (cy - ay)) for j in range(lo, hi)]
        chosen.append(lo + int(np.argmax(areas)))
    return chosen + [n - 1]


def noisy(n, seed=0):
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=float)
    return x, np.exp(-x / n * 5) * (1 + 0.2 * rng.standard_normal(n)) + rng.random(n) * 0.01


@pytest.mark.parametrize("n, n_out", [(1000, 100), (10_000, 1500), (5003, 37), (100_000, 500)])
def test_lttb_matches_the_reference_and_adds_only_the_extremes(n, n_out):
    x, y = noisy(n, seed=n)
    keep = lttb_indices(x, y, n_out)
    reference = reference_lttb(x.tolist(), y.tolist(), n_out)
    assert set(reference) <= set(keep)
    assert set(keep) - set(reference) <= {int(np.argmin(y)), int(np.argmax(y))}
    assert len(keep) <= n_out + 2


def test_first_last_and_extrema_are_kept_and_points_are_original():
    x, y = noisy(20_000)
    y[7_777] = 50.0  # a spike
    y[12_345] = -3.0  # a dip
    xs, ys = lttb(x, y, 300)
    assert (xs[0], ys[0]) == (x[0], y[0]) and (xs[-1], ys[-1]) == (x[-1], y[-1])
    assert ys.max() == 50.0 and ys.min() == -3.0
    assert np.all(np.diff(xs) > 0)  # in order, no duplicates
    keep = lttb_indices(x, y, 300)
    assert np.array_equal(xs, x[keep]) and np.array_equal(ys, y[keep])


def test_the_input_is_never_modified():
    x, y = noisy(5000)
    x0, y0 = x.copy(), y.copy()
    lttb(x, y, 100)
    envelope(x, y, y + 1, 100)
    assert np.array_equal(x, x0) and np.array_equal(y, y0)


def test_short_lines_are_kept_whole():
    x, y = noisy(50)
    assert np.array_equal(lttb_indices(x, y, 50), np.arange(50))
    assert np.array_equal(lttb(x, y, 1000)[1], y)


def test_small_and_wide_bucket_paths_choose_the_same_points():
    x, y = noisy(30_000, seed=3)
    for n_out in (50, 2000):
        n_buckets = n_out - 2
        edges = (np.arange(n_buckets + 1) * ((len(x) - 2) / n_buckets)).astype(np.int64) + 1
        edges[-1] = len(x) - 1
        lengths = np.diff(edges)
        mean_x = np.append(np.add.reduceat(x[1:-1], edges[:-1] - 1) / lengths, x[-1])
        mean_y = np.append(np.add.reduceat(y[1:-1], edges[:-1] - 1) / lengths, y[-1])
        small = _choose_small(x, y, edges, mean_x, mean_y)
        wide = _choose_wide(x, y, edges, lengths, mean_x, mean_y)
        assert list(small) == wide.tolist()


def test_bad_arguments():
    with pytest.raises(ValueError, match="differ in length"):
        lttb_indices(np.arange(5), np.arange(4), 3)
    with pytest.raises(ValueError, match="at least 3"):
        lttb_indices(np.arange(5), np.arange(5), 2)


def test_envelope_keeps_the_band_outline():
    x = np.arange(10_000)
    rng = np.random.default_rng(1)
    low = rng.random(10_000)
    high = low + rng.random(10_000)
    bx, blo, bhi = envelope(x, low, high, 200)
    assert len(bx) == 200 and bx[0] == 0 and bx[-1] == 9_999 and np.all(np.diff(bx) > 0)
    assert blo.min() == low.min() and bhi.max() == high.max()
    # every original point lies inside the envelope of its bucket
    bucket = np.searchsorted(bx, x, side="right") - 1
    assert np.all(low >= blo[bucket]) and np.all(high <= bhi[bucket])
