"""runner's own Student t (runner.report.intervals: SciPy is no dependency of runner) against SciPy's, where the
development environment has it: many degrees of freedom, fractional ones (Welch's), and levels out in the tails."""

from __future__ import annotations

import itertools

import pytest

from runner.report.intervals import betainc, t_cdf, t_quantile

stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")

DFS = [0.5, 1, 1.5, 2, 2.7, 3, 4, 5, 7.25, 9, 10, 15, 19.9, 30, 60, 120, 500, 1e4, 1e6]
PS = [1e-6, 1e-4, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995,
      0.999, 1 - 1e-4, 1 - 1e-6]


def close(df: float, up_to_1e4: float) -> float:
    """The relative tolerance: past 1e4 degrees of freedom the log-gamma terms cancel and cost about two digits
    (measured: 1.5e-9 on a quantile at 1e6), where the t is within 1e-4 of the normal anyway."""
    return up_to_1e4 if df <= 1e4 else 100 * up_to_1e4


@pytest.mark.parametrize("df", DFS)
def test_quantiles_match_scipy(df):
    for p in PS:
        expected = float(stats.t.ppf(p, df))
        assert t_quantile(p, df) == pytest.approx(expected, rel=close(df, 1e-9), abs=1e-12), (p, df)


@pytest.mark.parametrize("df", DFS)
def test_the_cdf_matches_scipy(df):
    for t in [-50.0, -8.0, -3.0, -1.96, -0.5, 0.0, 0.25, 1.0, 2.0, 4.5, 12.0, 100.0]:
        assert t_cdf(t, df) == pytest.approx(float(stats.t.cdf(t, df)), rel=close(df, 1e-10), abs=1e-300), (t, df)


def test_the_incomplete_beta_matches_scipy():
    for a, b, x in itertools.product([0.25, 0.5, 1, 2.5, 10, 60], [0.5, 1, 3, 25], [0.001, 0.1, 0.5, 0.9, 0.999]):
        assert betainc(a, b, x) == pytest.approx(float(special.betainc(a, b, x)), rel=1e-10, abs=1e-14), (a, b, x)
