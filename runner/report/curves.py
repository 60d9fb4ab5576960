"""Loss curves: loss per step, and loss against wall-clock time, one line per run.

Each seed group is drawn as its mean with a band (see runner.report.bands),
its runs one legend click away; a run that stopped without completing gets
a mark (runner.report.marks). Non-finite losses leave the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from runner.report.bands import group_traces
from runner.report.data import Group, ReportData, RunData, format_value
from runner.report.lines import Line, compact
from runner.report.marks import status_trace
from runner.report.scale import Scale
from runner.report.style import STATUS_WORDS, Palette, base_layout, text

__all__ = ["Curves", "loss_figure", "wall_clock_figure"]


@dataclass(frozen=True)
class Curves:
    """What the two curve figures share: the data, the lines as drawn and how to draw them."""

    data: ReportData
    lines: dict[int, Line]  # by run id
    palette: Palette
    scale: Scale
    webgl: bool
    max_points: int
    band: str  # "minmax" or "std"

    @property
    def line_type(self) -> str:
        return "scattergl" if self.webgl else "scatter"


def run_name(run: RunData, member: bool, varying: tuple[str, ...]) -> str:
    """The legend entry: a group's member by its seed, any other run by its label and settings."""
    if member:
        name = f"↳ seed {run.seed} · {run.label}"
    else:
        name = f"{run.label} · {run.model} · {run.optimizer} · lr={run.lr:g}"
        if "seed" in varying:
            name += f" · seed {run.seed}"
    if run.status != "completed":
        name += f" [{STATUS_WORDS.get(run.status, run.status)}]"
    return text(name)


def run_hover(run: RunData, x_label: str) -> str:
    head = f"<b>{text(run.label)}</b> · {text(run.status)}"
    if run.sweep:
        head += f" · sweep {text(run.sweep)}"
    setup = f"{text(run.model)} · {text(run.optimizer)} · lr={run.lr:g} · seed {run.seed} · {text(run.device)}"
    params = [f"{text(k.rpartition('.')[2])}={text(format_value(v))}" for k, v in run.params.items()]
    rows = [head, setup] + [" · ".join(params[i:i + 4]) for i in range(0, len(params), 4)]
    return "<br>".join(rows) + f"<br>{x_label}<br>loss %{{y:.6g}}<extra></extra>"


def line_trace(curves: Curves, run: RunData, member: bool, use_time: bool) -> dict[str, Any]:
    line = curves.lines[run.id]
    return {
        "type": curves.line_type,
        "mode": "lines",
        "x": compact(line.elapsed if use_time else line.step),
        "y": compact(line.loss),
        "name": run_name(run, member, curves.data.varying),
        "legendgroup": f"r{run.id}",
        "visible": "legendonly" if member else True,
        "line": {
            "color": curves.palette.colours[run.model],
            "dash": curves.palette.dashes[run.optimizer],
            "width": 1.2 if member else 1.8,
        },
        "hovertemplate": run_hover(run, "%{x:.3f} s" if use_time else "step %{x}"),
        "meta": {"run": run.id},
    }


def curves_figure(curves: Curves, use_time: bool) -> go.Figure:
    """Loss against step (or wall-clock time): each group as mean and band with its runs one legend click away."""
    traces: list[dict[str, Any]] = []
    for entry in curves.data.entries():
        if isinstance(entry, Group):
            traces += group_traces(curves, entry, use_time)
            runs = [(curves.data.run(i), True) for i in entry.run_ids]
        else:
            runs = [(entry, False)]
        for run, member in runs:
            traces.append(line_trace(curves, run, member, use_time))
            mark = status_trace(run, curves.lines[run.id], curves.scale, member, use_time)
            if mark:
                traces.append(mark)
    axis = curves.scale.axis("loss")
    if use_time:
        layout = base_layout("Loss against wall-clock time", "seconds since the run's first step", axis, 560)
    else:
        layout = base_layout("Loss per step", "step", axis, 620)
    return go.Figure({"data": traces, "layout": layout})


def loss_figure(curves: Curves) -> go.Figure:
    return curves_figure(curves, use_time=False)


def wall_clock_figure(curves: Curves) -> go.Figure:
    return curves_figure(curves, use_time=True)
