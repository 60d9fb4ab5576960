"""The mark where a run stopped without completing: diverged, failed, interrupted, lost, or still going; and the
mark where early stopping (--early-stop) ended a completed run.

The same mark goes on the loss and on each metric's figure: at the step
where the run's loss stopped being finite (at its last drawable value
before it), or at the end of its line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runner.report.data import RunData
from runner.report.lines import Line
from runner.report.scale import Scale
from runner.report.style import EARLY_STOP_MARK, STATUS_MARKS, text

__all__ = ["status_trace", "early_stop_trace"]


def status_trace(
    run: RunData, line: Line, stored: tuple[np.ndarray, np.ndarray], name: str, scale: Scale, member: bool, use_time: bool
) -> dict[str, Any] | None:
    """A marker at the run's last drawable value (at the top edge when the axis stops below it), or None.

    ``stored`` is every (step, value) the run stored of ``name`` ("loss" or a metric); ``line`` what is drawn.
    """
    if run.status not in STATUS_MARKS or not len(line.step):
        return None
    symbol, colour = STATUS_MARKS[run.status]
    where = _where(run, line, stored, name, scale, use_time)
    if where is None:
        return None
    x, y, what = where
    if run.error:
        what += f": {run.error}"
    return _marker(run, (x, scale.clip(float(y))), (symbol, colour, 12, 2), what, run.status, member, use_time)


def _marker(run: RunData, at: tuple[float, float], look: tuple[str, str, int, int], what: str, status: str,
            member: bool, use_time: bool) -> dict[str, Any]:
    """One marker on ``run``'s line at ``at`` (x, y), drawn as ``look`` (symbol, colour, size, line width),
    saying ``what`` on hover; hidden with the run's line when it is a group's member."""
    symbol, colour, size, width = look
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [float(at[0]) if use_time else int(at[0])],
        "y": [at[1]],
        "name": text(f"{run.label} {status}"),
        "legendgroup": f"r{run.id}",
        "showlegend": False,
        "visible": "legendonly" if member else True,
        "marker": {"symbol": symbol, "color": colour, "size": size, "line": {"width": width, "color": colour}},
        "hovertemplate": f"<b>{text(run.label)}</b><br>{text(what)}<extra></extra>",
        "meta": {"run": run.id, "status": status},
    }


def _where(
    run: RunData, line: Line, stored: tuple[np.ndarray, np.ndarray], name: str, scale: Scale, use_time: bool
) -> tuple[float, float, str] | None:
    """(x, y, what happened): at the divergence step and the last drawable value before it, else at the line's end."""
    if run.divergence_step is None:
        x = line.elapsed[-1] if use_time and line.elapsed is not None else line.step[-1]
        return x, line.value[-1], f"{run.status} after {run.summary.steps} of {run.steps} steps"
    steps, values = stored
    at = int(np.searchsorted(steps, run.divergence_step))
    before = np.flatnonzero(scale.drawable(values[:at]))
    if not len(before):
        return None
    last = before[-1]
    loss = run.series.loss[int(np.searchsorted(run.series.step, run.divergence_step))]
    if run.status == "diverged":
        what = f"diverged at step {run.divergence_step}: loss {loss}"
    else:
        what = f"{run.status}; loss not finite from step {run.divergence_step}"
    what += f" (the last finite {name}: {values[last]:.4g} at step {steps[last]})"
    x = run.series.elapsed[int(np.searchsorted(run.series.step, run.divergence_step))] if use_time else run.divergence_step
    return x, values[last], what


def early_stop_trace(run: RunData, line: Line, member: bool, use_time: bool) -> dict[str, Any] | None:
    """A bar across the run's line at its last drawn point at or before the step early stopping ended it after,
    with the reason on hover; None for a run that did not stop early (or draws nothing there)."""
    early = run.early_stop
    if not isinstance(early, dict) or not isinstance(early.get("step"), int) or not len(line.step):
        return None
    at = int(np.searchsorted(line.step, early["step"], side="right")) - 1
    if at < 0:
        return None
    symbol, colour = EARLY_STOP_MARK
    x = line.elapsed[at] if use_time and line.elapsed is not None else line.step[at]
    what = f"stopped early after step {early['step']}: {early.get('reason', '')}"
    return _marker(run, (x, float(line.value[at])), (symbol, colour, 16, 3), what, "stopped early", member, use_time)
