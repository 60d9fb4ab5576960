"""runner ls: the runs in the database, newest first."""

from __future__ import annotations

import dataclasses
import json

import click

from runner.cli.common import db_option, domain_errors, format_table, json_option, jsonable, open_store
from runner.formatting import format_loss
from runner.status import VALUES

HEADERS = ("ID", "NAME", "SWEEP", "MODEL", "OPTIMIZER", "LR", "SEED", "DEVICE", "STATUS", "STEPS", "FINAL LOSS", "STARTED")


@click.command()
@click.option("--model", "-m", help="Only runs of this model.")
@click.option("--status", "-s", type=click.Choice(VALUES), help="Only runs with this status.")
@click.option("--sweep", help="Only runs of this sweep.")
@click.option("--limit", "-n", type=click.IntRange(min=1), help="At most this many runs.")
@json_option
@db_option
def ls(model, status, sweep, limit, as_json, db):
    """List runs, newest first.

    Runs whose process died (killed, out of memory, power loss) are marked
    lost here, so a dead run never stays "running".
    """
    with open_store(db) as store, domain_errors():
        store.mark_lost()
        records = store.list_runs(model=model, status=status, limit=limit, sweep=sweep)
    if as_json:
        click.echo(json.dumps([jsonable(dataclasses.asdict(r)) for r in records], indent=2))
        return
    if not records:
        click.echo(f"No runs in {store.url}. Start one with: runner run --model dynamic", err=True)
        return
    rows = [
        (
            r.id, r.name, r.sweep, r.model, r.optimizer, f"{r.lr:g}", r.seed, r.device, r.status,
            f"{r.steps_done}/{r.steps}", format_loss(r.final_loss),
            r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else None,
        )
        for r in records
    ]
    click.echo(format_table(HEADERS, rows))
