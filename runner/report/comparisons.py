"""The page's "Comparisons" section: the best configuration per sweep, then a sortable table of verdicts.

The statistics are runner.report.verdicts'; this only writes them as HTML
(every string escaped by tables.e, numbers sortable by their data-v).
"""

from __future__ import annotations

from runner.report.data import ReportData
from runner.report.intervals import MIN_BOOTSTRAP
from runner.report.tables import e, num_cell, table
from runner.report.verdicts import Basis, Comparison, Verdicts, num, verdicts

__all__ = ["HEAD", "MAX_ROWS", "comparisons_section", "method_name"]

MAX_ROWS = 500  # a larger table says how many it leaves out (those with an interval are kept first)
HEAD = ("Setting", "Where", "A", "B", "Seeds", "A − B", "95% interval", "Method", "Verdict")


def method_name(c: Comparison) -> str:
    if c.interval is None:
        return "—"
    if c.interval.method == "Welch":
        return "Welch t"
    return f"paired {c.interval.method}"


def seeds_text(c: Comparison) -> str:
    if c.paired:
        return f"{c.seeds} shared"
    sizes = f"{len(c.first.values)} + {len(c.second.values)}"
    return sizes + (", not shared" if c.interval is not None else "")


def interval_cell(c: Comparison) -> str:
    if c.interval is None:
        return num_cell("—", None)
    return num_cell(f"{num(c.interval.low)} to {num(c.interval.high)}", c.interval.low)


def row(c: Comparison) -> str:
    difference = c.interval.estimate if c.interval is not None else None
    if difference is None and c.first.mean is not None and c.second.mean is not None:
        difference = c.first.mean - c.second.mean
    verdict = f"<b>{e(c.verdict)}</b>" if c.clear else e(c.verdict)
    cells = [
        f"<td>{e(c.setting)}</td>", f"<td>{e(c.context or '—')}</td>",
        f'<td data-t="{e(c.first.name)}">{e(c.first.name)} <small>{e(c.first.entry)}</small></td>',
        f'<td data-t="{e(c.second.name)}">{e(c.second.name)} <small>{e(c.second.entry)}</small></td>',
        num_cell(seeds_text(c), c.seeds), num_cell("—" if difference is None else num(difference), difference),
        interval_cell(c), f"<td>{e(method_name(c))}</td>", f"<td>{verdict}</td>",
    ]
    return f'<tr class="comparison{" clear" if c.clear else ""}">{"".join(cells)}</tr>'


def shown(comparisons: tuple[Comparison, ...]) -> list[Comparison]:
    """At most MAX_ROWS of them, those with an interval first, in their order."""
    if len(comparisons) <= MAX_ROWS:
        return list(comparisons)
    keep = sorted(range(len(comparisons)), key=lambda i: comparisons[i].interval is None)[:MAX_ROWS]
    return [comparisons[i] for i in sorted(keep)]


def explanation(v: Verdicts) -> str:
    way = "lower" if v.direction == "min" else "higher"
    return (
        f"Each pair of seed groups (or runs) that differ in exactly one setting, compared on each run's "
        f"{v.basis.describe()} ({way} is better). A is the side with the better mean; A − B is the mean difference. "
        "Over seeds both sides ran: the interval of the mean per-seed difference (a studentized bootstrap over the "
        f"seeds, seeded so that the page is reproducible; a Student t interval with fewer than {MIN_BOOTSTRAP} seeds). Seeds not "
        "shared: a Welch t interval. A difference is clear (in bold) when its interval excludes 0. Only completed "
        "runs with a finite value count."
    )


def comparisons_section(data: ReportData, basis: Basis | None = None, found: Verdicts | None = None) -> str:
    """The section's HTML: the best lines, a note on the method, the table (or why there is none)."""
    v = found or verdicts(data, basis)
    parts = []
    for line in v.best:  # "Best configuration[ in sweep S]: ..." with its heading in bold
        heading, _, rest = line.text.partition(": ")
        parts.append(f'<p class="best-line"><b>{e(heading)}:</b> {e(rest)}</p>')
    if not v.comparisons:
        parts.append('<p class="note">No two groups or runs differ in exactly one setting: nothing to compare '
                     "setting by setting.</p>")
        return "".join(parts)
    parts.append(f'<p class="note">{e(explanation(v))}</p>')
    rows = shown(v.comparisons)
    if len(rows) < len(v.comparisons):
        parts.append(f'<p class="note">Showing {len(rows)} of {len(v.comparisons)} comparisons (those with an '
                     "interval first).</p>")
    parts.append(table("comparisons", HEAD, [row(c) for c in rows]))
    return "".join(parts)
