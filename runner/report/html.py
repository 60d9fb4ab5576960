"""One self-contained HTML page: plotly.js once, then every figure, the tables, the config diff, provenance.

Every string that comes from a user (run, sweep and plugin names, settings,
errors, the command line) is HTML-escaped; figure JSON is embedded with
``<``, ``>`` and ``&`` as JSON escapes, so nothing in it can close the
script. With ``plotlyjs="embed"`` the page makes no request at all; with
``"cdn"`` it loads plotly.js from the CDN (with its integrity hash) and is
about 5 MB smaller. The page's style and script are package data
(runner/report/assets), inlined so that the page stays one file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import cache
from importlib import resources
from pathlib import Path

from runner.formatting import format_ids
from runner.report.comparisons import comparisons_section
from runner.report.data import ReportData
from runner.report.figures import Figures, Options, figures
from runner.report.tables import badge, config_section, e, fmt_time, runs_table, summary_table
from runner.report.verdicts import Basis, Verdicts

__all__ = ["PLOTLYJS_MODES", "to_html", "write_atomically", "write_html"]

PLOTLYJS_MODES = ("embed", "cdn")
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


@cache
def asset(name: str) -> str:
    """A file of runner/report/assets (the page's CSS and script)."""
    return resources.files("runner.report").joinpath("assets").joinpath(name).read_text(encoding="utf-8")


@cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotly_cdn_url() -> str:
    """Where the CDN serves the plotly.js that this plotly bundles (the URL plotly's own pages use)."""
    from plotly.offline import get_plotlyjs_version

    return f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"


def plotlyjs_tag(mode: str) -> str:
    config = '<script>window.PlotlyConfig = {MathJaxConfig: "local"};</script>'
    if mode == "embed":
        return f'{config}\n<script type="text/javascript">{_plotlyjs()}</script>'
    if mode == "cdn":
        digest = base64.b64encode(hashlib.sha256(_plotlyjs().encode("utf-8")).digest()).decode("ascii")
        return f'{config}\n<script src="{e(plotly_cdn_url())}" integrity="sha256-{digest}" crossorigin="anonymous"></script>'
    raise ValueError(f"plotlyjs must be one of {', '.join(PLOTLYJS_MODES)}, not {mode!r}")


def figure_json(fig) -> str:
    """The figure as JSON that is safe inside a <script>: no <, > or & left in it."""
    return fig.to_json(validate=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def provenance_section(data: ReportData, plotlyjs: str) -> str:
    p = data.provenance
    from plotly import __version__ as plotly_version

    rows = [
        ("Built by", f"runner {p.runner_version or '?'}"),
        ("torch", p.torch_version or "not installed"),
        ("numpy", p.numpy_version or "?"),
        ("Python", p.python_version or "?"),
        ("plotly", f"{plotly_version} (plotly.js {'embedded' if plotlyjs == 'embed' else 'from the CDN'})"),
        ("Host", p.host),
        ("Date", fmt_time(p.created_at)),
        ("Database", p.database),
        ("Selection", data.selection.describe()),
    ]
    if p.command:
        rows.append(("Command", p.command))
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    recorded: dict[tuple, list[int]] = {}
    for r in data.runs:
        key = (r.versions.get("runner"), r.versions.get("torch"), r.versions.get("numpy"), r.versions.get("python"), r.host)
        recorded.setdefault(key, []).append(r.id)
    lines = "".join(
        f"<li>runner {e(v[0] or '?')} · torch {e(v[1] or '-')} · numpy {e(v[2] or '?')} · Python {e(v[3] or '?')} "
        f"on {e(v[4] or '?')}: {len(ids)} run{'s' if len(ids) != 1 else ''} ({e(format_ids(ids))})</li>"
        for v, ids in recorded.items()
    )
    return f"<dl>{dl}</dl><p>The runs were recorded with:</p><ul>{lines}</ul>"


def loss_note(data: ReportData, figs: Figures) -> str:
    """What colour and dash follow, the legend; the best entry; other metrics (the figures' notes say the rest)."""
    style = figs.palette.describe() if figs.palette else "Colour: model. Dash: optimizer."
    parts = [f"{style} Click a legend entry to hide or show it, double-click to show only it."]
    if data.best is not None:
        parts.append(data.best.describe())
    others = [name for name in data.recorded if name not in data.metrics]
    if others:
        parts.append(f"The runs also recorded {', '.join(others)}: draw them with --metric NAME.")
    return "".join(f'<p class="note">{e(part)}</p>' for part in parts)


def metric_sections(figs: Figures) -> list[tuple[str, str, str]]:
    """A section per gathered metric, after the loss's."""
    return [
        (f"metric-{name}", f"{name} per step",
         "".join(f'<p class="note">{e(n)}</p>' for n in figs.metric_notes.get(name, []))
         + f'<div class="figure" id="fig-metric-{name}"></div>')
        for name in figs.metrics
    ]


def sections(
    data: ReportData, figs: Figures, plotlyjs: str, basis: Basis | None = None, found: Verdicts | None = None
) -> list[tuple[str, str, str]]:
    """(anchor, heading, HTML) of each section, in page order; the comparisons ``found`` already, or on ``basis``."""
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in figs.notes)
    out = [
        ("loss", "Loss per step", loss_note(data, figs) + notes + '<div class="figure" id="fig-loss"></div>'),
        *metric_sections(figs),
        ("summary", "Summary", '<p class="note">Click a column heading to sort. Training: from the first step to '
         "the last stored one; start-up: the rest of the run's time (starting the worker, building the model).</p>"
         + summary_table(data)),
        ("comparisons", "Comparisons", comparisons_section(data, basis, found)),
        ("final", "Final loss", '<div class="figure" id="fig-final_loss"></div>'),
        ("time", "Loss against wall-clock time", notes + '<div class="figure" id="fig-wall_clock"></div>'),
        ("config", "Configuration differences", config_section(data)),
        ("provenance", "Provenance", provenance_section(data, plotlyjs)),
    ]
    if data.groups:
        every = f"<details><summary>Show all {len(data.runs)} runs</summary>{runs_table(data)}</details>"
        out.insert([key for key, _, _ in out].index("summary") + 1, ("runs", "Every run", every))
    return out


def header(data: ReportData, title: str, nav: str) -> str:
    n_runs, n_groups = len(data.runs), len(data.groups)
    counts: dict[str, int] = {}
    for r in data.runs:
        counts[r.status] = counts.get(r.status, 0) + 1
    count_badges = " ".join(f"{badge(s)} {n}" for s, n in sorted(counts.items()))
    grouped = f", {n_groups} seed group{'s' if n_groups != 1 else ''}" if n_groups else ""
    return (
        f"<header><h1>{e(title)}</h1>"
        f"<p>{n_runs} run{'s' if n_runs != 1 else ''}{grouped} · {e(data.selection.describe())} · "
        f"from {e(data.provenance.database)} · built {e(fmt_time(data.provenance.created_at))}</p>"
        f'<p class="counts">{count_badges}</p><nav>{nav}</nav></header>\n'
    )


def page_script(figs: Figures) -> str:
    """The figures as data, then the page's script (assets/page.js), which draws them and sorts the tables."""
    specs = ",\n".join(f'"{name}": {figure_json(fig)}' for name, fig in figs.items())
    return f"var FIGURES = {{\n{specs}\n}};\nvar PLOT_CONFIG = {json.dumps(PLOT_CONFIG)};\n{asset('page.js')}"


def to_html(
    data: ReportData,
    figs: Figures | None = None,
    *,
    plotlyjs: str = "embed",
    options: Options | None = None,
    title: str | None = None,
    basis: Basis | None = None,
    verdicts: Verdicts | None = None,
) -> str:
    """The whole page as a string; its comparisons ``verdicts``, or those on ``basis`` (by default the --best
    metric's final value, or the loss's)."""
    figs = figs or figures(data, options)
    head_js = plotlyjs_tag(plotlyjs)
    title = title or f"runner report: {len(data.runs)} run{'s' if len(data.runs) != 1 else ''}"
    parts = sections(data, figs, plotlyjs, basis, verdicts)
    nav = "".join(f'<a href="#{key}">{e(name)}</a>' for key, name, _ in parts)
    body = "".join(f'<section id="{key}"><h2>{e(name)}</h2>{content}</section>' for key, name, content in parts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="runner {e(data.provenance.runner_version or "")}">\n'
        f"<title>{e(title)}</title>\n<style>\n{asset('page.css')}</style>\n{head_js}\n</head>\n<body>\n"
        f"{header(data, title, nav)}<main>{body}</main>\n"
        f"<script>\n{page_script(figs)}</script>\n</body>\n</html>\n"
    )


def write_html(
    data: ReportData,
    path: str | os.PathLike[str],
    figs: Figures | None = None,
    *,
    plotlyjs: str = "embed",
    options: Options | None = None,
    title: str | None = None,
    basis: Basis | None = None,
    verdicts: Verdicts | None = None,
) -> Path:
    """Write the page to ``path`` whole or not at all (through a temporary file beside it), only over a regular
    file or nothing (runner.outputs); OSError if it cannot."""
    page = to_html(data, figs, plotlyjs=plotlyjs, options=options, title=title, basis=basis, verdicts=verdicts)
    return write_atomically(path, page)


def write_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to the regular file ``path`` whole or not at all; OSError if it cannot (runner.outputs
    refuses a device, FIFO, socket, folder or missing folder, and cannot write a full disk)."""
    from runner.errors import OutputFailed, OutputRefused
    from runner.outputs import check, write

    try:
        write(check(os.fspath(path), stdout=False), text)
    except (OutputRefused, OutputFailed) as exc:
        raise OSError(str(exc)) from exc
    return Path(path)
