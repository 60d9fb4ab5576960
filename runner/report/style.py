"""What every figure shares: colours and dashes, the status marks, the base layout, and text escaping."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runner.formatting import canonical
from runner.report.data import Group, ReportData, RunData

__all__ = ["BEST_STAR", "FAILURE_RED", "STATUS_MARKS", "STATUS_WORDS", "Palette", "base_layout", "rgba", "star", "text",
    "EARLY_STOP_MARK", "EARLY_STOP_WORD"]

# Qualitative colours without the red and grey that mark failures.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#393b79", "#637939", "#8c6d31", "#7b4173",
)
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
FAILURE_RED = "#d62728"
BEST_STAR = "★ "  # before the legend entry, bar and table row of the entry that --best chose
STATUS_MARKS = {  # symbol, colour, where the marker goes
    "diverged": ("x-thin-open", FAILURE_RED),
    "failed": ("square", FAILURE_RED),
    "interrupted": ("diamond", "#444444"),
    "lost": ("circle-open", "#888888"),
    "running": ("triangle-right", "#444444"),
    "queued": ("triangle-right-open", "#444444"),
}
EARLY_STOP_MARK = ("line-ns-open", "#2ca02c")  # symbol, colour: a bar across the curve where early stopping ended it
EARLY_STOP_WORD = "| stopped early"
STATUS_WORDS = {"diverged": "✕ diverged", "failed": "■ failed", "interrupted": "◆ interrupted", "lost": "○ lost",
                "running": "▸ running", "queued": "▹ queued"}


def text(value: Any) -> str:
    """A user's string as Plotly text: shown literally, never parsed as markup or as a %{template}."""
    return html.escape(str(value), quote=True).replace("%", "&#37;").replace("{", "&#123;").replace("}", "&#125;")


def star(data: ReportData, entry: Group | RunData) -> str:
    """BEST_STAR for the entry that --best chose, else nothing."""
    return BEST_STAR if data.best is not None and data.best.marks(entry) else ""


def rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _order(value: Any) -> tuple[int, Any]:
    """Numbers by size, anything else by its text: lr=1e-4 before lr=1e-3."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0, value
    return 1, str(value)


def _styles(runs: list[RunData], key: str | None, values: tuple[str, ...]) -> dict[int, str]:
    """Each run's style by its value of ``key``: equal values alike, distinct ones in turn."""
    if key is None:
        return {r.id: values[0] for r in runs}
    config = {r.id: r.config.get(key) for r in runs}
    distinct = sorted({canonical(v): v for v in config.values()}.items(), key=lambda item: _order(item[1]))
    index = {text: i for i, (text, _) in enumerate(distinct)}
    return {run_id: values[index[canonical(v)] % len(values)] for run_id, v in config.items()}


# With one model, colour follows the first of these that varies, then any other setting that does.
COLOUR_KEYS = ("optimizer", "lr", "dataset")
NOT_STYLED = ("model", "seed")  # one model; a seed group's seeds share its colour


def style_keys(models: int, varying: tuple[str, ...]) -> tuple[str, str | None]:
    """(what colour follows, what dash follows or None): model and optimizer, or with one model what varies."""
    if models > 1:
        return "model", "optimizer"
    keys = [k for k in COLOUR_KEYS if k in varying] + [k for k in varying if k not in COLOUR_KEYS + NOT_STYLED]
    if not keys:
        return "model", "optimizer"
    if keys[0] != "optimizer":
        return keys[0], "optimizer"
    # Options such as optimizer.alpha differ because the optimizers do: they say nothing more.
    rest = [k for k in keys[1:] if not k.startswith("optimizer.")]
    return "optimizer", rest[0] if rest else None


@dataclass(frozen=True)
class Palette:
    """Each run's colour and dash, the same in every figure of a report.

    Colour by model and dash by optimizer; with one model, colour follows
    the first setting that varies (optimizer, lr, dataset, then any other,
    the seed aside), so that a sweep of one model is not drawn in one colour.
    A seed group takes its first run's colour and dash.
    """

    colour_key: str  # "model", "optimizer", "lr", "model.hidden", ...
    dash_key: str | None  # None: every line solid
    colours: dict[int, str]  # by run id
    dashes: dict[int, str]

    @classmethod
    def for_runs(cls, runs: Iterable[RunData], varying: tuple[str, ...] = ()) -> Palette:
        runs = list(runs)
        colour_key, dash_key = style_keys(len({r.model for r in runs}), varying)
        return cls(colour_key, dash_key, _styles(runs, colour_key, PALETTE), _styles(runs, dash_key, DASHES))

    def colour(self, entry: RunData | Group) -> str:
        return self.colours[_first_id(entry)]

    def dash(self, entry: RunData | Group) -> str:
        return self.dashes[_first_id(entry)]

    def describe(self) -> str:
        """For the page: ``Colour: lr. Dash: optimizer.``"""
        dash = f" Dash: {self.dash_key}." if self.dash_key else ""
        return f"Colour: {self.colour_key}.{dash}"


def _first_id(entry: RunData | Group) -> int:
    return entry.run_ids[0] if isinstance(entry, Group) else entry.id


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
