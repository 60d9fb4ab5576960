"""Which variant wins, and how sure: comparisons of groups that differ in one setting, and the best configuration.

Works on a gathered ReportData and draws nothing. Each seed group or
ungrouped run is an entry; two entries whose settings differ in exactly one
(the optimizer, lr, the model, a ``--set`` value, the batch size...; a
plugin's own options follow its name, so adam against sgd is one setting
even though their options differ, and so does an lr that a run given no
``--lr`` took from its optimizer's declaration) are compared on each run's final (or
best) value of the loss or a metric:

- seeds they share (two or more): the mean of the per-seed differences,
  with a paired interval over those seeds (runner.report.intervals);
- seeds not shared, two or more runs each: a Welch interval, and the
  verdict says the seeds are not shared;
- one seed on a side: the values, and "one seed: no interval".

Only completed runs with a finite value count; the others are left out and
the verdict counts them by status. A difference is clear when its interval
excludes zero, and the better side (lower for losses, higher for
accuracy-like metrics: runner.metrics) is named first; an unclear one says
how many seeds would likely settle it (runner.report.ranking.POWER_RULE).
The best line per sweep follows runner.report.ranking.RULE: the best, or
the entries tied for best, with diverged and failed seeds counted against.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from runner.formatting import canonical
from runner.metrics import Direction
from runner.report.data import BASE_KEYS, SECTIONS, UNSET, Group, ReportData, RunData, config_items, format_value
from runner.report.intervals import Interval, mean_interval
from runner.report.metric_data import LOSS
from runner.report.ranking import RULE, Difference, Side, difference, rank, seeds_to_settle, settle_text, side_of

__all__ = ["Basis", "BestLine", "Comparison", "Side", "Verdicts", "compare", "verdicts"]

At = Literal["final", "best"]
KINDS = tuple(section for section, _ in SECTIONS)  # "model", "optimizer", "dataset": their options follow them
SETTING_ORDER = {key: i for i, key in enumerate(BASE_KEYS)}
IMPLIED_LR = "optimizer.lr"  # a run's lr in its settings when the optimizer implied it: two runs then differ in
# optimizer alone (lion at its 1e-4 against adam at its 1e-3), not in optimizer and lr, which is never compared


@dataclass(frozen=True)
class Basis:
    """What the comparisons compare: each run's ``at`` value ("final" or "best") of ``metric`` (or the loss)."""

    metric: str = LOSS
    at: At = "final"

    def __post_init__(self) -> None:
        if self.at not in ("final", "best"):
            raise ValueError(f"at must be 'final' or 'best', not {self.at!r}")

    def describe(self) -> str:
        return f"{self.at} {self.metric}"

    @classmethod
    def of(cls, data: ReportData, at: At = "final") -> Basis:
        """The metric --best named (the loss without it), at ``at``."""
        return cls(data.best.metric if data.best is not None else LOSS, at)


@dataclass(frozen=True)
class Comparison:
    """Two entries compared: ``first`` is the better on average (or, equal or unknown, the earlier)."""

    setting: str | None  # the one setting they differ in; None for the best line's runner-up
    context: str  # the settings they share that vary in the report: "lr=0.01 · hidden=50"
    first: Side
    second: Side
    basis: Basis
    direction: Direction
    seeds: int  # the number of seeds the interval rests on: shared ones, or the smaller side
    paired: bool
    interval: Interval | None  # of mean(first) − mean(second); None with one seed or no values
    wins: int | None  # paired: the seeds in which ``first`` is strictly better
    verdict: str
    settle: int | None = None  # unclear: the seeds that would likely settle it (ranking.POWER_RULE)

    @property
    def clear(self) -> bool:
        return self.interval is not None and self.interval.excludes_zero

    def as_dict(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "setting": self.setting, "context": self.context, "metric": self.basis.metric, "at": self.basis.at,
            "direction": self.direction,
            "first": side_dict(self.first), "second": side_dict(self.second),
            "seeds": self.seeds, "paired": self.paired, "wins": self.wins, "clear": self.clear,
            "difference": interval.estimate if interval else None,
            "low": interval.low if interval else None, "high": interval.high if interval else None,
            "level": interval.level if interval else None, "method": interval.method if interval else None,
            "verdict": self.verdict, "seeds_to_settle": self.settle,
        }


