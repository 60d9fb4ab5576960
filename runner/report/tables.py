"""The page's tables as HTML: the summary (groups and runs), every run, and the configuration differences.

Every cell's text is HTML-escaped (runner.report.templating's ``e``, the
escaping the templates print with); the page's templates take each table
as Markup built here. A numeric cell carries its value in
``data-v`` so that the page's script sorts by number (empty, sorted last,
for none or not finite).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from runner.formatting import format_early_stop, format_ids, format_loss
from runner.report.data import Group, ReportData, RunData, format_value
from runner.report.metric_data import tracked
from runner.report.style import STATUS_WORDS, star
from runner.report.templating import e

__all__ = ["config_section", "e", "fmt_time", "runs_table", "summary_table"]

LOSS_DIGITS = 4  # a table has less room than a hover


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f} s"
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


def loss_cell(value: float | None, extra: str = "") -> str:
    return num_cell(format_loss(value, LOSS_DIGITS) + extra, value)


def spread_cell(value: float | None, spread: str) -> str:
    """A group's mean, its spread ("± 0.0031", "1 not finite") on a line under it, so that the column stays narrow."""
    below = f"<br><small>{e(spread.strip())}</small>" if spread else ""
    return f'<td class="num" data-v="{sort_value(value)}">{e(format_loss(value, LOSS_DIGITS))}{below}</td>'


def badge(status: str) -> str:
    word = STATUS_WORDS.get(status, status)
    return f'<span class="status status-{e(status)}">{e(word)}</span>'


