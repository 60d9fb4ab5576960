"""What one curve figure draws and how (``Curves``): the lines, the seed groups' bands, the style, and the
choices that follow from their size (WebGL, legend entries per run). Apart from ``curves`` and ``bands``,
which both read it, so that neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from runner.report.data import ReportData
from runner.report.lines import Line
from runner.report.scale import Scale
from runner.report.stats import Band
from runner.report.style import Palette

__all__ = ["MEMBERS_IN_LEGEND", "Curves"]

MEMBERS_IN_LEGEND = 100  # more runs in seed groups than this: undrawn until their group's legend entry is clicked


@dataclass(frozen=True)
class Curves:
    """What a curve figure draws (the loss or one metric) and how: the lines as drawn, the bands, the style."""

    data: ReportData
    name: str  # "loss" or a metric's name
    stored: dict[int, tuple[np.ndarray, np.ndarray]]  # by run id: every (step, value) it stored of ``name``
    lines: dict[int, Line]  # by run id, the runs that stored ``name``
    bands: dict[str, Band]  # by group key, the groups whose runs stored ``name``
    palette: Palette
    scale: Scale
    max_points: int
    band: str  # "minmax" or "std"
    webgl_threshold: int  # more points drawn at once than this: WebGL lines
    legend_limit: int = MEMBERS_IN_LEGEND  # the most runs in seed groups that get a legend entry each

    @property
    def line_type(self) -> str:
        return "scattergl" if self.webgl else "scatter"

    @cached_property
    def webgl(self) -> bool:
        return self.drawn_points > self.webgl_threshold

    @cached_property
    def drawn_points(self) -> int:
        """About the points the figure draws when the page opens: each ungrouped run's line, each group's mean
        and band (three lines' worth); a group's runs are hidden until asked for."""
        grouped = {i for g in self.data.groups if g.key in self.bands for i in g.run_ids}
        singles = sum(len(line.step) for i, line in self.lines.items() if i not in grouped)
        return singles + sum(3 * min(len(band.step), self.max_points) for band in self.bands.values())

    @cached_property
    def members_in_legend(self) -> bool:
        """Whether each run of a seed group has its own legend entry (else its group's entry shows it)."""
        return self.grouped_runs <= self.legend_limit

    @cached_property
    def grouped_runs(self) -> int:
        """The runs drawn as part of a seed group's mean and band."""
        return sum(len(g.run_ids) for g in self.data.groups if g.key in self.bands)
