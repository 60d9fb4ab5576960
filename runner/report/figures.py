"""Plotly figures drawn from a ReportData: what the HTML page shows, and what a notebook can ``.show()``.

    from runner import report
    figs = report.figures(report.gather(store, models=["numpy"]))
    figs.loss.show()

Loss curves are downsampled for display only (LTTB on the axis as drawn,
first, last, lowest and highest points kept) and drawn with WebGL when a
figure holds many points; the ReportData is never modified. Non-finite losses
leave the line and a marker shows where a run diverged, failed, was
interrupted or lost. Every string a user supplied goes through ``text`` (HTML
entities, which Plotly shows literally).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from runner.report.data import Group, ReportData, RunData, format_value
from runner.report.downsample import envelope, lttb_indices

__all__ = ["Figures", "Options", "figures", "text"]

# Qualitative colours without the red and grey that mark failures.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#393b79", "#637939", "#8c6d31", "#7b4173",
)
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
FAILURE_RED = "#d62728"
STATUS_MARKS = {  # symbol, colour, where the marker goes
    "diverged": ("x-thin-open", FAILURE_RED),
    "failed": ("square", FAILURE_RED),
    "interrupted": ("diamond", "#444444"),
    "lost": ("circle-open", "#888888"),
    "running": ("triangle-right", "#444444"),
    "queued": ("triangle-right-open", "#444444"),
}
STATUS_WORDS = {"diverged": "✕ diverged", "failed": "■ failed", "interrupted": "◆ interrupted", "lost": "○ lost",
                "running": "▸ running", "queued": "▹ queued"}


@dataclass(frozen=True)
class Options:
    """How the figures are drawn."""

    max_points: int = 2000  # points drawn per line at most (plus its extremes); the data keeps every step
    webgl_threshold: int = 50_000  # more points than this in one figure: WebGL lines (Scattergl)
    band: str = "minmax"  # a group's band: "minmax" (lowest to highest run) or "std" (mean ± one std)
    log_y: bool | None = None  # None: log unless some finite loss is zero or negative

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
    log_y: bool
    webgl: bool  # whether the line figures use WebGL
    downsampled: tuple[int, ...]  # ids of the runs whose lines show fewer points than stored
    max_points: int
    notes: list[str] = field(default_factory=list)  # plain text, for the page

    def items(self) -> Iterator[tuple[str, go.Figure]]:
        yield "loss", self.loss
        yield "final_loss", self.final_loss
        yield "wall_clock", self.wall_clock


def text(value: Any) -> str:
    """A user's string as Plotly text: shown literally, never parsed as markup or as a %{template}."""
    return html.escape(str(value), quote=True).replace("%", "&#37;").replace("{", "&#123;").replace("}", "&#125;")


def colour_map(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(names)))}


def dash_map(names: Sequence[str]) -> dict[str, str]:
    return {name: DASHES[i % len(DASHES)] for i, name in enumerate(sorted(set(names)))}


def rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def compact(values: np.ndarray) -> np.ndarray:
    """A smaller array for the page: int32 or float32 where that loses nothing that matters on screen."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        if not len(values) or (values.min() >= -(2**31) and values.max() < 2**31):
            return values.astype(np.int32)
        return values
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    if not len(nonzero) or (nonzero.max() < 1e38 and nonzero.min() > 1e-37):
        return values.astype(np.float32)
    return values.astype(np.float64)


@dataclass(frozen=True)
class Line:
    """A run's points as drawn: finite losses only, maybe downsampled."""

    step: np.ndarray
    loss: np.ndarray
    elapsed: np.ndarray
    stored: int  # steps stored
    downsampled: bool


def display_line(run: RunData, options: Options, log_y: bool) -> Line:
    s = run.series
    keep = np.isfinite(s.loss)
    if log_y:
        keep &= s.loss > 0
    step, loss, elapsed = s.step[keep], s.loss[keep], s.elapsed[keep]
    downsampled = len(step) > options.max_points
    if downsampled:
        shape = np.log10(loss) if log_y else loss  # keep the shape that the axis shows
        idx = lttb_indices(step, shape, options.max_points)
        step, loss, elapsed = step[idx], loss[idx], elapsed[idx]
    return Line(step, loss, elapsed, len(s), downsampled)


