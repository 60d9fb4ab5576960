"""Which configuration is best, by one rule that the star, the best line and the verdicts' JSON all share.

RULE, in words (the page shows it under the best line):

1. A configuration's seeds that diverged or failed (or completed with a
   value that is not finite) count against it: configurations rank first
   by the share of their seeds that did so, fewest first. One that diverged
   in 3 of 6 seeds cannot be best over one that never diverged, however low
   its other seeds went.
2. Among equal shares, by the mean over their completed seeds with a
   finite value (lower for a loss, higher for accuracy-like metrics).
3. The top one is *the* best only when the interval of its difference from
   each other configuration of the same share excludes 0 (the Comparisons
   table's test: paired over shared seeds, Welch otherwise). Otherwise the
   configurations it cannot be told from are tied with it, and none is
   starred. A side with one seed has no interval, so it always ties.

Plain data and runner.report.intervals: nothing here knows the store, a
ReportData, or HTML.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from runner.metrics import Direction
from runner.report.intervals import Interval, mean_interval, welch_interval

__all__ = ["BAD", "POWER_RULE", "RULE", "Difference", "Ranking", "Side", "difference", "rank", "seeds_to_settle", "side_of"]

RULE = (
    "Ranking rule: configurations rank first by the share of their seeds that diverged or failed (fewest first), "
    "then by the mean over their completed seeds. The top one is starred as best only when the 95% interval of "
    "its difference from every other configuration with the same share excludes 0 (the Comparisons table's test); "
    "otherwise the ones it cannot be told from are tied with it, and none is starred."
)
POWER_RULE = (
    "Seeds that would likely settle a comparison: the n at which a difference as large as the one observed, with "
    "the spread observed, would come out clear 80% of the time at the 5% level (normal approximation: "
    "n = ((1.96 + 0.84) × sd / difference)², per side twice that when the seeds are not shared)."
)
Z_LEVEL, Z_POWER = 1.959964, 0.841621  # two-sided 5%, and 80% power
MAX_SEEDS = 10_000  # beyond this, "more than 10,000"
BAD = ("diverged", "failed", "not finite")  # why a seed counts against its configuration (not: still running, lost)


@dataclass(frozen=True)
class Side:
    """One configuration's values by seed, from its completed runs with a finite value; the other runs by why."""

    name: str  # "adam", "lr=0.01", or an entry's label
    entry: str  # "g3" or "#12"
    values: dict[int, float]  # by seed
    left_out: dict[str, int]  # the runs without a value to count, by why: "diverged", "running", "not finite"...

    @property
    def left(self) -> int:
        return sum(self.left_out.values())

    def why(self) -> str:
        """"3 diverged, 1 running": the runs left out."""
        return ", ".join(f"{n} {reason}" for reason, n in self.left_out.items())

    @property
    def mean(self) -> float | None:
        return math.fsum(self.values.values()) / len(self.values) if self.values else None

    @property
    def bad(self) -> int:
        """The seeds that count against it: diverged, failed, or completed with a value that is not finite."""
        return sum(n for reason, n in self.left_out.items() if reason in BAD)

    @property
    def seeds(self) -> int:
        return len(self.values) + self.left

    @property
    def share_bad(self) -> float:
        return self.bad / self.seeds if self.seeds else 0.0

    def bad_text(self) -> str:
        """"3 of 6 seeds diverged", "1 of 3 seeds failed, 1 diverged"; "" when none did."""
        parts = [f"{self.left_out[reason]} {reason}" for reason in BAD if self.left_out.get(reason)]
        if not parts:
            return ""
        first, _, reason = parts[0].partition(" ")
        return f"{first} of {self.seeds} seed{'s' if self.seeds != 1 else ''} {reason}" + "".join(f", {p}" for p in parts[1:])


def side_of(name: str, entry: str, runs: Iterable[tuple[int, str, float | None]]) -> Side:
    """A Side from (seed, status, value) per run: completed with a finite value counts, the rest by why."""
    values: dict[int, float] = {}
    left_out: dict[str, int] = {}
    for seed, status, value in runs:
        if status == "completed" and value is not None and math.isfinite(value):
            values[seed] = value
        else:
            why = status if status != "completed" else "with no value" if value is None else "not finite"
            left_out[why] = left_out.get(why, 0) + 1
    return Side(name, entry, values, left_out)


def better(a: float, b: float, way: Direction) -> bool:
    return a < b if way == "min" else a > b


