"""One self-contained HTML page: plotly.js once, then every figure, the tables, the config diff, provenance.

Every string that comes from a user (run, sweep and plugin names, settings,
errors, the command line) is HTML-escaped; figure JSON is embedded with
``<``, ``>`` and ``&`` as JSON escapes, so nothing in it can close the
script. With ``plotlyjs="embed"`` the page makes no request at all; with
``"cdn"`` it loads plotly.js from the CDN (with its integrity hash) and is
about 5 MB smaller.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import tempfile
from datetime import datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from runner.formatting import format_loss
from runner.report.data import Group, ReportData, RunData, format_value
from runner.report.figures import STATUS_WORDS, Figures, Options, figures

__all__ = ["PLOTLYJS_MODES", "to_html", "write_html"]

PLOTLYJS_MODES = ("embed", "cdn")
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def e(value: Any) -> str:
    """Escape for HTML text and attribute values."""
    return escape("" if value is None else str(value), quote=True)


@cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotlyjs_tag(mode: str) -> str:
    config = '<script>window.PlotlyConfig = {MathJaxConfig: "local"};</script>'
    if mode == "embed":
        return f'{config}\n<script type="text/javascript">{_plotlyjs()}</script>'
    if mode == "cdn":
        from plotly.io._utils import plotly_cdn_url

        digest = base64.b64encode(hashlib.sha256(_plotlyjs().encode("utf-8")).digest()).decode("ascii")
        return f'{config}\n<script src="{e(plotly_cdn_url())}" integrity="sha256-{digest}" crossorigin="anonymous"></script>'
    raise ValueError(f"plotlyjs must be one of {', '.join(PLOTLYJS_MODES)}, not {mode!r}")


def figure_json(fig) -> str:
    """The figure as JSON that is safe inside a <script>: no <, > or & left in it."""
    return fig.to_json(validate=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def fmt_loss(value: float | None) -> str:
    return format_loss(value, digits=4)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def fmt_time(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def sort_value(value: float | None) -> str:
    """A cell's data-v: the number to sort by; empty (sorted last) for none or not finite."""
    if value is None or not math.isfinite(value):
        return ""
    return repr(float(value))


def num_cell(shown: str, value: float | None) -> str:
    return f'<td class="num" data-v="{sort_value(value)}">{e(shown)}</td>'


def badge(status: str) -> str:
    word = STATUS_WORDS.get(status, status)
    return f'<span class="status status-{e(status)}">{e(word)}</span>'


def status_cell(statuses: list[str]) -> str:
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    if len(counts) == 1:
        return f'<td data-s="{e(statuses[0])}">{badge(statuses[0])}</td>'
    badges = " ".join(f"{n}&times;{badge(s)}" for s, n in counts.items())
    worst = next((s for s in ("failed", "diverged", "lost", "interrupted", "running", "queued") if s in counts), "completed")
    return f'<td data-s="{e(worst)}">{badges}</td>'


def run_note(run: RunData) -> str:
    if run.divergence_step is not None:
        loss = run.series.loss[int(run.series.step.searchsorted(run.divergence_step))]
        note = f"loss {loss} at step {run.divergence_step}"
        return note + (f"; {run.error}" if run.error else "")
    if run.error:
        return run.error
    if run.status != "completed":
        return f"{run.summary.steps} of {run.steps} steps stored"
    return ""


def summary_table(data: ReportData) -> str:
    head = ("Run or group", "Model", "Optimizer", "lr", "Device", "Status", "Final loss", "Best loss", "Steps/s", "Duration")
    rows = []
    for entry in data.entries():
        if isinstance(entry, Group):
            g = entry
            runs = ", ".join(f"#{i}" for i in g.run_ids)
            first = (
                f'<td data-t="{e(g.label)}"><b>{e(g.label)}</b><br>'
                f'<small>{len(g.run_ids)} seeds ({e(", ".join(map(str, g.seeds)))}): runs {e(runs)}</small></td>'
            )
            final = fmt_loss(g.final_mean) + (f" ± {g.final_std:.2g}" if g.final_std else "")
            if g.nonfinite_finals:
                final += f" ({g.nonfinite_finals} not finite)"
            cells = [
                first, f"<td>{e(g.model)}</td>", f"<td>{e(g.optimizer)}</td>", num_cell(f"{g.lr:g}", g.lr),
                f"<td>{e(g.device)}</td>", status_cell(list(g.statuses)), num_cell(final, g.final_mean),
                num_cell(fmt_loss(g.best_loss), g.best_loss), num_cell(fmt_rate(g.steps_per_second), g.steps_per_second),
                num_cell(fmt_duration(g.duration), g.duration),
            ]
            rows.append(f'<tr class="group">{"".join(cells)}</tr>')
        else:
            r = entry
            note = run_note(r)
            first = f'<td data-t="{e(r.label)}">{e(r.label)}' + (f"<br><small>{e(note)}</small>" if note else "") + "</td>"
            cells = [
                first, f"<td>{e(r.model)}</td>", f"<td>{e(r.optimizer)}</td>", num_cell(f"{r.lr:g}", r.lr),
                f"<td>{e(r.device)}</td>", status_cell([r.status]), num_cell(fmt_loss(r.summary.final_loss), r.summary.final_loss),
                num_cell(fmt_loss(r.summary.best_loss), r.summary.best_loss),
                num_cell(fmt_rate(r.summary.steps_per_second), r.summary.steps_per_second), num_cell(fmt_duration(r.duration), r.duration),
            ]
            rows.append(f'<tr class="run status-row-{e(r.status)}">{"".join(cells)}</tr>')
    return table("summary", head, rows)


