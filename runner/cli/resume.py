"""runner resume: run whatever a sweep left queued."""

from __future__ import annotations

import click

from runner.cli.common import db_deadline_option, db_option, domain_errors, mark_lost, open_store, step_timeout_option
from runner.cli.params import JOBS


@click.command()
@click.argument("sweep", required=False)
@click.option("--jobs", "-j", type=JOBS, default=1, show_default=True, help="Worker processes.")
@click.option("--per-device", type=JOBS, default=1, show_default=True, help="Workers per GPU.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed or diverged run.")
@step_timeout_option
@db_deadline_option
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@db_option
@click.pass_context
def resume(ctx, sweep, jobs, per_device, fail_fast, step_timeout, db_deadline, quiet, db):
    """Run the queued runs of SWEEP (default: the newest sweep with queued runs).

    Safe to run several times at once, from any number of processes or
    hosts: each run is claimed by exactly one worker.
    """
    from runner.cli.sweep import run_sweep
    from runner.options import ExecOptions
    from runner.scheduler import PoolOptions
    from runner.status import RunStatus

    with open_store(db) as store, domain_errors():
        mark_lost(store)
        sweep = sweep or store.latest_sweep(status=RunStatus.QUEUED)
        if sweep is None:
            click.echo("Nothing to resume: no sweep has queued runs.", err=True)
            return
        counts = store.sweep_counts(sweep)
        if not counts:
            raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
        if not counts.get(RunStatus.QUEUED):
            click.echo(f"Nothing to resume: sweep {sweep} has no queued runs.", err=True)
            return
        options = PoolOptions(jobs, per_device, fail_fast, ExecOptions(step_timeout=step_timeout, db_deadline=db_deadline))
        code = run_sweep(store, db, sweep, options, not quiet)
    ctx.exit(code)
