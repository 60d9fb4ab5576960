"""What the page says under a curve figure (the loss's or a metric's): exactly what is drawn, and how.

Plain sentences from a Curves: how the values were read (runner.report.reading),
what a seed group's line and band are, how lines were downsampled, where a
group's runs are, WebGL, the axis, and the values left out.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from runner.formatting import format_ids
from runner.report.curve_set import Curves
from runner.report.data import LOSS, repeated_runs

__all__ = ["notes"]


def notes(curves: Curves) -> list[str]:
    """What the page says under the curves (the loss's or a metric's) about how they were drawn."""
    data, lines, name = curves.data, curves.lines, curves.name
    sampling = data.sampling if name == LOSS else data.metric_sampling.get(name)
    read_in_part = sampling.describe() if sampling is not None else None
    out = [read_in_part] if read_in_part else []
    out += groups_note(curves)
    downsampled = [i for i, line in lines.items() if line.downsampled]
    if downsampled:
        out.append(
            f"Display only: {len(downsampled)} of {len(lines)} lines are drawn with about "
            f"{curves.max_points:,} of their points (LTTB, keeping the first, last, lowest and highest), "
            "the share of each in the figure's budget of points. "
            "The database keeps every step; `runner export` writes them all."
        )
    if curves.webgl:
        out.append(f"Lines are drawn with WebGL: {curves.drawn_points:,} points on screen.")
    out += axis_notes(curves)
    out += left_out_notes(curves)
    return out


def groups_note(curves: Curves) -> list[str]:
    """What a seed group's line and band are, and where its runs are."""
    groups = [g for g in curves.data.groups if g.key in curves.bands]
    if not groups:
        return []
    sizes = Counter(len(g.run_ids) for g in groups)
    seeds = f"{min(sizes)} to {max(sizes)}" if len(sizes) > 1 else f"{next(iter(sizes))}"
    what = "losses" if curves.name == LOSS else f"{curves.name} values"
    band = ("from the lowest to the highest of its runs (min–max)" if curves.band == "minmax"
            else "of one standard deviation either side of the mean (mean ± std)")
    n = len(groups)
    out = [
        f"{n} seed group{'s' if n != 1 else ''} ({curves.grouped_runs:,} runs, {seeds} seeds each) "
        f"{'are' if n != 1 else 'is'} drawn as one line each: at every step, the mean of its runs' finite {what} "
        f"there, with a band {band}."
    ]
    long = [g.key for g in groups if len(curves.bands[g.key].step) > curves.max_points]
    if long:
        out[0] += (f" {len(long)} group{'s' if len(long) != 1 else ''} with more steps than that are drawn at "
                   f"{curves.max_points:,} points: the mean by LTTB, the band by the lowest and highest value "
                   "in each stretch of steps.")
    if curves.members_in_legend:
        out.append("Each group's runs are in the legend under it (↳ seed …), hidden until clicked.")
    else:
        out.append("The legend lists each seed group once: click a group's entry to draw its runs' lines (they "
                   "are not drawn until then), click it again to hide them.")
    return out


def axis_notes(curves: Curves) -> list[str]:
    """Why the value axis is linear, and where it stops when a run blew up."""
    data, lines, scale, name = curves.data, curves.lines, curves.scale, curves.name
    out = []
    if not scale.log:
        out.append(f"The {name} axis is linear" + (f" ({scale.why_linear})." if scale.why_linear else "."))
    bound = data.bounds.get(name)
    if bound is not None and curves.band == "std" and curves.bands:
        out.append(f"Each group's mean ± std band of {name} is clipped to {bound[0]:g}–{bound[1]:g}, "
                   "the values it can take.")
    if scale.cap is not None:
        high = [r.label for r in data.runs if r.id in lines and len(lines[r.id].value) and lines[r.id].value.max() > scale.cap]
        who = ", ".join(high[:5]) + (f" and {len(high) - 5} more" if len(high) > 5 else "")
        top = max(line.value.max() for line in lines.values() if len(line.value))
        out.append(
            f"The {name} axis stops at {scale.cap:.3g} so that the other lines stay readable: "
            f"{who} went as high as {top:.3g} (zoom out, or hover a mark, to see it)."
        )
    return out


def left_out_notes(curves: Curves) -> list[str]:
    """Runs that are not in a group though they share settings, and the non-finite values left out."""
    data, name = curves.data, curves.name
    if name != LOSS:
        dropped = sum(int(np.count_nonzero(~np.isfinite(value))) for _, value in curves.stored.values())
        return [f"{dropped:,} non-finite {name} values (NaN or inf) are left out of the lines."] if dropped else []
    out = []
    repeated = repeated_runs(data.runs)
    if repeated:
        who = f"Runs {format_ids(repeated)} repeat" if len(repeated) > 1 else f"Run {format_ids(repeated)} repeats"
        out.append(f"{who} the settings and seed of another run: drawn one line each, not as a seed group.")
    dropped = sum(r.summary.nonfinite for r in data.runs)
    if dropped:
        out.append(f"{dropped:,} non-finite losses (NaN or inf) are left out of the lines; "
                   "a marker shows where each run diverged.")
    return out