def choose_log(data: ReportData, options: Options) -> bool:
    if options.log_y is not None:
        return options.log_y
    for run in data.runs:
        loss = run.series.loss
        if np.any(loss[np.isfinite(loss)] <= 0):
            return False
    return True


def loss_range(lines: dict[int, Line], log_y: bool) -> tuple[float, float, float] | None:
    """(low, high, cap) for the loss axis when a run blew up far above where every run started, else None.

    The axis then stops at ten times (log) or three times (linear) the
    highest first loss, so that one exploding run does not flatten
    every other line; what goes higher runs off the top, and the marks of
    such runs sit at the top edge.
    """
    starts = [line.loss[0] for line in lines.values() if len(line.loss)]
    if not starts:
        return None
    cap = max(starts) * (10 if log_y else 3)
    if cap <= 0:
        return None
    top = max(line.loss.max() for line in lines.values() if len(line.loss))
    if top <= cap:
        return None
    low = min(line.loss.min() for line in lines.values() if len(line.loss))
    return float(low), float(top), float(cap)


def figures(data: ReportData, options: Options | None = None) -> Figures:
    """Loss per step, final loss per group or run, and loss per second of wall-clock time."""
    options = options or Options()
    log_y = choose_log(data, options)
    colours = colour_map([r.model for r in data.runs])
    dashes = dash_map([r.optimizer for r in data.runs])
    lines = {r.id: display_line(r, options, log_y) for r in data.runs}
    points = sum(len(line.step) for line in lines.values())
    webgl = points > options.webgl_threshold
    limits = loss_range(lines, log_y)
    style = _Style(data, colours, dashes, log_y, webgl, options, limits[2] if limits else None, limits[0] if limits else None)

    notes = []
    downsampled = tuple(i for i, line in lines.items() if line.downsampled)
    if downsampled:
        notes.append(
            f"Display only: {len(downsampled)} of {len(data.runs)} lines are drawn with about "
            f"{options.max_points:,} of their points (LTTB, keeping the first, last, lowest and highest). "
            "The database keeps every step; `runner export` writes them all."
        )
    if webgl:
        notes.append(f"Lines are drawn with WebGL: {points:,} points on screen.")
    if not log_y:
        notes.append("The loss axis is linear" + (" (some losses are zero or negative)." if options.log_y is None else "."))
    if limits:
        high = [r.label for r in data.runs if len(lines[r.id].loss) and lines[r.id].loss.max() > limits[2]]
        who = ", ".join(high[:5]) + (f" and {len(high) - 5} more" if len(high) > 5 else "")
        notes.append(
            f"The loss axis stops at {limits[2]:.3g} so that the other lines stay readable: "
            f"{who} went as high as {limits[1]:.3g} (zoom out, or hover a mark, to see it)."
        )
    dropped = sum(r.summary.nonfinite for r in data.runs)
    if dropped:
        notes.append(f"{dropped:,} non-finite losses (NaN or inf) are left out of the lines; a marker shows where each run diverged.")

    return Figures(
        loss=loss_figure(data, lines, style),
        final_loss=final_loss_figure(data, style),
        wall_clock=wall_clock_figure(data, lines, style),
        log_y=log_y,
        webgl=webgl,
        downsampled=downsampled,
        max_points=options.max_points,
        notes=notes,
    )


