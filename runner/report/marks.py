"""The mark where a run stopped without completing: diverged, failed, interrupted, lost, or still going."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner.report.data import RunData
from runner.report.lines import Line
from runner.report.scale import Scale
from runner.report.style import STATUS_MARKS, text

__all__ = ["status_trace"]


def status_trace(run: RunData, line: Line, scale: Scale, member: bool, use_time: bool) -> dict[str, Any] | None:
    """A marker at the run's last drawable loss (at the top edge when the axis stops below it), or None."""
    if run.status not in STATUS_MARKS or not len(line.step):
        return None
    symbol, colour = STATUS_MARKS[run.status]
    where = _where(run, line, scale, use_time)
    if where is None:
        return None
    x, y, what = where
    if run.error:
        what += f": {run.error}"
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [float(x) if use_time else int(x)],
        "y": [scale.clip(float(y))],
        "name": text(f"{run.label} {run.status}"),
        "legendgroup": f"r{run.id}",
        "showlegend": False,
        "visible": "legendonly" if member else True,
        "marker": {"symbol": symbol, "color": colour, "size": 12, "line": {"width": 2, "color": colour}},
        "hovertemplate": f"<b>{text(run.label)}</b><br>{text(what)}<extra></extra>",
        "meta": {"run": run.id, "status": run.status},
    }


def _where(run: RunData, line: Line, scale: Scale, use_time: bool) -> tuple[float, float, str] | None:
    """(x, y, what happened): at the divergence step and the last drawable loss before it, else at the line's end."""
    if run.divergence_step is None:
        x = line.elapsed[-1] if use_time else line.step[-1]
        return x, line.loss[-1], f"{run.status} after {run.summary.steps} of {run.steps} steps"
    s = run.series
    at = int(np.searchsorted(s.step, run.divergence_step))
    before = np.flatnonzero(scale.drawable(s.loss[:at]))
    if not len(before):
        return None
    last = before[-1]
    if run.status == "diverged":
        what = f"diverged at step {run.divergence_step}: loss {s.loss[at]}"
    else:
        what = f"{run.status}; loss not finite from step {run.divergence_step}"
    what += f" (the last finite loss: {s.loss[last]:.4g} at step {s.step[last]})"
    return (s.elapsed[at] if use_time else run.divergence_step), s.loss[last], what
