"""How many points a report draws: a line's share of a figure's budget, never more than the line's own limit.

A page with a thousand runs of ten thousand steps cannot draw every point
(64 MB of figure data, a browser that stalls), and need not: a figure is
about 1,300 pixels wide. So each figure gets a budget of points, shared by
its lines; a seed group's mean and band count as three lines. ``gather``
reads about as many rows of each run as its line draws (runner.report.reading),
the figures then draw at most that many (LTTB, runner.report.lines).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIN_LINE_POINTS", "Budget"]

MIN_LINE_POINTS = 100  # a line never gets fewer, however many share the figure


@dataclass(frozen=True)
class Budget:
    """At most ``line`` points per line, and about ``figure`` points in one figure."""

    line: int = 2000
    figure: int = 300_000

    def __post_init__(self) -> None:
        if self.line < 10:
            raise ValueError(f"a line needs at least 10 points, not {self.line}")
        if self.figure < self.line:
            raise ValueError(f"a figure's points ({self.figure}) must be at least a line's ({self.line})")

    def per_line(self, lines: int, groups: int = 0) -> int:
        """The points each line gets when ``lines`` run lines and ``groups`` seed groups share a figure."""
        share = self.figure // max(lines + 3 * groups, 1)
        return max(min(self.line, share), min(self.line, MIN_LINE_POINTS))