def runs_table(data: ReportData) -> str:
    sweeps = any(r.sweep for r in data.runs)
    head = ["ID", "Name", "Group"] + (["Sweep"] if sweeps else []) + [
        "Model", "Optimizer", "lr", "Seed", "Device", "Status", "Steps", "Final loss", "Best loss (step)",
        "Steps/s", "Duration", "Started", "Note",
    ]
    rows = []
    for r in data.runs:
        group = data.group_of(r.id)
        cells = [num_cell(str(r.id), r.id), f"<td>{e(r.name or '')}</td>", f"<td>{e(group.key if group else '')}</td>"]
        if sweeps:
            cells.append(f"<td>{e(r.sweep or '')}</td>")
        best = fmt_loss(r.summary.best_loss) + (f" ({r.summary.best_step})" if r.summary.best_step is not None else "")
        cells += [
            f"<td>{e(r.model)}</td>", f"<td>{e(r.optimizer)}</td>", num_cell(f"{r.lr:g}", r.lr), num_cell(str(r.seed), r.seed),
            f"<td>{e(r.device)}</td>", status_cell([r.status]), num_cell(f"{r.summary.steps}/{r.steps}", r.summary.steps),
            num_cell(fmt_loss(r.summary.final_loss), r.summary.final_loss), num_cell(best, r.summary.best_loss),
            num_cell(fmt_rate(r.summary.steps_per_second), r.summary.steps_per_second),
            num_cell(fmt_duration(r.duration), r.duration),
            f'<td data-t="{e(r.started_at.isoformat() if r.started_at else "")}">{e(fmt_time(r.started_at))}</td>',
            f"<td>{e(run_note(r))}</td>",
        ]
        rows.append(f'<tr class="run status-row-{e(r.status)}">{"".join(cells)}</tr>')
    return table("runs", head, rows)


def table(name: str, head, rows: list[str]) -> str:
    ths = "".join(f'<th scope="col" title="Sort by {e(h)}">{e(h)}</th>' for h in head)
    return (
        f'<div class="scroll"><table class="sortable" id="table-{name}"><thead><tr>{ths}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>'
    )


def config_section(data: ReportData) -> str:
    parts = []
    varying = list(data.varying)
    if varying:
        head = ["Run"] + varying
        rows = []
        for r in data.runs:
            config = r.config
            cells = [f'<td data-t="{e(r.label)}">{e(r.label)}</td>']
            for key in varying:
                value = config.get(key)
                shown = "—" if key not in config else format_value(value)
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                cells.append(num_cell(shown, float(value)) if numeric else f"<td>{e(shown)}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        parts.append(f"<p>What differs between the {len(data.runs)} runs:</p>" + table("config", head, rows))
    else:
        parts.append("<p>Every run shown has the same configuration.</p>")
    if data.constant:
        items = "".join(f"<li><code>{e(k)}={e(format_value(v))}</code></li>" for k, v in data.constant.items())
        parts.append(f'<p>The same for every run:</p><ul class="constants">{items}</ul>')
    return "".join(parts)


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
        f"on {e(v[4] or '?')}: {len(ids)} run{'s' if len(ids) != 1 else ''} ({e(abbreviate_ids(ids))})</li>"
        for v, ids in recorded.items()
    )
    return f"<dl>{dl}</dl><p>The runs were recorded with:</p><ul>{lines}</ul>"


def abbreviate_ids(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:12])
    return shown + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")


CSS = """
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #dadce0; --bg: #fff; --alt: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 24px 32px 64px; font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
header p, .note { color: var(--muted); margin: 4px 0; }
.note { font-size: 13px; }
nav a { margin-right: 14px; color: #1a73e8; text-decoration: none; }
.figure { width: 100%; min-height: 200px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--alt); cursor: pointer; user-select: none; white-space: nowrap; position: sticky; top: 0; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { background: #f3f7fd; }
small { color: var(--muted); }
.status { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; white-space: nowrap; background: #e6f4ea; color: #137333; }
.status-diverged, .status-failed { background: #fce8e6; color: #c5221f; font-weight: 600; }
.status-interrupted { background: #fef7e0; color: #8a4b00; }
.status-lost { background: #eceff1; color: #455a64; font-weight: 600; }
.status-running, .status-queued { background: #e8f0fe; color: #174ea6; }
.counts .status { margin-right: 6px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; } dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
ul.constants { columns: 3 240px; padding-left: 18px; } code { font-size: 12px; }
details summary { cursor: pointer; color: #1a73e8; margin: 8px 0; }
"""

SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var key = function (row) {
        var cell = row.cells[col];
        if (cell.hasAttribute("data-v")) { var v = cell.getAttribute("data-v"); return v === "" ? null : parseFloat(v); }
        return (cell.getAttribute("data-t") || cell.getAttribute("data-s") || cell.textContent).toLowerCase();
      };
      var rows = Array.prototype.slice.call(body.rows).map(function (row, i) { return [key(row), i, row]; });
      rows.sort(function (a, b) {
        if (a[0] === null || b[0] === null) { return a[0] === b[0] ? a[1] - b[1] : (a[0] === null ? 1 : -1); }
        var d = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
        return up ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r[2]); });
    });
  });
});
"""


def to_html(
    data: ReportData,
    figs: Figures | None = None,
    *,
    plotlyjs: str = "embed",
    options: Options | None = None,
    title: str | None = None,
) -> str:
    """The whole page as a string."""
    figs = figs or figures(data, options)
    head_js = plotlyjs_tag(plotlyjs)
    n_runs, n_groups = len(data.runs), len(data.groups)
    title = title or f"runner report: {n_runs} run{'s' if n_runs != 1 else ''}"
    counts: dict[str, int] = {}
    for r in data.runs:
        counts[r.status] = counts.get(r.status, 0) + 1
    count_badges = " ".join(f"{badge(s)} {n}" for s, n in sorted(counts.items()))
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in figs.notes)
    grouped = f", {n_groups} seed group{'s' if n_groups != 1 else ''}" if n_groups else ""

    sections = [
        ("loss", "Loss per step",
         '<p class="note">Colour: model. Dash: optimizer. A group of runs that differ only by seed is drawn as its mean '
         "with a band; click its seeds in the legend to show each run. Click a legend entry to hide or show it, "
         "double-click to show only it.</p>" + notes + '<div class="figure" id="fig-loss"></div>'),
        ("summary", "Summary", '<p class="note">Click a column heading to sort.</p>' + summary_table(data)),
        ("final", "Final loss", '<div class="figure" id="fig-final_loss"></div>'),
        ("time", "Loss against wall-clock time", notes + '<div class="figure" id="fig-wall_clock"></div>'),
        ("config", "Configuration differences", config_section(data)),
        ("provenance", "Provenance", provenance_section(data, plotlyjs)),
    ]
    if n_groups:
        sections.insert(2, ("runs", "Every run",
                            f"<details><summary>Show all {n_runs} runs</summary>{runs_table(data)}</details>"))
    nav = "".join(f'<a href="#{key}">{e(name)}</a>' for key, name, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{e(name)}</h2>{content}</section>' for key, name, content in sections)
    specs = ",\n".join(f'"{name}": {figure_json(fig)}' for name, fig in figs.items())
    config = json.dumps(PLOT_CONFIG)
    draw = (
        f"var FIGURES = {{\n{specs}\n}};\n"
        f"Object.keys(FIGURES).forEach(function (name) {{\n"
        f'  var fig = FIGURES[name];\n'
        f'  fig.layout.title = {{text: ""}};  // the section heading names it\n'
        f'  fig.layout.margin.t = 24;\n'
        f'  Plotly.newPlot(document.getElementById("fig-" + name), fig.data, fig.layout, {config});\n'
        f"}});\n"
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="runner {e(data.provenance.runner_version or "")}">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n{head_js}\n</head>\n<body>\n"
        f"<header><h1>{e(title)}</h1>"
        f"<p>{n_runs} run{'s' if n_runs != 1 else ''}{grouped} · {e(data.selection.describe())} · from {e(data.provenance.database)} · "
        f"built {e(fmt_time(data.provenance.created_at))}</p>"
        f'<p class="counts">{count_badges}</p><nav>{nav}</nav></header>\n'
        f"<main>{body}</main>\n"
        f"<script>\n{SORT_JS}{draw}</script>\n</body>\n</html>\n"
    )


def write_html(
    data: ReportData,
    path: str | os.PathLike[str],
    figs: Figures | None = None,
    *,
    plotlyjs: str = "embed",
    options: Options | None = None,
    title: str | None = None,
) -> Path:
    """Write the page to ``path`` whole or not at all (through a temporary file beside it); OSError if it cannot."""
    page = to_html(data, figs, plotlyjs=plotlyjs, options=options, title=title)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(page)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
