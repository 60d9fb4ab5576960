"""Plotly figures drawn from a ReportData: what the HTML page shows, and what a notebook can ``.show()``.

    from runner import report
    figs = report.figures(report.gather(store, models=["numpy"]))
    figs.loss.show()

Loss curves are downsampled for display only (LTTB on the axis as drawn,
first, last, lowest and highest points kept) and drawn with WebGL when a
figure holds many points; the ReportData is never modified. Each figure's
loss axis is log when what it draws spans a decade or more, else linear
(runner.report.scale). Non-finite losses leave the line and a marker shows
where a run diverged, failed, was interrupted or lost. Every string a user
supplied goes through ``style.text`` (HTML entities, which Plotly shows
literally).

The figures live in their own modules: curves (loss per step and against
wall-clock time, with bands and marks) and final_loss; style holds what they
share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from runner.formatting import format_ids
from runner.report.curves import Curves, loss_figure, wall_clock_figure
from runner.report.data import ReportData, repeated_runs
from runner.report.final_loss import final_loss_figure
from runner.report.lines import display_line
from runner.report.scale import Scale
from runner.report.style import Palette

__all__ = ["Figures", "Options", "figures"]


@dataclass(frozen=True)
class Options:
    """How the figures are drawn."""

    max_points: int = 2000  # points drawn per line at most (plus its extremes); the data keeps every step
    webgl_threshold: int = 50_000  # more points than this in one figure: WebGL lines (Scattergl)
    band: str = "minmax"  # a group's band: "minmax" (lowest to highest run) or "std" (mean ± one std)
    log_y: bool | None = None  # None: each figure decides (log unless its losses span under a decade or reach 0)

    def __post_init__(self) -> None:
        if self.band not in ("minmax", "std"):
            raise ValueError(f"band must be 'minmax' or 'std', not {self.band!r}")
        if self.max_points < 10:
            raise ValueError(f"max_points must be at least 10, not {self.max_points}")


@dataclass
class Figures:
    """The report's figures and what the page should say about how they were drawn."""

    loss: go.Figure
    final_loss: go.Figure
    wall_clock: go.Figure
    log_y: bool  # whether the loss curves (per step and against time) have a log axis
    webgl: bool  # whether the line figures use WebGL
    downsampled: tuple[int, ...]  # ids of the runs whose lines show fewer points than stored
    max_points: int
    notes: list[str] = field(default_factory=list)  # plain text, for the page

    def items(self) -> Iterator[tuple[str, go.Figure]]:
        yield "loss", self.loss
        yield "final_loss", self.final_loss
        yield "wall_clock", self.wall_clock


def figures(data: ReportData, options: Options | None = None) -> Figures:
    """Loss per step, final loss per group or run, and loss per second of wall-clock time."""
    options = options or Options()
    palette = Palette.for_runs(data.runs)
    losses = [r.series.loss for r in data.runs]
    scale = Scale.choose(np.concatenate(losses) if losses else np.empty(0), options.log_y)
    lines = {r.id: display_line(r, options.max_points, scale) for r in data.runs}
    scale = scale.with_cap(line.loss for line in lines.values())
    points = sum(len(line.step) for line in lines.values())
    webgl = points > options.webgl_threshold
    curves = Curves(data, lines, palette, scale, webgl, options.max_points, options.band)
    return Figures(
        loss=loss_figure(curves),
        final_loss=final_loss_figure(data, palette, options.log_y),
        wall_clock=wall_clock_figure(curves),
        log_y=scale.log,
        webgl=webgl,
        downsampled=tuple(i for i, line in lines.items() if line.downsampled),
        max_points=options.max_points,
        notes=notes(curves),
    )


def notes(curves: Curves) -> list[str]:
    """What the page says under the curves about how they were drawn."""
    data, lines, scale = curves.data, curves.lines, curves.scale
    out = []
    downsampled = [i for i, line in lines.items() if line.downsampled]
    if downsampled:
        out.append(
            f"Display only: {len(downsampled)} of {len(data.runs)} lines are drawn with about "
            f"{curves.max_points:,} of their points (LTTB, keeping the first, last, lowest and highest). "
            "The database keeps every step; `runner export` writes them all."
        )
    if curves.webgl:
        points = sum(len(line.step) for line in lines.values())
        out.append(f"Lines are drawn with WebGL: {points:,} points on screen.")
    if not scale.log:
        out.append("The loss axis is linear" + (f" ({scale.why_linear})." if scale.why_linear else "."))
    if scale.cap is not None:
        high = [r.label for r in data.runs if len(lines[r.id].loss) and lines[r.id].loss.max() > scale.cap]
        who = ", ".join(high[:5]) + (f" and {len(high) - 5} more" if len(high) > 5 else "")
        top = max(line.loss.max() for line in lines.values() if len(line.loss))
        out.append(
            f"The loss axis stops at {scale.cap:.3g} so that the other lines stay readable: "
            f"{who} went as high as {top:.3g} (zoom out, or hover a mark, to see it)."
        )
    repeated = repeated_runs(data.runs)
    if repeated:
        who = f"Runs {format_ids(repeated)} repeat" if len(repeated) > 1 else f"Run {format_ids(repeated)} repeats"
        out.append(f"{who} the settings and seed of another run: drawn one line each, not as a seed group.")
    dropped = sum(r.summary.nonfinite for r in data.runs)
    if dropped:
        out.append(f"{dropped:,} non-finite losses (NaN or inf) are left out of the lines; "
                   "a marker shows where each run diverged.")
    return out