@dataclass(frozen=True)
class _Style:
    data: ReportData
    colours: dict[str, str]
    dashes: dict[str, str]
    log_y: bool
    webgl: bool
    options: Options
    y_cap: float | None = None  # the top of the loss axis, when a run went far above the rest
    y_low: float | None = None

    def clip(self, y: float) -> float:
        return min(y, self.y_cap) if self.y_cap is not None else y

    @property
    def line_type(self) -> str:
        return "scattergl" if self.webgl else "scatter"

    def axis(self, title: str, capped: bool = False) -> dict[str, Any]:
        axis = {
            "title": {"text": title + (" (log scale)" if self.log_y else "")},
            "type": "log" if self.log_y else "linear",
            "exponentformat": "power" if self.log_y else "B",
        }
        if capped and self.y_cap is not None and self.y_low is not None:
            if self.log_y:
                low, high = math.log10(self.y_low), math.log10(self.y_cap)
                pad = 0.03 * (high - low)
                axis["range"] = [low - pad, high + pad]
            else:
                pad = 0.03 * (self.y_cap - min(self.y_low, 0.0))
                axis["range"] = [min(self.y_low, 0.0) - pad, self.y_cap + pad]
        return axis

    def run_name(self, run: RunData, member: bool) -> str:
        varying = self.data.varying
        if member:
            name = f"↳ seed {run.seed} · {run.label}"
        else:
            name = f"{run.label} · {run.model} · {run.optimizer} · lr={run.lr:g}"
            if "seed" in varying:
                name += f" · seed {run.seed}"
        if run.status != "completed":
            name += f" [{STATUS_WORDS.get(run.status, run.status)}]"
        return text(name)

    def run_hover(self, run: RunData, x_label: str) -> str:
        head = f"<b>{text(run.label)}</b> · {text(run.status)}"
        if run.sweep:
            head += f" · sweep {text(run.sweep)}"
        setup = f"{text(run.model)} · {text(run.optimizer)} · lr={run.lr:g} · seed {run.seed} · {text(run.device)}"
        params = [f"{text(k.rpartition('.')[2])}={text(format_value(v))}" for k, v in run.params.items()]
        rows = [head, setup] + [" · ".join(params[i:i + 4]) for i in range(0, len(params), 4)]
        return "<br>".join(rows) + f"<br>{x_label}<br>loss %{{y:.6g}}<extra></extra>"


def _line_trace(style: _Style, run: RunData, x: np.ndarray, y: np.ndarray, member: bool, x_label: str) -> dict[str, Any]:
    return {
        "type": style.line_type,
        "mode": "lines",
        "x": compact(x),
        "y": compact(y),
        "name": style.run_name(run, member),
        "legendgroup": f"r{run.id}",
        "visible": "legendonly" if member else True,
        "line": {"color": style.colours[run.model], "dash": style.dashes[run.optimizer], "width": 1.2 if member else 1.8},
        "hovertemplate": style.run_hover(run, x_label),
        "meta": {"run": run.id},
    }


def _status_trace(style: _Style, run: RunData, line, member: bool, use_time: bool) -> dict[str, Any] | None:
    """A marker where a run stopped without completing, at its last finite loss."""
    if run.status not in STATUS_MARKS or not len(line.step):
        return None
    symbol, colour = STATUS_MARKS[run.status]
    s = run.series
    if run.divergence_step is not None:
        at = int(np.searchsorted(s.step, run.divergence_step))
        finite_before = np.flatnonzero(np.isfinite(s.loss[:at]) & ((s.loss[:at] > 0) if style.log_y else True))
        if not len(finite_before):
            return None
        last = finite_before[-1]
        what = f"diverged at step {run.divergence_step}: loss {s.loss[at]}" if run.status == "diverged" else \
            f"{run.status}; loss not finite from step {run.divergence_step}"
        what += f" (the last finite loss: {s.loss[last]:.4g} at step {s.step[last]})"
        x = s.elapsed[at] if use_time else run.divergence_step
        y = s.loss[last]
    else:
        what = f"{run.status} after {run.summary.steps} of {run.steps} steps"
        x = line.elapsed[-1] if use_time else line.step[-1]
        y = line.loss[-1]
    if run.error:
        what += f": {run.error}"
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [float(x) if use_time else int(x)],
        "y": [style.clip(float(y))],
        "name": text(f"{run.label} {run.status}"),
        "legendgroup": f"r{run.id}",
        "showlegend": False,
        "visible": "legendonly" if member else True,
        "marker": {"symbol": symbol, "color": colour, "size": 12, "line": {"width": 2, "color": colour}},
        "hovertemplate": f"<b>{text(run.label)}</b><br>{text(what)}<extra></extra>",
        "meta": {"run": run.id, "status": run.status},
    }


