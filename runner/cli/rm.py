"""runner rm: delete runs and their losses."""

from __future__ import annotations

import click

from runner.cli.common import db_option, domain_errors, open_store
from runner.cli.params import parse_run_id
from runner.status import RunStatus

__all__ = ["rm"]


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="RUN... | SWEEP")
@click.option("--force", is_flag=True, help="Also delete runs that are still running.")
@db_option
@click.pass_context
def rm(ctx: click.Context, targets: tuple[str, ...], force: bool, db: str | None) -> None:
    """Delete runs (or every run of SWEEP) and every loss they recorded.

    Removing the last run of a sweep frees its name for a new sweep.

    Their checkpoints and weights go too, files under --artifacts included.
    If one of those files cannot be removed (a read-only disk), nothing is
    deleted. A file that is not the one runner saved there (other bytes, a
    symbolic link, outside the run's artifacts folder) is left in place,
    with a warning.
    """
    sweep, run_ids = None, []
    if any(not t.isdigit() for t in targets):
        if len(targets) > 1:
            raise click.UsageError("give one sweep name, or one or more run ids", ctx)
        sweep = targets[0]
    else:  # checked before the database is opened
        run_ids = [parse_run_id(t, ctx) for t in targets]
    with open_store(db, must_exist=True) as store, domain_errors():
        if sweep is None:
            records = [store.get_run(run_id) for run_id in run_ids]  # every id must exist first
        else:
            records = store.list_runs(sweep=sweep)[::-1]
            if not records:
                raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
            run_ids = [r.id for r in records]
        running = [r.id for r in records if r.status == RunStatus.RUNNING]
        if running and not force:
            ids = " ".join(map(str, running))
            raise click.ClickException(f"run {ids} is still running; stop it first or pass --force")
        deleted = store.delete_runs(list(run_ids))
    if sweep is not None:
        click.echo(f"Deleted {deleted} run{'s' if deleted != 1 else ''} of sweep {sweep}; its name is free again")
    else:
        click.echo(f"Deleted {deleted} run{'s' if deleted != 1 else ''}: {' '.join(map(str, run_ids))}")
