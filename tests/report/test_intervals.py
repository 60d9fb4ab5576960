"""The Student t distribution against table values and numerical integration; the intervals' values and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from runner.report.intervals import MIN_BOOTSTRAP, betainc, mean_interval, t_cdf, t_interval, t_quantile, welch_interval

# Student t critical values, as printed in the usual tables (three decimals).
TABLE = [
    (0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 3, 3.182), (0.975, 4, 2.776), (0.975, 5, 2.571),
    (0.975, 6, 2.447), (0.975, 9, 2.262), (0.975, 10, 2.228), (0.975, 20, 2.086), (0.975, 30, 2.042),
    (0.975, 120, 1.980), (0.95, 1, 6.314), (0.95, 5, 2.015), (0.95, 10, 1.812), (0.995, 1, 63.657),
    (0.995, 4, 4.604), (0.995, 10, 3.169), (0.9, 3, 1.638), (0.9995, 2, 31.599),
]


@pytest.mark.parametrize("p, df, expected", TABLE)
def test_t_quantiles_match_the_tables(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=6e-4)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=6e-4)
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)


def test_t_tends_to_the_normal_and_is_symmetric():
    assert t_quantile(0.975, 1e7) == pytest.approx(1.959964, abs=1e-5)
    assert t_quantile(0.5, 3) == pytest.approx(0.0, abs=1e-9) and t_cdf(0.0, 7.5) == 0.5
    assert t_cdf(math.inf, 2) == 1.0 and t_cdf(-math.inf, 2) == 0.0
    # df = 1 is the Cauchy distribution, whose quantile is tan(pi (p - 1/2)).
    for p in (0.6, 0.9, 0.99):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9)
    # df = 2 has a closed form: t = (2p - 1) sqrt(2 / (4p(1 - p))).
    for p in (0.7, 0.975):
        assert t_quantile(p, 2) == pytest.approx((2 * p - 1) * math.sqrt(2 / (4 * p * (1 - p))), rel=1e-9)


@pytest.mark.parametrize("df", [1.5, 2.5, 7.3])
def test_t_cdf_at_fractional_df_matches_the_integrated_density(df):
    """Welch's degrees of freedom are not whole: check the CDF against Simpson's rule on the density."""
    density = lambda t: math.exp(  # noqa: E731
        math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi) - (df + 1) / 2 * math.log1p(t * t / df))
    for upper in (0.5, 1.7, 4.0):
        n = 2000
        h = upper / n
        simpson = h / 3 * sum((1 if i in (0, n) else 4 if i % 2 else 2) * density(i * h) for i in range(n + 1))
        assert t_cdf(upper, df) == pytest.approx(0.5 + simpson, abs=1e-9)


def test_the_incomplete_beta_function_at_known_values():
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-12)  # 1 - sum of the binomial(4, 0.4) terms k < 2
    for x in (0.1, 0.5, 0.93):
        assert betainc(1, 1, x) == pytest.approx(x, rel=1e-12)
        assert betainc(3.5, 1, x) == pytest.approx(x**3.5, rel=1e-12)
        assert betainc(2.5, 4, x) + betainc(4, 2.5, 1 - x) == pytest.approx(1.0, abs=1e-12)
    assert betainc(2, 2, 0) == 0.0 and betainc(2, 2, 1) == 1.0


def test_few_values_give_a_student_t_interval_of_the_mean():
    interval = mean_interval([1.0, 2.0, 3.0])
    half = 4.302653 * 1.0 / math.sqrt(3)  # t(0.975, 2) · sd / sqrt(n)
    assert interval.method == "t" and interval.df == 2
    assert (interval.estimate, interval.low, interval.high) == pytest.approx((2.0, 2.0 - half, 2.0 + half), abs=1e-5)
    assert mean_interval([4.0, 4.0]).low == mean_interval([4.0, 4.0]).high == 4.0
    with pytest.raises(ValueError):
        mean_interval([1.0])


def test_the_bootstrap_is_reproducible_and_brackets_the_mean():
    values = [1.3, 0.9, 1.5, 1.2, 1.4, 1.1]
    first, again = mean_interval(values), mean_interval(values)
    assert first == again and first.method == "bootstrap-t" and len(values) >= MIN_BOOTSTRAP
    assert first.low < np.mean(values) < first.high and first.excludes_zero
    student = t_interval(values)  # for values this regular, the two agree within a few tens of percent
    assert 0.7 < (first.high - first.low) / (student.high - student.low) < 1.5
    spread = np.random.default_rng(3).normal(0, 1, 12).tolist()  # the generator's seed, not chance, makes it so
    assert mean_interval(spread) == mean_interval(spread) != mean_interval(spread, seed=1)


def test_welch_interval_by_hand():
    interval = welch_interval([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    # Equal sizes and variances: df = 2n - 2 = 4, se = sqrt(1/3 + 1/3).
    half = 2.776445 * math.sqrt(2 / 3)
    assert interval.method == "Welch" and interval.df == pytest.approx(4.0)
    assert (interval.estimate, interval.low, interval.high) == pytest.approx((-3.0, -3.0 - half, -3.0 + half), abs=1e-5)
    unequal = welch_interval([0.0, 10.0, 20.0, 5.0], [1.0, 1.1])
    assert 1 <= unequal.df < 4  # Welch–Satterthwaite: between the smaller side's n - 1 and n1 + n2 - 2
    with pytest.raises(ValueError):
        welch_interval([1.0], [2.0, 3.0])


@pytest.mark.parametrize("n, noise", [(3, "normal"), (4, "normal"), (5, "normal"), (8, "normal"), (5, "skewed"),
                                       (8, "skewed")])
def test_mean_intervals_cover_the_true_mean_about_95_percent_of_the_time(n, noise):
    """The t interval is exact for normal noise; the bootstrap-t keeps near 95% with skewed noise too
    (a percentile bootstrap of five values covers about 83%)."""
    rng = np.random.default_rng(7)
    covered = 0
    for trial in range(400):
        values = rng.normal(1.5, 2.0, n) if noise == "normal" else rng.exponential(1.5, n)
        interval = mean_interval(values.tolist(), seed=trial)
        assert interval.method == ("t" if n < MIN_BOOTSTRAP else "bootstrap-t")
        covered += interval.low <= 1.5 <= interval.high
    assert 0.91 <= covered / 400 <= 0.98


def test_mostly_tied_values_fall_back_to_the_t_interval():
    interval = mean_interval([0.0, 0.0, 0.0, 0.0, 0.1])  # a third of the resamples are all zeros: no spread
    assert interval.method == "t" and math.isfinite(interval.high) and interval.low < 0 < interval.high
    assert mean_interval([2.0] * 6) == mean_interval([2.0] * 6) and mean_interval([2.0] * 6).high == 2.0


def test_welch_intervals_cover_the_true_difference_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(400):
        interval = welch_interval(rng.normal(0.0, 1.0, 3).tolist(), rng.normal(2.0, 3.0, 5).tolist())
        covered += interval.low <= -2.0 <= interval.high
    assert 0.92 <= covered / 400 <= 0.98