@dataclass(frozen=True)
class BestLine:
    """The best entry of a sweep (or of the report) by ranking.RULE, or the entries tied for best; its lead on the next."""

    sweep: str | None
    entry: str
    label: str
    side: Side
    interval: Interval | None  # of its mean; None with one seed
    runner_up: Comparison | None
    text: str
    tied: tuple[Side, ...] = ()  # the entries tied for best (the top first); empty when the top is clearly best
    bound: tuple[float, float] | None = None  # the metric's bounds, to which ``interval`` is clipped

    @property
    def clear(self) -> bool:
        return not self.tied

    def as_dict(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "sweep": self.sweep, "entry": self.entry, "label": self.label, "value": self.side.mean,
            "seeds": len(self.side.values), "low": interval.low if interval else None,
            "high": interval.high if interval else None, "method": interval.method if interval else None,
            "clipped_to": list(self.bound) if self.bound and interval else None,
            "diverged_or_failed": self.side.bad, "seeds_run": self.side.seeds, "clear": self.clear,
            "tied": [side_dict(s) for s in self.tied], "values": {str(k): v for k, v in self.side.values.items()},
            "runner_up": self.runner_up.as_dict() if self.runner_up else None, "text": self.text, "rule": RULE,
        }


@dataclass(frozen=True)
class Verdicts:
    """Every comparison of a report, and its best line per sweep."""

    basis: Basis
    direction: Direction
    comparisons: tuple[Comparison, ...]
    best: tuple[BestLine, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.basis.metric, "at": self.basis.at, "direction": self.direction,
                "comparisons": [c.as_dict() for c in self.comparisons], "best": [b.as_dict() for b in self.best]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1, allow_nan=False)


def side_dict(side: Side) -> dict[str, Any]:
    return {"name": side.name, "entry": side.entry, "mean": side.mean, "values": {str(k): v for k, v in side.values.items()},
            "left_out": dict(side.left_out)}


def verdicts(data: ReportData, basis: Basis | None = None) -> Verdicts:
    """The comparisons and best lines of ``data`` on ``basis`` (by default Basis.of(data))."""
    basis = basis or Basis.of(data)
    way = direction_of(data, basis.metric)
    entries = data.entries()
    by_id = {r.id: r for r in data.runs}
    members = {entry_key(e): [by_id[i] for i in e.run_ids] if isinstance(e, Group) else [e] for e in entries}
    derived = derived_keys(data.runs)
    found = []
    for a, b, setting in one_setting_pairs(entries, members):
        first, second = (side(e, members, basis, value_name(members[entry_key(e)][0], setting)) for e in (a, b))
        shared = context(data, members[entry_key(a)][0], setting, derived)
        found.append(compare(first, second, basis, way, setting=setting, context=shared))
    names = {entry_key(e): entry_name(data, e, members, derived) for e in entries}
    bound = data.bounds.get(basis.metric)
    return Verdicts(basis, way, tuple(found), best_lines(entries, members, names, basis, way, bound))


def direction_of(data: ReportData, metric: str) -> Direction:
    if metric == LOSS:
        return "min"
    if metric not in data.directions:
        raise ValueError(f"{metric!r} was not gathered; gather it with metrics=[{metric!r}]")
    return data.directions[metric]


def entry_key(entry: Group | RunData) -> str:
    return entry.key if isinstance(entry, Group) else f"#{entry.id}"


def settings(run: RunData) -> dict[str, Any]:
    config = {**UNSET, **config_items(run)}  # a run without a schedule is compared as the constant lr
    config.pop("seed")
    if run.lr_implied:  # the optimizer's declared lr (no --lr): part of the optimizer's setting, as its options are
        config[IMPLIED_LR] = config.pop("lr")
    return config


