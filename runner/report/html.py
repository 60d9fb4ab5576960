"""One self-contained HTML page: plotly.js once, then every figure, the tables, the config diff, provenance.

The page is runner/report/templates/page.html and its parts, rendered by
runner.report.templating's environment: autoescaped, so every string that
comes from a user (run, sweep and plugin names, settings, errors, the
command line) is HTML-escaped unless it is Markup that escaped it already
(the tables); figure JSON is embedded with ``<``, ``>``, ``&`` and
U+2028/2029 as JSON escapes, so nothing in it can close the script. With
``plotlyjs="embed"`` the page makes no request at all; with ``"cdn"`` it
loads plotly.js from the CDN (with its integrity hash) and is about 5 MB
smaller. The page's style and script are package data
(runner/report/assets), inlined so that the page stays one file.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from runner.formatting import format_ids
from runner.report.comparisons import comparisons_section
from runner.report.data import ReportData
from runner.report.figures import Figures, Options, figures
from runner.report.tables import badge, config_section, fmt_time, runs_table, summary_table
from runner.report.templating import asset, environment, figure_json, render
from runner.report.verdicts import Basis, Verdicts
from runner.training.provenance import describe

__all__ = ["PLOTLYJS_MODES", "asset", "figure_json", "page_context", "to_html", "write_atomically", "write_html"]

PLOTLYJS_MODES = ("embed", "cdn")
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


@cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotly_cdn_url() -> str:
    """Where the CDN serves the plotly.js that this plotly bundles (the URL plotly's own pages use)."""
    from plotly.offline import get_plotlyjs_version

    return f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"


def plotlyjs_tag(mode: str) -> Markup:
    if mode == "embed":
        return render("report/plotlyjs.html", embedded=Markup(_plotlyjs()))  # plotly's own script, as it is
    if mode == "cdn":
        digest = base64.b64encode(hashlib.sha256(_plotlyjs().encode("utf-8")).digest()).decode("ascii")
        return render("report/plotlyjs.html", embedded=None, url=plotly_cdn_url(), digest=digest)
    raise ValueError(f"plotlyjs must be one of {', '.join(PLOTLYJS_MODES)}, not {mode!r}")


def _macros() -> Any:
    return environment().get_template("report/sections.html").module


def provenance_section(data: ReportData, plotlyjs: str) -> Markup:
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
    recorded: dict[tuple, list[int]] = {}
    for r in data.runs:
        key = (r.versions.get("runner"), r.versions.get("torch"), r.versions.get("numpy"), r.versions.get("python"), r.host,
               r.threads, " · ".join(f"{name} {describe(entry)}" for name, entry in r.packages.items()))
        recorded.setdefault(key, []).append(r.id)
    return _macros().provenance(rows, [(v, len(ids), format_ids(ids)) for v, ids in recorded.items()])


def loss_notes(data: ReportData, figs: Figures) -> list[str]:
    """What colour and dash follow, the legend; the best entry; other metrics (the figures' notes say the rest)."""
    style = figs.palette.describe() if figs.palette else "Colour: model. Dash: optimizer."
    parts = [f"{style} Click a legend entry to hide or show it, double-click to show only it."]
    if data.best is not None:
        parts.append(data.best.describe())
    others = [name for name in data.recorded if name not in data.metrics]
    if others:
        parts.append(f"The runs also recorded {', '.join(others)}: draw them with --metric NAME.")
    return parts


def metric_sections(figs: Figures) -> list[tuple[str, str, Markup]]:
    """A section per gathered metric, after the loss's."""
    figure = _macros().figure
    return [
        (f"metric-{name}", f"{name} per step", figure(f"metric-{name}", figs.metric_notes.get(name, [])))
        for name in figs.metrics
    ]


def sections(
    data: ReportData, figs: Figures, plotlyjs: str, basis: Basis | None = None, found: Verdicts | None = None
) -> list[tuple[str, str, Markup]]:
    """(anchor, heading, HTML) of each section, in page order; the comparisons ``found`` already, or on ``basis``.
    The tables come as the Markup that runner.report.tables and .comparisons build (escaping each value)."""
    m = _macros()
    out = [
        ("loss", "Loss per step", m.figure("loss", loss_notes(data, figs) + list(figs.notes))),
        *metric_sections(figs),
        ("summary", "Summary", m.summary(Markup(summary_table(data)))),
        ("comparisons", "Comparisons", Markup(comparisons_section(data, basis, found))),
        ("final", "Final loss", m.figure("final_loss")),
        ("time", "Loss against wall-clock time", m.figure("wall_clock", figs.notes)),
        ("config", "Configuration differences", Markup(config_section(data))),
        ("provenance", "Provenance", provenance_section(data, plotlyjs)),
    ]
    if data.groups:
        every = m.every_run(len(data.runs), Markup(runs_table(data)))
        out.insert([key for key, _, _ in out].index("summary") + 1, ("runs", "Every run", every))
    return out


def header(data: ReportData, title: str, parts: Sequence[tuple[str, str, Markup]]) -> Markup:
    """The header, its links to ``parts`` (the sections)."""
    counts: dict[str, int] = {}
    for r in data.runs:
        counts[r.status] = counts.get(r.status, 0) + 1
    return render(
        "report/header.html", title=title, n_runs=len(data.runs), n_groups=len(data.groups),
        selection=data.selection.describe(), database=data.provenance.database,
        built=fmt_time(data.provenance.created_at), sections=parts,
        counts=[(Markup(badge(s)), n) for s, n in sorted(counts.items())],
    )


def page_context(
    data: ReportData,
    figs: Figures | None = None,
    *,
    plotlyjs: str = "embed",
    options: Options | None = None,
    title: str | None = None,
    basis: Basis | None = None,
    verdicts: Verdicts | None = None,
) -> dict[str, Any]:
    """What report/page.html (and the watch page, which extends it) is rendered with."""
    figs = figs or figures(data, options)
    head_js = plotlyjs_tag(plotlyjs)
    title = title or f"runner report: {len(data.runs)} run{'s' if len(data.runs) != 1 else ''}"
    parts = sections(data, figs, plotlyjs, basis, verdicts)
    return {
        "version": data.provenance.runner_version or "", "title": title, "plotly_tag": head_js,
        "header": header(data, title, parts), "sections": parts, "figures": list(figs.items()),
        "plot_config": PLOT_CONFIG,
    }


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
    context = page_context(data, figs, plotlyjs=plotlyjs, options=options, title=title, basis=basis, verdicts=verdicts)
    return str(render("report/page.html", **context))


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
