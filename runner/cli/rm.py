"""runner rm: delete runs and their losses."""

from __future__ import annotations

import click

from runner.cli.common import db_option, domain_errors, open_store
from runner.cli.params import RUN_ID
from runner.status import RunStatus


@click.command()
@click.argument("run_ids", nargs=-1, required=True, type=RUN_ID, metavar="RUN...")
@click.option("--force", is_flag=True, help="Also delete runs that are still running.")
@db_option
def rm(run_ids, force, db):
    """Delete runs and every loss they recorded.

    Their checkpoints and weights go too, files under --artifacts included.
    If one of those files cannot be removed (a read-only disk), nothing is
    deleted. A file that is not the one runner saved there (other bytes, a
    symbolic link, outside the run's artifacts folder) is left in place,
    with a warning.
    """
    with open_store(db) as store, domain_errors():
        records = [store.get_run(run_id) for run_id in run_ids]  # every id must exist first
        running = [r.id for r in records if r.status == RunStatus.RUNNING]
        if running and not force:
            ids = " ".join(map(str, running))
            raise click.ClickException(f"run {ids} is still running; stop it first or pass --force")
        deleted = store.delete_runs(list(run_ids))
    click.echo(f"Deleted {deleted} run{'s' if deleted != 1 else ''}: {' '.join(map(str, run_ids))}")