def _group_traces(style: _Style, group: Group, use_time: bool) -> list[dict[str, Any]]:
    """A group's band and mean line, against step or against the runs' mean wall-clock time."""
    band = group.band
    colour = style.colours[group.model]
    ok = band.count > 0
    if style.log_y:
        ok &= band.low > 0
    step, mean, std, low, high = band.step[ok], band.mean[ok], band.std[ok], band.low[ok], band.high[ok]
    x = band.elapsed[ok] if use_time else step
    if style.options.band == "std":
        lower = mean - std
        low = np.where(lower > 0, lower, low) if style.log_y else lower
        high = mean + std
        band_name = "mean ± std"
    else:
        band_name = "min–max"
    n_out = style.options.max_points
    if len(step) > n_out:
        idx = lttb_indices(step, np.log10(mean) if style.log_y else mean, n_out)
        mean_x, mean_y = x[idx], mean[idx]
        band_x, low, high = envelope(x, low, high, n_out)
    else:
        mean_x, mean_y, band_x = x, mean, x
    label = text(group.label)
    n = len(group.run_ids)
    seeds = ", ".join(map(str, group.seeds))
    status = "" if group.status == "completed" else f" [{text(group.status)}]"
    x_hover = "mean time %{x:.3f} s" if use_time else "step %{x}"
    return [
        {
            "type": style.line_type,
            "mode": "lines",
            "x": compact(np.concatenate([band_x, band_x[::-1]])),
            "y": compact(np.concatenate([high, low[::-1]])),
            "fill": "toself",
            "fillcolor": rgba(colour, 0.18),
            "line": {"width": 0, "color": rgba(colour, 0)},
            "hoverinfo": "skip",
            "name": f"{label} {band_name}",
            "legendgroup": group.key,
            "showlegend": False,
            "meta": {"group": group.key, "part": "band"},
        },
        {
            "type": style.line_type,
            "mode": "lines",
            "x": compact(mean_x),
            "y": compact(mean_y),
            "name": f"{label} · mean of {n} seeds{status}",
            "legendgroup": group.key,
            "line": {"color": colour, "dash": style.dashes[group.optimizer], "width": 3},
            "hovertemplate": (
                f"<b>{label}</b><br>mean of {n} runs (seeds {seeds}); band {band_name}{status}"
                f"<br>{x_hover}<br>mean loss %{{y:.6g}}<extra></extra>"
            ),
            "meta": {"group": group.key, "part": "mean"},
        },
    ]


def _layout(style: _Style, title: str, x_title: str, y_title: str, height: int) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "title": {"text": title},
        "height": height,
        "xaxis": {"title": {"text": x_title}},
        "yaxis": style.axis(y_title, capped=True),
        "hovermode": "closest",
        "legend": {"font": {"size": 11}, "tracegroupgap": 2},
        "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
    }


def lines_figure(data: ReportData, lines: dict[int, Line], style: _Style, use_time: bool) -> go.Figure:
    """Loss against step (or wall-clock time): each group as mean and band with its runs one legend click away."""
    traces: list[dict[str, Any]] = []
    x_label = "%{x:.3f} s" if use_time else "step %{x}"
    for entry in data.entries():
        if isinstance(entry, Group):
            traces += _group_traces(style, entry, use_time)
            runs = [(data.run(i), True) for i in entry.run_ids]
        else:
            runs = [(entry, False)]
        for run, member in runs:
            line = lines[run.id]
            x = line.elapsed if use_time else line.step
            traces.append(_line_trace(style, run, x, line.loss, member, x_label))
            mark = _status_trace(style, run, line, member, use_time=use_time)
            if mark:
                traces.append(mark)
    if use_time:
        layout = _layout(style, "Loss against wall-clock time", "seconds since the run started", "loss", 560)
    else:
        layout = _layout(style, "Loss per step", "step", "loss", 620)
    return go.Figure({"data": traces, "layout": layout})


