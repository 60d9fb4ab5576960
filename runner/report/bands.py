"""A seed group on a curve figure (the loss or a metric): the band its runs span and their mean line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from runner.report.data import Group
from runner.report.downsample import envelope, lttb_indices
from runner.report.lines import compact
from runner.report.style import rgba, star, text

if TYPE_CHECKING:
    from runner.report.curve_set import Curves

__all__ = ["group_traces"]


def group_traces(curves: Curves, group: Group, use_time: bool) -> list[dict[str, Any]]:
    """The group's band and mean line (of the curves' value), against step or the runs' mean wall-clock time."""
    scale, palette, max_points, line_type = curves.scale, curves.palette, curves.max_points, curves.line_type
    band = curves.bands[group.key]
    ok = band.count > 0
    if scale.log:
        ok &= band.low > 0
    step, mean, std, low, high = band.step[ok], band.mean[ok], band.std[ok], band.low[ok], band.high[ok]
    x = band.elapsed[ok] if use_time else step
    if curves.band == "std":
        lower = mean - std
        low = np.where(lower > 0, lower, low) if scale.log else lower
        high = mean + std
        band_name = "mean ± std"
        bound = curves.data.bounds.get(curves.name)
        if bound is not None:  # accuracy ± std can pass 1: the band stops at the bound (notes.axis_notes says so)
            low, high = np.clip(low, *bound), np.clip(high, *bound)
    else:
        band_name = "min–max"
    if len(step) > max_points:
        idx = lttb_indices(step, np.log10(mean) if scale.log else mean, max_points)
        mean_x, mean_y = x[idx], mean[idx]
        band_x, low, high = envelope(x, low, high, max_points)
    else:
        mean_x, mean_y, band_x = x, mean, x
    colour = palette.colour(group)
    label = text(group.label)
    status = "" if group.status == "completed" else f" [{text(group.status)}]"
    x_hover = "mean time %{x:.3f} s" if use_time else "step %{x}"
    seeds = ", ".join(map(str, group.seeds))
    return [
        {
            "type": line_type,
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
            "type": line_type,
            "mode": "lines",
            "x": compact(mean_x),
            "y": compact(mean_y),
            "name": f"{star(curves.data, group)}{label} · mean of {len(group.run_ids)} seeds{status}",
            "legendgroup": group.key,
            "line": {"color": colour, "dash": palette.dash(group), "width": 3},
            "hovertemplate": (
                f"<b>{label}</b><br>mean of {len(group.run_ids)} runs (seeds {seeds}); band {band_name}{status}"
                f"<br>{x_hover}<br>mean {text(curves.name)} %{{y:.6g}}<extra></extra>"
            ),
            # "members": the page's script shows and hides the group's runs when this entry is clicked
            "meta": {"group": group.key, "part": "mean", "members": not curves.members_in_legend},
        },
    ]