def unit_keys(setting: str, keys: Iterable[str]) -> set[str]:
    """The keys one setting spans: a plugin kind (model, optimizer, dataset) and its options, or one key."""
    if setting in KINDS:
        return {k for k in keys if k == setting or k.startswith(setting + ".")}
    return {setting}


def differing_setting(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """The one setting ``a`` and ``b`` differ in, or None when they differ in none or several."""
    differ = {k for k in a.keys() | b.keys() if k not in a or k not in b or canonical(a[k]) != canonical(b[k])}
    for kind in KINDS:
        if kind in differ:  # adam and sgd have different options because they are different optimizers
            differ -= unit_keys(kind, differ) - {kind}
    return next(iter(differ)) if len(differ) == 1 else None


def one_setting_pairs(
    entries: Sequence[Group | RunData], members: dict[str, list[RunData]]
) -> list[tuple[Group | RunData, Group | RunData, str]]:
    """(earlier entry, later one, setting) for each two that differ in exactly one setting, by setting then entry.

    Entries are bucketed by their settings without each candidate setting, so
    a large sweep costs entries × settings, not entries squared.
    """
    configs = [settings(members[entry_key(e)][0]) for e in entries]
    keys = sorted({k for c in configs for k in c}, key=setting_order)
    candidates = [*(k for k in KINDS if k in keys), *keys]
    seen: set[tuple[int, int]] = set()
    pairs = []
    for setting in candidates:
        buckets: dict[str, list[int]] = {}
        for i, config in enumerate(configs):
            rest = {k: v for k, v in config.items() if k not in unit_keys(setting, config)}
            buckets.setdefault(canonical(rest), []).append(i)
        for indices in buckets.values():
            for x, i in enumerate(indices):
                for j in indices[x + 1:]:
                    if (i, j) not in seen and differing_setting(configs[i], configs[j]) == setting:
                        seen.add((i, j))
                        pairs.append((setting_order(setting), indices[0], i, j, setting))
    pairs.sort()  # by setting, then the pairs that share the other settings together, in entry order
    return [(entries[i], entries[j], setting) for _, _, i, j, setting in pairs]


def setting_order(key: str) -> tuple[int, str]:
    return SETTING_ORDER.get(key, len(SETTING_ORDER)), key


def short_name(key: str) -> str:
    return key.rpartition(".")[2]


def value_name(run: RunData, setting: str) -> str:
    """How a side is named: its value of the setting ("adam", "lr=0.01", "hidden=50")."""
    config = settings(run)
    if setting in KINDS:
        implied = f" (its lr {format_value(config[IMPLIED_LR])})" if setting == "optimizer" and IMPLIED_LR in config else ""
        return f"{config[setting]}{implied}"
    if setting not in config:
        return f"no {short_name(setting)}"
    return f"{short_name(setting)}={format_value(config[setting])}"


def entry_name(data: ReportData, entry: Group | RunData, members: dict[str, list[RunData]], derived: set[str]) -> str:
    """"numpy · adam · lr=0.01" and every other setting that varies (a run: "#12 · ..."), a plugin's options aside."""
    run = members[entry_key(entry)][0]
    config = settings(run)
    parts = [run.model, run.optimizer, f"lr={run.lr:g}"]
    parts += [f"{short_name(k)}={format_value(config[k])}" for k in data.varying
              if k not in ("model", "optimizer", "lr", "seed") and k in config and k not in derived]
    return " · ".join(parts if isinstance(entry, Group) else [run.label, *parts])


def derived_keys(runs: Sequence[RunData]) -> set[str]:
    """A plugin's option keys whose value follows from the plugin's name in these runs (sgd's momentum)."""
    seen: dict[str, dict[str, set[str]]] = {}
    for run in runs:
        config = settings(run)
        for key, value in config.items():
            kind = key.partition(".")[0]
            if "." in key and kind in KINDS:
                seen.setdefault(key, {}).setdefault(str(config[kind]), set()).add(canonical(value))
    return {key for key, by_name in seen.items() if all(len(values) == 1 for values in by_name.values())}


def context(data: ReportData, run: RunData, setting: str, derived: set[str]) -> str:
    """The settings that vary in the report, other than ``setting`` (and options that follow a plugin), as ``run`` has them."""
    config = settings(run)
    skip = unit_keys(setting, config) | derived
    parts = [f"{short_name(k)}={format_value(config[k])}" if k not in KINDS else str(config[k])
             for k in data.varying if k != "seed" and k in config and k not in skip]
    return " · ".join(parts)


def run_value(run: RunData, basis: Basis) -> float | None:
    if basis.metric == LOSS:
        return run.summary.final_loss if basis.at == "final" else run.summary.best_loss
    metric = run.metrics.get(basis.metric)
    if metric is None:
        return None
    return metric.summary.final if basis.at == "final" else metric.summary.best


def side(entry: Group | RunData, members: dict[str, list[RunData]], basis: Basis, name: str) -> Side:
    """``entry``'s values by seed, from its completed runs with a finite value; the others counted by why."""
    return side_of(name, entry_key(entry), ((r.seed, r.status, run_value(r, basis)) for r in members[entry_key(entry)]))


def compare(a: Side, b: Side, basis: Basis, way: Direction, *, setting: str | None = None, context: str = "") -> Comparison:
    """``a`` against ``b`` (ranking.difference: paired over shared seeds, Welch without), the better named first."""
    return comparison(difference(a, b, way), basis, way, setting, context)


def comparison(d: Difference, basis: Basis, way: Direction, setting: str | None = None, context: str = "") -> Comparison:
    made = Comparison(setting, context, d.first, d.second, basis, way, d.seeds, d.paired, d.interval, d.wins, "",
                      None if d.clear else seeds_to_settle(d))
    return replace(made, verdict=sentence(made, settle_text(d)))


def num(value: float) -> str:
    """Three significant digits, in plain decimals from 1e-6 to 1e6 (``0.0000415``, ``−12.3``), a true minus sign."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    if -6 <= magnitude < 6:
        text = f"{value:.{max(0, 2 - magnitude)}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{value:.3g}"
    return "0" if text in ("0", "-0") else text.replace("-", "−")


def sentence(c: Comparison, settle: str = "") -> str:
    """The verdict in words (``settle``: how many seeds would likely settle an unclear one)."""
    a, b, i = c.first, c.second, c.interval
    word = "lower" if c.direction == "min" else "higher"
    left = [f"{s.name}: {s.why()}" for s in (a, b) if s.left_out]
    note = f"; left out: {'; '.join(left)}" if left else ""
    if not a.values or not b.values:
        missing = " and ".join(f"{s.name} ({s.why()})" for s in (a, b) if not s.values)
        return f"nothing to compare: no completed run with a finite {c.basis.describe()} in {missing}"
    if i is None:
        values = "; ".join(f"{s.name}: {num(s.mean)}" + ("" if len(s.values) == 1 else f" (mean of {len(s.values)})")
                           for s in (a, b) if s.mean is not None)
        return f"one seed: no interval ({values}){note}"
    numbers = f"mean difference {num(i.estimate)}, {i.level:.0%} {'Welch ' if i.method == 'Welch' else ''}interval " \
              f"{num(i.low)} to {num(i.high)}"
    if c.paired:
        if c.clear:
            return f"{a.name} {word} than {b.name} in {c.wins} of {c.seeds} seeds; {numbers}{note}"
        return (f"no clear difference with {c.seeds} seeds ({a.name} {word} in {c.wins} of {c.seeds}; {numbers})"
                f"{'; ' + settle if settle else ''}{note}")
    runs = f"{len(a.values)} and {len(b.values)} runs"
    if c.clear:
        return f"{a.name} {word} than {b.name}; seeds not shared ({runs}): {numbers}{note}"
    return f"no clear difference with {runs}, seeds not shared ({numbers}){'; ' + settle if settle else ''}{note}"


def best_lines(
    entries: Sequence[Group | RunData], members: dict[str, list[RunData]], names: dict[str, str], basis: Basis,
    way: Direction, bound: tuple[float, float] | None = None,
) -> tuple[BestLine, ...]:
    """The best entry per sweep (one line for the report when its runs are of one sweep or none)."""
    by_sweep: dict[str | None, list[Group | RunData]] = {}
    for entry in entries:
        by_sweep.setdefault(members[entry_key(entry)][0].sweep, []).append(entry)
    lines = []
    for sweep, chosen in by_sweep.items():
        line = best_line(chosen, members, names, basis, way, sweep if len(by_sweep) > 1 else None, bound)
        if line is not None:
            lines.append(line)
    return tuple(lines)


MAX_TIED = 5  # a longer tie names this many and counts the rest


def clipped(interval: Interval, bound: tuple[float, float] | None) -> tuple[Interval, bool]:
    """The interval cut to the metric's bounds (accuracy cannot pass 1), and whether that cut anything."""
    if bound is None or (interval.low >= bound[0] and interval.high <= bound[1]):
        return interval, False
    return replace(interval, low=max(interval.low, bound[0]), high=min(interval.high, bound[1])), True


def mean_text(s: Side, bound: tuple[float, float] | None) -> tuple[str, Interval | None]:
    """"1.03 over 5 seeds, 95% interval 0.98 to 1.08 (3 of 8 seeds diverged)", and the interval (clipped)."""
    text = num(float(s.mean or 0))
    interval = None
    if len(s.values) >= 2:
        interval, cut = clipped(mean_interval(list(s.values.values())), bound)
        text += (f" over {len(s.values)} seeds, {interval.level:.0%} interval {num(interval.low)} to {num(interval.high)}"
                 + (f" (clipped to the bound {num(bound[1] if interval.high == bound[1] else bound[0])})"
                    if cut and bound else ""))
    else:
        text += " (one seed: no interval)"
    bad = s.bad_text()
    return text + (f"; {bad}" if bad else ""), interval


def best_line(
    entries: Sequence[Group | RunData], members: dict[str, list[RunData]], names: dict[str, str], basis: Basis,
    way: Direction, sweep: str | None, bound: tuple[float, float] | None = None,
) -> BestLine | None:
    """The best entry by ranking.RULE with its interval and its lead on the next, or the entries tied for best."""
    sides = [side(e, members, basis, names[entry_key(e)]) for e in entries]
    ranking = rank(sides, way)
    if ranking is None:
        return None
    top = ranking.top
    where = f" in sweep {sweep}" if sweep is not None else ""
    shown, interval = mean_text(top, bound)
    if ranking.clear:
        text = f"Best configuration{where}: {top.name}, {basis.describe()} {shown}"
    else:
        text = f"Tied for best{where} ({len(ranking.tied)} configurations the data cannot tell apart): {top.name}, " \
               f"{basis.describe()} {shown}"
        others = ranking.tied[1:]
        text += "".join(f"; {s.name}, {mean_text(s, bound)[0]}" for s in others[:MAX_TIED - 1])
        text += f"; and {len(others) - MAX_TIED + 1} more" if len(others) > MAX_TIED - 1 else ""
    runner_up = next_text = None
    following = ranking.runner_up
    if following is not None:
        lead = ranking.lead_over(following) or difference(top, following, way)
        in_tie = following in ranking.tied
        words = ("first", "second") if in_tie else ("best", "next") if ranking.clear else ("best by mean", "next")
        named = dict(zip((top.entry, following.entry), words))
        runner_up = comparison(replace(lead, first=replace(lead.first, name=named[lead.first.entry]),
                                       second=replace(lead.second, name=named[lead.second.entry])), basis, way)
        if in_tie:
            next_text = f"The first two: {runner_up.verdict}"
        else:
            next_text = f"{'Next best' if ranking.clear else 'Next by mean'}: {following.name}, {num(float(following.mean or 0))}"
            if following.share_bad > top.share_bad:
                next_text += f", ranked after for its {following.bad_text()}"
            else:
                next_text += f"; {runner_up.verdict}"
    text += f". {next_text}." if next_text else "."
    return BestLine(sweep, top.entry, top.name, top, interval, runner_up, text,
                    () if ranking.clear else ranking.tied, bound if interval is not None else None)