def loss_figure(data: ReportData, lines: dict[int, Line], style: _Style) -> go.Figure:
    return lines_figure(data, lines, style, use_time=False)


def wall_clock_figure(data: ReportData, lines: dict[int, Line], style: _Style) -> go.Figure:
    return lines_figure(data, lines, style, use_time=True)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}"


def final_loss_figure(data: ReportData, style: _Style) -> go.Figure:
    """One bar per group (mean, whiskers from the lowest to the highest run, the runs as dots) or ungrouped run."""
    labels, values, plus, minus, colours, hover, notes = [], [], [], [], [], [], []
    dots_x, dots_y, dots_hover = [], [], []
    seen: set[str] = set()
    for entry in data.entries():
        if isinstance(entry, Group):
            label = f"{entry.label} (×{len(entry.run_ids)})"
            value = entry.final_mean
            plus.append(entry.final_max - value if value is not None else 0)
            minus.append(value - entry.final_min if value is not None else 0)
            colours.append(style.colours[entry.model])
            hover.append(
                f"<b>{text(entry.label)}</b><br>mean final loss {_fmt(value)} ± {_fmt(entry.final_std)} "
                f"(min {_fmt(entry.final_min)}, max {_fmt(entry.final_max)})<br>seeds {', '.join(map(str, entry.seeds))} · "
                f"{text(entry.status)}"
            )
            bad = entry.nonfinite_finals
            notes.append(f"{bad} of {len(entry.run_ids)} not finite" if bad else "")
            for run_id in entry.run_ids:
                run = data.run(run_id)
                final = run.summary.final_loss
                if final is not None and math.isfinite(final) and (final > 0 or not style.log_y):
                    dots_x.append(final)
                    dots_y.append(label)
                    dots_hover.append(f"{text(run.label)} · seed {run.seed}: {_fmt(final)}")
        else:
            run = entry
            label = f"{run.label} · {run.model} · {run.optimizer} · lr={run.lr:g}"
            final = run.summary.final_loss
            value = final if final is not None and math.isfinite(final) else None
            plus.append(0)
            minus.append(0)
            colours.append(style.colours[run.model])
            hover.append(f"<b>{text(run.label)}</b><br>final loss {_fmt(final)} · {text(run.status)}")
            notes.append("" if value is not None else f"{STATUS_WORDS.get(run.status, run.status)}: final loss {final}")
        while label in seen:
            label += " "
        seen.add(label)
        labels.append(label)
        values.append(value if value is None or value > 0 or not style.log_y else None)
    labels = [text(label) for label in labels]
    dots_y = [text(label) for label in dots_y]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "x": values,
            "y": labels,
            "marker": {"color": colours},
            "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": "#333"},
            "hovertext": hover,
            "hovertemplate": "%{hovertext}<extra></extra>",
            "name": "final loss",
            "showlegend": False,
        }
    ]
    if dots_x:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": dots_x,
                "y": dots_y,
                "marker": {"color": "#222", "size": 6, "symbol": "circle-open"},
                "hovertext": dots_hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "name": "runs",
                "showlegend": False,
            }
        )
    annotations = [
        {
            "x": 1, "xref": "paper", "xanchor": "right", "y": label, "yref": "y",
            "text": text(note), "showarrow": False, "font": {"color": FAILURE_RED, "size": 11},
        }
        for label, note in zip(labels, notes) if note
    ]
    layout = _layout(style, "Final loss per group and run", "final loss", "", 140 + 26 * len(labels))
    layout["xaxis"] = style.axis("final loss")
    layout["yaxis"] = {"autorange": "reversed", "automargin": True, "type": "category"}
    layout["annotations"] = annotations
    layout["bargap"] = 0.3
    return go.Figure({"data": traces, "layout": layout})