def status_cell(statuses: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    if len(counts) == 1:
        return f'<td data-s="{e(statuses[0])}">{badge(statuses[0])}</td>'
    badges = " ".join(f"{n}&times;{badge(s)}" for s, n in counts.items())
    worst = next((s for s in ("failed", "diverged", "lost", "interrupted", "running", "queued") if s in counts), "completed")
    return f'<td data-s="{e(worst)}">{badges}</td>'


def setup_cells(entry: Group | RunData, seed: bool = False) -> list[str]:
    """Model, optimizer, lr, the seed if asked for (of a run), and device."""
    cells = [f"<td>{e(entry.model)}</td>", f"<td>{e(entry.optimizer)}</td>", num_cell(f"{entry.lr:g}", entry.lr)]
    if seed and isinstance(entry, RunData):
        cells.append(num_cell(str(entry.seed), entry.seed))
    return cells + [f"<td>{e(entry.device)}</td>"]


def time_cells(rate: float | None, training: float | None, startup: float | None) -> list[str]:
    """Steps per second, training time and start-up."""
    return [num_cell(fmt_rate(rate), rate), num_cell(fmt_duration(training), training),
            num_cell(fmt_duration(startup), startup)]


def run_note(run: RunData) -> str:
    if run.divergence_step is not None:
        loss = run.series.loss[int(run.series.step.searchsorted(run.divergence_step))]
        note = f"loss {loss} at step {run.divergence_step}"
        return note + (f"; {run.error}" if run.error else "")
    if run.error:
        return run.error
    if run.status != "completed":
        return f"{run.summary.steps} of {run.steps} steps stored"
    return format_early_stop(run.early_stop) or ""  # a run that stopped early: where and why


SUMMARY_HEAD = ("Run or group", "Model", "Optimizer", "lr", "Device", "Status", "Final loss", "Best loss", "Steps/s",
                "Training", "Start-up")
METRICS_AT = SUMMARY_HEAD.index("Best loss") + 1  # each metric's final and best follow the loss's


def summary_head(data: ReportData) -> list[str]:
    """The summary's headings, with a final and a best column per gathered metric (best: ↑ highest, ↓ lowest);
    a tracked value (lr, grad_norm) is watched, not made better, so it has a final column only."""
    metrics = [f"{name} {col}" for name in data.metrics
               for col in ("final", *(() if tracked(name) else ("best " + ("↑" if data.directions[name] == "max" else "↓"),)))]
    return [*SUMMARY_HEAD[:METRICS_AT], *metrics, *SUMMARY_HEAD[METRICS_AT:]]


def group_metric_cells(data: ReportData, g: Group) -> list[str]:
    cells = []
    for name in data.metrics:
        m = g.metrics.get(name)
        if m is None:
            cells += [num_cell("-", None)] * (1 if tracked(name) else 2)
            continue
        spread = f" ± {m.final.std:.2g}" if m.final.std else ""
        spread += f" ({m.final.nonfinite} not finite)" if m.final.nonfinite else ""
        cells += [spread_cell(m.final.mean, spread), *(() if tracked(name) else (loss_cell(m.best),))]
    return cells


def run_metric_cells(data: ReportData, r: RunData) -> list[str]:
    cells = []
    for name in data.metrics:
        m = r.metrics.get(name)
        if m is None:
            cells += [num_cell("-", None)] * (1 if tracked(name) else 2)
            continue
        at = f" ({m.summary.best_step})" if m.summary.best_step is not None else ""
        cells += [loss_cell(m.summary.final), *(() if tracked(name) else (loss_cell(m.summary.best, at),))]
    return cells


def per_seed(data: ReportData, g: Group) -> str:
    """The group's runs a line each: seed, run, status, final loss and each gathered metric's final, folded away."""
    names = [name for name in data.metrics if name in g.metrics]
    lines = []
    for run_id in g.run_ids:
        r = data.run(run_id)
        values = [f"loss {format_loss(r.summary.final_loss, LOSS_DIGITS)}"]
        values += [f"{n} {format_loss(r.metrics[n].summary.final, LOSS_DIGITS)}" for n in names if n in r.metrics]
        status = "" if r.status == "completed" else f" {STATUS_WORDS.get(r.status, r.status)}"
        lines.append(f"<li>seed {e(r.seed)} (#{r.id}){e(status)}: {e(', '.join(values))}</li>")
    return f'<details class="per-seed"><summary>per seed</summary><ul>{"".join(lines)}</ul></details>'


def best_class(data: ReportData, entry: Group | RunData) -> str:
    return " best" if star(data, entry) else ""


def summary_group_row(data: ReportData, g: Group) -> str:
    first = (
        f'<td data-t="{e(g.label)}"><b>{e(star(data, g) + g.label)}</b><br>'
        f'<small>{len(g.run_ids)} seeds ({e(", ".join(map(str, g.seeds)))}): '
        f"runs {e(format_ids(g.run_ids))}</small>{per_seed(data, g)}</td>"
    )
    spread = f" ± {g.final_std:.2g}" if g.final_std else ""
    spread += f" ({g.nonfinite_finals} not finite)" if g.nonfinite_finals else ""
    cells = [first, *setup_cells(g), status_cell(g.statuses), spread_cell(g.final_mean, spread), loss_cell(g.best_loss),
             *group_metric_cells(data, g), *time_cells(g.steps_per_second, g.training_time, g.startup)]
    return f'<tr class="group{best_class(data, g)}">{"".join(cells)}</tr>'


def summary_run_row(data: ReportData, r: RunData) -> str:
    note = run_note(r)
    first = (f'<td data-t="{e(r.label)}">{e(star(data, r) + r.label)}'
             + (f"<br><small>{e(note)}</small>" if note else "") + "</td>")
    cells = [first, *setup_cells(r), status_cell([r.status]), loss_cell(r.summary.final_loss),
             loss_cell(r.summary.best_loss), *run_metric_cells(data, r),
             *time_cells(r.summary.steps_per_second, r.training_time, r.startup)]
    return f'<tr class="run status-row-{e(r.status)}{best_class(data, r)}">{"".join(cells)}</tr>'


def summary_table(data: ReportData) -> str:
    rows = [summary_group_row(data, x) if isinstance(x, Group) else summary_run_row(data, x) for x in data.entries()]
    return table("summary", summary_head(data), rows)


def runs_table(data: ReportData) -> str:
    sweeps = any(r.sweep for r in data.runs)
    head = ["ID", "Name", "Group"] + (["Sweep"] if sweeps else []) + [
        "Model", "Optimizer", "lr", "Seed", "Device", "Status", "Steps", "Final loss", "Best loss (step)",
        "Steps/s", "Training", "Start-up", "Started", "Note",
    ]
    rows = []
    for r in data.runs:
        group = data.group_of(r.id)
        cells = [num_cell(str(r.id), r.id), f"<td>{e(r.name or '')}</td>", f"<td>{e(group.key if group else '')}</td>"]
        if sweeps:
            cells.append(f"<td>{e(r.sweep or '')}</td>")
        cells += setup_cells(r, seed=True)
        best_step = f" ({r.summary.best_step})" if r.summary.best_step is not None else ""
        cells += [
            status_cell([r.status]), num_cell(f"{r.summary.steps}/{r.steps}", r.summary.steps),
            loss_cell(r.summary.final_loss), loss_cell(r.summary.best_loss, best_step),
            *time_cells(r.summary.steps_per_second, r.training_time, r.startup),
            f'<td data-t="{e(r.started_at.isoformat() if r.started_at else "")}">{e(fmt_time(r.started_at))}</td>',
            f"<td>{e(run_note(r))}</td>",
        ]
        rows.append(f'<tr class="run status-row-{e(r.status)}">{"".join(cells)}</tr>')
    return table("runs", head, rows)


def table(name: str, head: Sequence[str], rows: list[str]) -> str:
    # a long heading wraps at its spaces, and after the dots of a plugin's option ("optimizer.<wbr>amsgrad")
    ths = "".join(f'<th scope="col" title="Sort by {e(h)}">{e(h).replace(".", ".<wbr>")}</th>' for h in head)
    return (
        f'<div class="scroll"><table class="sortable" id="table-{name}"><thead><tr>{ths}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>'
    )


def config_section(data: ReportData) -> str:
    parts = []
    varying = list(data.varying)
    if varying:
        rows = []
        for r in data.runs:
            config = r.config
            cells = [f'<td data-t="{e(r.label)}">{e(r.label)}</td>']
            for key in varying:
                value = config.get(key)
                shown = "—" if key not in config else format_value(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    cells.append(num_cell(shown, float(value)))
                else:
                    cells.append(f"<td>{e(shown)}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        parts.append(f"<p>What differs between the {len(data.runs)} runs:</p>" + table("config", ["Run", *varying], rows))
    else:
        parts.append("<p>Every run shown has the same configuration.</p>")
    if data.constant:
        items = "".join(f"<li><code>{e(k)}={e(format_value(v))}</code></li>" for k, v in data.constant.items())
        parts.append(f'<p>The same for every run:</p><ul class="constants">{items}</ul>')
    return "".join(parts)
