"""The final-loss figure: one bar per seed group (its mean, whiskers to its lowest and highest run, each run
as a dot) or per ungrouped run, with a note where a run has no finite final loss to draw."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from runner.formatting import format_loss
from runner.report.data import Group, ReportData, RunData
from runner.report.scale import Scale
from runner.report.style import FAILURE_RED, STATUS_WORDS, Palette, base_layout, star, text

__all__ = ["FinalRow", "final_loss_figure", "final_rows"]


@dataclass(frozen=True)
class Dot:
    """One run of a group, drawn over the group's bar."""

    final: float
    hover: str  # Plotly text


@dataclass(frozen=True)
class FinalRow:
    """One bar: a seed group or an ungrouped run."""

    label: str  # as the user wrote it (escaped when drawn)
    value: float | None  # the bar: the group's mean or the run's final loss; None when not finite
    colour: str
    hover: str  # Plotly text
    low: float | None = None  # the whisker's ends (a group's lowest and highest run); None: no whisker
    high: float | None = None
    note: str = ""  # why a run has no bar, or how many of a group's runs have none
    dots: tuple[Dot, ...] = ()

    def whisker(self) -> tuple[float, float]:
        """How far the whisker reaches above and below the bar; (0, 0) without one."""
        if self.value is None or self.low is None or self.high is None:
            return 0.0, 0.0
        return self.high - self.value, self.value - self.low

    def values(self) -> list[float]:
        """Every number the row draws."""
        numbers = [self.value, self.low, self.high] + [d.final for d in self.dots]
        return [v for v in numbers if v is not None]


def group_row(data: ReportData, group: Group, palette: Palette) -> FinalRow:
    value = group.final_mean
    dots = []
    for run_id in group.run_ids:
        run = data.run(run_id)
        final = run.summary.final_loss
        if final is not None and math.isfinite(final):
            dots.append(Dot(final, f"{text(run.label)} · seed {run.seed}: {format_loss(final)}"))
    bad = group.nonfinite_finals
    return FinalRow(
        label=f"{star(data, group)}{group.label} (×{len(group.run_ids)})",
        value=value,
        colour=palette.colour(group),
        hover=(
            f"<b>{text(group.label)}</b><br>mean final loss {format_loss(value)} ± {format_loss(group.final_std)} "
            f"(min {format_loss(group.final_min)}, max {format_loss(group.final_max)})<br>"
            f"seeds {', '.join(map(str, group.seeds))} · {text(group.status)}"
        ),
        low=group.final_min,
        high=group.final_max,
        note=f"{bad} of {len(group.run_ids)} not finite" if bad else "",
        dots=tuple(dots),
    )


def run_row(data: ReportData, run: RunData, palette: Palette) -> FinalRow:
    final = run.summary.final_loss
    drawn = final is not None and math.isfinite(final)
    return FinalRow(
        label=f"{star(data, run)}{run.label} · {run.model} · {run.optimizer} · lr={run.lr:g}",
        value=final if drawn else None,
        colour=palette.colour(run),
        hover=f"<b>{text(run.label)}</b><br>final loss {format_loss(final)} · {text(run.status)}",
        note="" if drawn else f"{STATUS_WORDS.get(run.status, run.status)}: final loss {final}",
    )


def final_rows(data: ReportData, palette: Palette) -> list[FinalRow]:
    """One row per group or ungrouped run, in order of their first run."""
    return [group_row(data, e, palette) if isinstance(e, Group) else run_row(data, e, palette) for e in data.entries()]


def unique_labels(rows: list[FinalRow]) -> list[str]:
    """The rows' labels as Plotly text, made distinct (a category axis would merge equal ones)."""
    seen: set[str] = set()
    labels = []
    for row in rows:
        label = row.label
        while label in seen:
            label += " "
        seen.add(label)
        labels.append(text(label))
    return labels


def final_loss_figure(data: ReportData, palette: Palette, log: bool | None = None) -> go.Figure:
    """The bars, on a log axis when the values drawn span a decade or more (or as ``log`` forces)."""
    rows = final_rows(data, palette)
    scale = Scale.choose(np.array([v for row in rows for v in row.values()]), log)
    labels = unique_labels(rows)
    shown = [row.value if row.value is not None and (row.value > 0 or not scale.log) else None for row in rows]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "x": shown,
            "y": labels,
            "marker": {"color": [row.colour for row in rows]},
            "error_x": {
                "type": "data", "symmetric": False, "color": "#333",
                "array": [row.whisker()[0] for row in rows],
                "arrayminus": [row.whisker()[1] for row in rows],
            },
            "hovertext": [row.hover for row in rows],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "name": "final loss",
            "showlegend": False,
        }
    ]
    dots = [(dot, label) for row, label in zip(rows, labels) for dot in row.dots if dot.final > 0 or not scale.log]
    if dots:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [dot.final for dot, _ in dots],
                "y": [label for _, label in dots],
                "marker": {"color": "#222", "size": 6, "symbol": "circle-open"},
                "hovertext": [dot.hover for dot, _ in dots],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "name": "runs",
                "showlegend": False,
            }
        )
    categories = {"autorange": "reversed", "automargin": True, "type": "category"}
    layout = base_layout("Final loss per group and run", "final loss", categories, 140 + 26 * len(rows))
    layout["xaxis"] = scale.axis("final loss")
    layout["annotations"] = [
        {
            "x": 1, "xref": "paper", "xanchor": "right", "y": label, "yref": "y",
            "text": text(row.note), "showarrow": False, "font": {"color": FAILURE_RED, "size": 11},
        }
        for row, label in zip(rows, labels) if row.note
    ]
    layout["bargap"] = 0.3
    return go.Figure({"data": traces, "layout": layout})
