"""runner stop: ask every worker of a sweep, on every host, to stop."""

from __future__ import annotations

import os

import click

from runner.cli.common import db_option, domain_errors, open_store
from runner.cli.params import LABEL

__all__ = ["stop"]


@click.command()
@click.argument("sweep", type=LABEL)
@db_option
def stop(sweep: str, db: str | None) -> None:
    """Stop SWEEP everywhere: its workers claim no more runs, and its running runs stop between steps
    (interrupted, with a checkpoint). `runner resume SWEEP` goes on with it."""
    from runner.processes import host_name

    with open_store(db, must_exist=True) as store, domain_errors():
        if not store.sweep_counts(sweep):
            raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
        store.stop_sweep(sweep, f"runner stop (pid {os.getpid()} on {host_name()})")
    click.echo(f"sweep {sweep}: asked to stop; its workers stop within a few seconds. Resume with: runner resume {sweep}",
               err=True)
