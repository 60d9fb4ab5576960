"""Curves: the loss per step and against wall-clock time, and each metric per step, one line per run.

Each seed group is drawn as its mean with a band (see runner.report.bands),
its runs one legend click away. Up to MEMBERS_IN_LEGEND runs in groups
(Options.members_in_legend), each has its own legend entry, hidden
("legendonly") until clicked. With more, a group's runs have no legend
entry and are not drawn at all (``visible: false``) until the group's entry
is clicked, which the page's script turns into showing and hiding them: a
thousand hidden legend entries cost Chromium seconds to lay out, a thousand
``visible: false`` traces next to nothing. A run that stopped without
completing gets a mark (runner.report.marks). Non-finite values leave the
line. The entry that ``--best`` chose is starred in the legend.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from runner.report.bands import group_traces
from runner.report.curve_set import MEMBERS_IN_LEGEND, Curves
from runner.report.data import Group, RunData, format_value
from runner.report.lines import compact
from runner.report.marks import early_stop_trace, status_trace
from runner.report.style import EARLY_STOP_WORD, STATUS_WORDS, base_layout, star, text

__all__ = ["MEMBERS_IN_LEGEND", "Curves", "curves_figure", "loss_figure", "wall_clock_figure"]

def run_name(curves: Curves, run: RunData, member: bool) -> str:
    """The legend entry: a group's member by its seed, any other run by its label and settings."""
    if member:
        name = f"↳ seed {run.seed} · {run.label}"
    else:
        name = f"{star(curves.data, run)}{run.label} · {run.model} · {run.optimizer} · lr={run.lr:g}"
        if "seed" in curves.data.varying:
            name += f" · seed {run.seed}"
    if run.status != "completed":
        name += f" [{STATUS_WORDS.get(run.status, run.status)}]"
    elif run.early_stop:
        name += f" [{EARLY_STOP_WORD}]"
    return text(name)


def run_hover(run: RunData, x_label: str, y_name: str) -> str:
    head = f"<b>{text(run.label)}</b> · {text(run.status)}"
    if run.sweep:
        head += f" · sweep {text(run.sweep)}"
    setup = f"{text(run.model)} · {text(run.optimizer)} · lr={run.lr:g} · seed {run.seed} · {text(run.device)}"
    params = [f"{text(k.rpartition('.')[2])}={text(format_value(v))}" for k, v in run.params.items()]
    rows = [head, setup] + [" · ".join(params[i:i + 4]) for i in range(0, len(params), 4)]
    return "<br>".join(rows) + f"<br>{x_label}<br>{y_name} %{{y:.6g}}<extra></extra>"


def line_trace(curves: Curves, run: RunData, member: bool, use_time: bool) -> dict[str, Any]:
    line = curves.lines[run.id]
    return {
        "type": curves.line_type,
        "mode": "lines",
        "x": compact(line.elapsed if use_time and line.elapsed is not None else line.step),
        "y": compact(line.value),
        "name": run_name(curves, run, member),
        "legendgroup": f"r{run.id}",
        "visible": "legendonly" if member else True,
        "line": {
            "color": curves.palette.colour(run),
            "dash": curves.palette.dash(run),
            "width": 1.2 if member else 1.8,
        },
        "hovertemplate": run_hover(run, "%{x:.3f} s" if use_time else "step %{x}", text(curves.name)),
        "meta": {"run": run.id},
    }


def run_traces(curves: Curves, run: RunData, group: str | None, use_time: bool) -> list[dict[str, Any]]:
    """The run's line and its status mark (``group``: the key of the seed group it is in), or nothing when
    it did not store this value."""
    if run.id not in curves.lines:
        return []
    member = group is not None
    traces = [line_trace(curves, run, member, use_time)]
    mark = status_trace(run, curves.lines[run.id], curves.stored[run.id], curves.name, curves.scale, member, use_time)
    traces += [mark] if mark else []
    early = early_stop_trace(run, curves.lines[run.id], member, use_time)
    traces += [early] if early else []
    if member and not curves.members_in_legend:
        for trace in traces:
            trace["visible"] = False  # not even laid out in the legend: the page's script shows it
            trace["showlegend"] = False
            trace["legendgroup"] = group  # a double-click on the group's entry shows only the group and its runs
            trace["meta"]["member"] = group  # when its group's entry is clicked
    return traces


def curves_figure(curves: Curves, use_time: bool, title: str, height: int) -> go.Figure:
    """Values against step (or wall-clock time): each group as mean and band, its runs one legend click away."""
    traces: list[dict[str, Any]] = []
    for entry in curves.data.entries():
        if isinstance(entry, Group):
            if entry.key in curves.bands:
                traces += group_traces(curves, entry, use_time)
            runs: list[tuple[RunData, str | None]] = [(curves.data.run(i), entry.key) for i in entry.run_ids]
        else:
            runs = [(entry, None)]
        for run, group in runs:
            traces += run_traces(curves, run, group, use_time)
    x_title = "seconds since the run's first step" if use_time else "step"
    layout = base_layout(title, x_title, curves.scale.axis(curves.name), height)
    # Built as written, not checked trace by trace: with a thousand runs plotly's checks cost seconds.
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def loss_figure(curves: Curves) -> go.Figure:
    return curves_figure(curves, use_time=False, title="Loss per step", height=620)


def wall_clock_figure(curves: Curves) -> go.Figure:
    return curves_figure(curves, use_time=True, title="Loss against wall-clock time", height=560)
