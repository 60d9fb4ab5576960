"""runner resume: run whatever a sweep left queued."""

from __future__ import annotations

import click

from runner.cli.common import db_option, domain_errors, open_store


@click.command()
@click.argument("sweep", required=False)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--per-device", type=click.IntRange(min=1), default=1, show_default=True, help="Workers per GPU.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed or diverged run.")
@click.option("--step-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Fail a run whose step takes longer than this.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@db_option
@click.pass_context
def resume(ctx, sweep, jobs, per_device, fail_fast, step_timeout, quiet, db):
    """Run the queued runs of SWEEP (default: the newest sweep with queued runs).

    Safe to run several times at once, from any number of processes or
    hosts: each run is claimed by exactly one worker.
    """
    from runner.cli.sweep import db_url, run_sweep
    from runner.heartbeat import STALE_SECONDS
    from runner.scheduler import PoolOptions

    store = open_store(db)
    with domain_errors():
        store.mark_lost(STALE_SECONDS)
        sweep = sweep or store.latest_sweep(status="queued")
        if sweep is None:
            click.echo("Nothing to resume: no sweep has queued runs.", err=True)
            return
        if not store.sweep_counts(sweep):
            raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
        if not store.sweep_counts(sweep).get("queued"):
            click.echo(f"Nothing to resume: sweep {sweep} has no queued runs.", err=True)
            return
        options = PoolOptions(jobs, per_device, fail_fast, step_timeout)
        ctx.exit(run_sweep(store, db_url(db), sweep, options, not quiet))
