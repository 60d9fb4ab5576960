"""The page's "Comparisons" section: the best configuration per sweep, then a sortable table of verdicts.

The statistics are runner.report.verdicts'; this only writes them as HTML
(every string escaped by tables.e, numbers sortable by their data-v).
"""

from __future__ import annotations

from runner.report.data import ReportData
from runner.report.intervals import MIN_BOOTSTRAP
from runner.report.ranking import POWER_RULE, RULE, Side
from runner.report.tables import e, num_cell, table
from runner.report.verdicts import Basis, BestLine, Comparison, Verdicts, num, verdicts

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


def seed_values(sides: tuple[Side, ...], names: tuple[str, ...], both: bool = False) -> str:
    """The sides' values by seed, a line per seed (``both``: two sides A and B, and their difference), folded away."""
    seeds = sorted({seed for s in sides for seed in s.values})
    if not seeds:
        return ""
    lines = []
    for seed in seeds:
        values = [s.values.get(seed) for s in sides]
        parts = [f"{name} {'—' if v is None else num(v)}" for name, v in zip(names, values)]
        if both and None not in values:
            parts.append(f"A − B {num(float(values[0] or 0) - float(values[1] or 0))}")
        lines.append(f"<li>seed {seed}: {e(', '.join(parts))}</li>")
    left = [f"{s.name}: {s.why()}" for s in sides if s.left_out]
    lines += [f"<li>left out: {e('; '.join(left))}</li>"] if left else []
    return f'<details class="per-seed"><summary>per seed</summary><ul>{"".join(lines)}</ul></details>'


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
        f'<td class="num" data-v="{c.seeds}">{e(seeds_text(c))}{seed_values((c.first, c.second), ("A", "B"), True)}</td>',
        num_cell("—" if difference is None else num(difference), difference),
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
        "runs with a finite value count. " + POWER_RULE
    )


def best_line(line: BestLine) -> str:
    """"Best configuration[ in sweep S]: ..." with its heading in bold, or "Tied for best ...: ..." without a winner
    in bold; then the values by seed of the best, or of those tied."""
    heading, _, rest = line.text.partition(": ")
    sides = line.tied or (line.side,)
    names = tuple(s.name for s in sides)
    if line.clear:
        return f'<p class="best-line"><b>{e(heading)}:</b> {e(rest)}</p>{seed_values(sides, names)}'
    return f'<p class="best-line tied">{e(heading)}: {e(rest)}</p>{seed_values(sides, names)}'


def comparisons_section(data: ReportData, basis: Basis | None = None, found: Verdicts | None = None) -> str:
    """The section's HTML: the best lines, a note on the method, the table (or why there is none)."""
    v = found or verdicts(data, basis)
    parts = []
    parts += [best_line(line) for line in v.best]
    if v.best:
        parts.append(f'<p class="note">{e(RULE)}</p>')
    star = data.best
    if v.best and star is not None and (star.metric, "final") != (v.basis.metric, v.basis.at):
        parts.append(f'<p class="note">The ★ (or the tie) of --best ranks each run&#x27;s final {e(star.metric)}; '
                     f"these lines rank its {e(v.basis.describe())}, so the two can name different entries.</p>")
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
