"""The report of what a Feed has read so far: the same ReportData that ``runner report`` draws, built from memory.

The report's own pieces (runner.report.data) summarise each run, group the
seeds and pick the best entry, so the live page and the file agree; only
where the steps come from differs (read once, as they were stored, instead
of all again). Every figure gets a fixed ``uirevision`` (and, in the page, each trace a
stable ``uid``), so that redrawing it with Plotly.react keeps the user's
zoom and the traces they hid or showed.
"""

from __future__ import annotations

from runner.metrics import declared_directions
from runner.report.data import ReportData, assemble, provenance, run_data
from runner.report.figures import Figures
from runner.report.metric_data import check_names, metric_direction, run_metric
from runner.watch.feed import Feed

__all__ = ["UIREVISION", "check_metrics", "report_data", "steady"]

UIREVISION = "runner-watch"  # any constant: Plotly keeps user changes while it stays the same


def check_metrics(feed: Feed, recorded: dict[int, list[str]], best: str | None) -> None:
    """UnknownMetric for a --metric (or --best) that no selected run recorded or declared (a run's model
    declares its metrics, so a metric of runs still queued is known before they record it)."""
    declared = declared_directions(r.config for r in feed.records())
    known = {name for names in recorded.values() for name in names} | set(declared)
    check_names(feed.metric_names, best, known)


def report_data(feed: Feed, best: str | None, command: str | None, database: str) -> ReportData:
    """What the report shows of the runs as read so far."""
    records = feed.records()
    names = feed.metric_names
    declared = declared_directions(r.config for r in records)
    directions = {name: metric_direction(name, declared) for name in names}
    runs = []
    for record in records:
        tail = feed.tails[record.id]
        metrics = {}
        for name in names:
            series = tail.metric(name)
            if series is not None:
                metrics[name] = run_metric(name, directions[name], series)
        runs.append(run_data(record, tail.series(), tuple(sorted(metrics)), metrics))
    return assemble(feed.selection, tuple(runs), directions, declared, best, provenance(command, database))


def steady(figs: Figures) -> Figures:
    """The figures with a fixed uirevision (plotly.py leaves out trace uids: the page sets them, live.js)."""
    for _, fig in figs.items():
        fig.layout.uirevision = UIREVISION
    return figs
