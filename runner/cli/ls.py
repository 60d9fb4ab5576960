"""runner ls: the runs in the database, newest first."""

from __future__ import annotations

import dataclasses
import json

import click

from runner.cli.common import db_option, domain_errors, format_table, json_option, jsonable, mark_lost, open_store
from runner.cli.metric_options import check_metric_names, metric_option, summaries
from runner.cli.params import COUNT
from runner.formatting import format_loss, format_schedule, format_status
from runner.status import VALUES, RunStatus

__all__ = ["HEADERS", "ls", "metric_headers"]

HEADERS = ("ID", "NAME", "SWEEP", "MODEL", "OPTIMIZER", "LR", "SEED", "DEVICE", "STATUS", "STEPS", "FINAL LOSS", "STARTED")


@click.command()
@click.option("--model", "-m", help="Only runs of this model.")
@click.option("--status", "-s", type=click.Choice(VALUES), help="Only runs with this status.")
@click.option("--sweep", help="Only runs of this sweep.")
@click.option("--limit", "-n", type=COUNT, help="At most this many runs.")
@metric_option("Add this metric's final and best value (e.g. val_accuracy).")
@json_option
@db_option
def ls(model: str | None, status: str | None, sweep: str | None, limit: int | None, metrics: tuple[str, ...],
       as_json: bool, db: str | None) -> None:
    """List runs, newest first.

    Runs whose process died (killed, out of memory, power loss) are marked
    lost here, so a dead run never stays "running".
    """
    with open_store(db, create=False) as store, domain_errors():
        mark_lost(store)
        records = store.list_runs(model=model, status=RunStatus(status) if status else None, limit=limit, sweep=sweep)
        check_metric_names(store, [r.id for r in records], metrics)
        summary = {r.id: summaries(store, r, metrics) for r in records}
    if as_json:
        listed = [{**dataclasses.asdict(r), "metrics": {n: dataclasses.asdict(m) for n, m in summary[r.id].items()}}
                  if metrics else dataclasses.asdict(r) for r in records]
        click.echo(json.dumps(jsonable(listed), indent=2))
        return
    if not records:
        click.echo(f"No runs in {store.url}. Start one with: runner run --model dynamic", err=True)
        return
    rows = [
        (
            r.id, r.name, r.sweep, r.model, r.optimizer, f"{r.lr:g}", r.seed, r.device, format_status(r.status, r.early_stop),
            f"{r.steps_done}/{r.steps}", format_loss(r.final_loss),
            *(format_loss(getattr(summary[r.id][name], key)) for name in metrics for key in ("final", "best")),
            r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else None,
        )
        for r in records
    ]
    headers = [*HEADERS[:-1], *metric_headers(metrics, summary), HEADERS[-1]]
    schedules = [format_schedule(r.config or {}, settings=False) for r in records]
    if any(schedules):  # a column only where a listed run has a schedule: other listings stay as they were
        headers.insert(HEADERS.index("LR") + 1, "SCHEDULE")
        rows = [(*row[:6], schedule or "constant", *row[6:]) for row, schedule in zip(rows, schedules)]
    click.echo(format_table(tuple(headers), rows))


def metric_headers(names, summary) -> list[str]:
    """FINAL X and BEST X (max) for each metric X; the direction is left out where the runs that
    recorded X disagree on it."""
    headers = []
    for name in names:
        directions = {by_name[name].direction for by_name in summary.values() if by_name[name].count}
        best = f"BEST {name.upper()}" + (f" ({directions.pop()})" if len(directions) == 1 else "")
        headers += [f"FINAL {name.upper()}", best]
    return headers
