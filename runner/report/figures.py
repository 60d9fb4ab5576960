"""Plotly figures drawn from a ReportData: what the HTML page shows, and what a notebook can ``.show()``.

    from runner import report
    figs = report.figures(report.gather(store, models=["numpy"]))
    figs.loss.show()

With metrics gathered (``gather(store, metrics=["val_loss"])``), each gets
a figure per step beside the loss: ``figs.metrics["val_loss"]``.

Curves are downsampled for display only (LTTB on the axis as drawn, first,
last, lowest and highest points kept), each line to its share of the
figure's budget of points (runner.report.budget), and drawn with WebGL only
when a figure shows very many points at once; the ReportData is never modified. Each figure's value
axis is log when what it draws spans a decade or more, else linear
(runner.report.scale). Non-finite values leave the line and a marker shows
where a run diverged, failed, was interrupted or lost. Every string a user
supplied goes through ``style.text`` (HTML entities, which Plotly shows
literally).

The figures live in their own modules: curves (loss and metrics per step,
loss against wall-clock time, with bands and marks) and final_loss; style
holds what they share, notes what the page says about how they are drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from runner.report.budget import Budget
from runner.report.curve_set import MEMBERS_IN_LEGEND, Curves
from runner.report.curves import curves_figure, loss_figure, wall_clock_figure
from runner.report.data import LOSS, ReportData, RunData
from runner.report.final_loss import final_loss_figure
from runner.report.lines import display_line
from runner.report.notes import notes
from runner.report.scale import Scale
from runner.report.style import Palette

__all__ = ["Figures", "Options", "figures"]


@dataclass(frozen=True)
class Options:
    """How the figures are drawn."""

    max_points: int = 2000  # points drawn per line at most (plus its extremes); the data keeps every step
    figure_points: int = 300_000  # points drawn in one figure, about: its lines share them (see Budget)
    # More points than this drawn at once in one figure (the runs hidden behind their group not counted):
    # WebGL lines (Scattergl). Below it SVG: in Chromium without a GPU (software WebGL) SVG draws the
    # 1,000-run page's 110,000 points four times faster, and with no WebGL at all it is the only way to draw.
    webgl_threshold: int = 200_000
    members_in_legend: int = MEMBERS_IN_LEGEND  # more runs in seed groups: undrawn until their group is clicked
    band: str = "minmax"  # a group's band: "minmax" (lowest to highest run) or "std" (mean ± one std)
    log_y: bool | None = None  # None: each figure decides (log unless its losses span under a decade or reach 0)

    def __post_init__(self) -> None:
        if self.band not in ("minmax", "std"):
            raise ValueError(f"band must be 'minmax' or 'std', not {self.band!r}")
        if self.max_points < 10:
            raise ValueError(f"max_points must be at least 10, not {self.max_points}")
        if self.members_in_legend < 0:
            raise ValueError(f"members_in_legend must be 0 or more, not {self.members_in_legend}")

    @property
    def budget(self) -> Budget:
        """The points each figure and line may draw; ``gather(store, budget=options.budget)`` reads no more."""
        return Budget(self.max_points, max(self.figure_points, self.max_points))


@dataclass
class Figures:
    """The report's figures and what the page should say about how they were drawn."""

    loss: go.Figure
    final_loss: go.Figure
    wall_clock: go.Figure
    log_y: bool  # whether the loss curves (per step and against time) have a log axis
    webgl: bool  # whether the loss figures use WebGL
    downsampled: tuple[int, ...]  # ids of the runs whose loss lines show fewer points than stored
    max_points: int  # points per line at most, as the loss figure's budget shares them out
    notes: list[str] = field(default_factory=list)  # plain text, for the page
    metrics: dict[str, go.Figure] = field(default_factory=dict)  # per step, by metric name, as gathered
    metric_notes: dict[str, list[str]] = field(default_factory=dict)  # by metric name
    palette: Palette | None = None  # what colour and dash follow

    def items(self) -> Iterator[tuple[str, go.Figure]]:
        """(page id, figure): loss, each metric (``metric-NAME``), final_loss, wall_clock."""
        yield "loss", self.loss
        for name, fig in self.metrics.items():
            yield f"metric-{name}", fig
        yield "final_loss", self.final_loss
        yield "wall_clock", self.wall_clock


def figures(data: ReportData, options: Options | None = None) -> Figures:
    """Loss per step, each gathered metric per step, final loss per group or run, loss against wall-clock time."""
    options = options or Options()
    palette = Palette.for_runs(data.runs, data.varying)
    points = options.budget.per_line(len(data.runs), len(data.groups))
    curves = make_curves(data, LOSS, palette, options, points)
    metrics = {name: make_curves(data, name, palette, options, points) for name in data.metrics}
    return Figures(
        loss=loss_figure(curves),
        final_loss=final_loss_figure(data, palette, options.log_y),
        wall_clock=wall_clock_figure(curves),
        log_y=curves.scale.log,
        webgl=curves.webgl,
        downsampled=tuple(i for i, line in curves.lines.items() if line.downsampled or i in data.sampling.sampled),
        max_points=points,
        notes=notes(curves),
        metrics={name: curves_figure(c, False, f"{name} per step", 520) for name, c in metrics.items()},
        metric_notes={name: notes(c) for name, c in metrics.items()},
        palette=palette,
    )


def stored(run: RunData, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """Every (step, value, elapsed) the run stored of the loss or a metric; None when it stored none of it."""
    if name == LOSS:
        return run.series.step, run.series.loss, run.series.elapsed
    metric = run.metrics.get(name)
    return (metric.series.step, metric.series.value, None) if metric is not None and len(metric.series) else None


def make_curves(data: ReportData, name: str, palette: Palette, options: Options, points: int | None = None) -> Curves:
    """The loss's or a metric's lines as drawn (at most ``points`` each), on the axis its values call for,
    and its groups' bands."""
    points = points or options.max_points
    stored_points = {r.id: found for r in data.runs if (found := stored(r, name)) is not None}
    values = [value for _, value, _ in stored_points.values()]
    what = "losses" if name == LOSS else f"{name} values"
    bound = data.bounds.get(name)
    if bound is not None and options.log_y is None:  # a fraction: its steps near 1 read on a linear axis, not a log one
        scale = Scale(False, f"{name} is a fraction from {bound[0]:g} to {bound[1]:g}")
    else:
        scale = Scale.choose(np.concatenate(values) if values else np.empty(0), options.log_y, what)
    lines = {i: display_line(step, value, elapsed, points, scale) for i, (step, value, elapsed) in stored_points.items()}
    if name.endswith(LOSS):  # a loss can blow up and flatten every other line; other metrics are drawn whole
        scale = scale.with_cap(line.value for line in lines.values())
    if name == LOSS:
        bands = {g.key: g.band for g in data.groups}
    else:
        bands = {g.key: g.metrics[name].band for g in data.groups if name in g.metrics}
    by_step = {i: (step, value) for i, (step, value, _) in stored_points.items()}
    return Curves(data, name, by_step, lines, bands, palette, scale, points, options.band, options.webgl_threshold,
                  options.members_in_legend)
