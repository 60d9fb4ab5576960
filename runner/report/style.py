"""What every figure shares: colours and dashes, the status marks, the base layout, and text escaping."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runner.report.data import RunData

__all__ = ["FAILURE_RED", "STATUS_MARKS", "STATUS_WORDS", "Palette", "base_layout", "rgba", "text"]

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


def text(value: Any) -> str:
    """A user's string as Plotly text: shown literally, never parsed as markup or as a %{template}."""
    return html.escape(str(value), quote=True).replace("%", "&#37;").replace("{", "&#123;").replace("}", "&#125;")


def rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _cycle(names: Iterable[str], values: tuple[str, ...]) -> dict[str, str]:
    return {name: values[i % len(values)] for i, name in enumerate(sorted(set(names)))}


@dataclass(frozen=True)
class Palette:
    """Colour by model, dash by optimizer: the same in every figure of a report."""

    colours: dict[str, str]
    dashes: dict[str, str]

    @classmethod
    def for_runs(cls, runs: Iterable[RunData]) -> Palette:
        runs = list(runs)
        return cls(_cycle((r.model for r in runs), PALETTE), _cycle((r.optimizer for r in runs), DASHES))


def base_layout(title: str, x_title: str, y_axis: dict[str, Any], height: int) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "title": {"text": title},
        "height": height,
        "xaxis": {"title": {"text": x_title}},
        "yaxis": y_axis,
        "hovermode": "closest",
        "legend": {"font": {"size": 11}, "tracegroupgap": 2},
        "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
    }