@dataclass(frozen=True)
class Difference:
    """``first`` against ``second`` (the better on the values the interval rests on, named first)."""

    first: Side
    second: Side
    seeds: int  # shared seeds (paired), else the smaller side
    paired: bool
    interval: Interval | None  # of mean(first) − mean(second); None with one seed or no values
    wins: int | None  # paired: the seeds in which ``first`` is strictly better
    spread: float | None  # the standard deviation the interval rests on (of the per-seed differences, or pooled)

    @property
    def clear(self) -> bool:
        return self.interval is not None and self.interval.excludes_zero


def shared_mean(side: Side, seeds: Sequence[int]) -> float:
    return math.fsum(side.values[seed] for seed in seeds) / len(seeds)


def _std(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def difference(a: Side, b: Side, way: Direction) -> Difference:
    """``a`` against ``b``: paired over shared seeds, Welch without, nothing with one seed; the better first.

    Which is better is judged on the values the interval rests on: over the
    shared seeds when paired, else over every value of each side.
    """
    shared = sorted(a.values.keys() & b.values.keys())
    paired = len(shared) >= 2
    on_a, on_b = (shared_mean(s, shared) if paired else s.mean for s in (a, b))
    if (on_a is None and on_b is not None) or (on_a is not None and on_b is not None and better(on_b, on_a, way)):
        a, b = b, a
    if paired:
        diffs = [a.values[s] - b.values[s] for s in shared]
        wins = sum(better(a.values[s], b.values[s], way) for s in shared)
        return Difference(a, b, len(shared), True, mean_interval(diffs), wins, _std(diffs))
    seeds = min(len(a.values), len(b.values))
    if seeds < 2:
        return Difference(a, b, seeds, False, None, None, None)
    xs, ys = list(a.values.values()), list(b.values.values())
    pooled = math.sqrt((_std(xs) ** 2 + _std(ys) ** 2) / 2)
    return Difference(a, b, seeds, False, welch_interval(xs, ys), None, pooled)


@dataclass(frozen=True)
class Ranking:
    """The configurations in rule order, and the top one with those it cannot be told from."""

    order: tuple[Side, ...]  # every side with a value, by the rule
    tied: tuple[Side, ...]  # the top and those tied with it; one: a clear best
    leads: tuple[Difference, ...]  # the top against each other side of its share, in order
    direction: Direction

    @property
    def top(self) -> Side:
        return self.order[0]

    @property
    def clear(self) -> bool:
        """Whether the top is the best by the rule: nothing tied with it."""
        return len(self.tied) == 1

    @property
    def runner_up(self) -> Side | None:
        return self.order[1] if len(self.order) > 1 else None

    def lead_over(self, other: Side) -> Difference | None:
        return next((d for d in self.leads if d.second is other or d.first is other), None)


def rank(sides: Sequence[Side], way: Direction, compare: Callable[[Side, Side], Difference] | None = None) -> Ranking | None:
    """The sides ranked by RULE; None when none has a value."""
    sign = 1.0 if way == "min" else -1.0
    order = sorted((s for s in sides if s.values), key=lambda s: (s.share_bad, sign * float(s.mean or 0.0)))
    if not order:
        return None
    top = order[0]
    compare = compare or (lambda x, y: difference(x, y, way))
    leads = tuple(compare(top, other) for other in order[1:] if other.share_bad == top.share_bad)
    tied = (top, *(d.second if d.first is top else d.first for d in leads if not (d.clear and d.first is top)))
    return Ranking(tuple(order), tied, leads, way)


def seeds_to_settle(d: Difference) -> int | None:
    """POWER_RULE's n for an unclear difference (seeds per side); None when it cannot say (no spread, or equal means)."""
    if d.interval is None or d.spread is None or d.spread == 0 or d.interval.estimate == 0:
        return None
    n = ((Z_LEVEL + Z_POWER) * d.spread / abs(d.interval.estimate)) ** 2 * (1 if d.paired else 2)
    return min(max(math.ceil(n), 2), MAX_SEEDS + 1)


def settle_text(d: Difference) -> str:
    """"about 14 seeds would likely settle it", or "" when POWER_RULE cannot say."""
    n = seeds_to_settle(d)
    if n is None or d.clear:
        return ""
    count = f"more than {MAX_SEEDS:,}" if n > MAX_SEEDS else f"about {n:,}"
    return f"{count} seeds{'' if d.paired else ' per side'} would likely settle it"
