"""runner resume: continue interrupted and lost runs from their latest checkpoint, and run what a sweep left queued."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from runner.cli.common import db_option, domain_errors, mark_lost, open_store
from runner.cli.executor_options import executor_options, executor_settings
from runner.cli.params import JOBS, parse_run_id
from runner.cli.run_options import execution, execution_options, given

if TYPE_CHECKING:
    from runner.config import Resolved
    from runner.execution.local_pool import PoolOptions
    from runner.registry import Registry
    from runner.store import RunRecord, Store
    from runner.training.options import ExecOptions

__all__ = ["resume", "resume_sweep", "resume_in", "resume_runs", "resume_one", "check_runs", "warn_if_changed",
           "say_where_each_starts"]


@click.command()
@click.argument("targets", nargs=-1, metavar="[SWEEP | RUN...]")
@click.option("--restart", is_flag=True, help="Start interrupted and lost runs over from step 0, not from a checkpoint.")
@click.option("--jobs", "-j", type=JOBS, default=1, show_default=True,
              help="Worker processes (for a sweep; with --executor slurm: SLURM jobs).")
@click.option("--per-device", type=JOBS, default=1, show_default=True, help="Workers per GPU (for a sweep).")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed or diverged run.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@executor_options
@execution_options
@db_option
@click.pass_context
def resume(ctx: click.Context, targets: tuple[str, ...], restart: bool, jobs: int, per_device: int, fail_fast: bool,
           quiet: bool, db: str | None, **options: Any) -> None:
    """Continue interrupted and lost runs, and run what a sweep left queued.

    A run continues from its latest checkpoint in the same run: same id,
    the loss curve goes on, and its record says from which step and on
    which host. A run without a checkpoint (or with --restart) starts over
    from step 0, and says so. Each run goes on with the options it was
    started with (--artifacts, --checkpoint-every, --no-weights, ...; see
    `runner show RUN`), and a sweep with its --jobs and executor, unless
    given again here.

    \b
    SWEEP    its interrupted, lost and queued runs, by --jobs workers
             (default: the newest sweep with any such run)
    RUN...   these runs (ids), one after another in this process

    Everything is checked first (each checkpoint against the run and the
    model built afresh): a refusal changes nothing. Safe to run several
    times at once, from any number of processes or hosts: each run is
    taken by exactly one worker.
    """
    values = dict(options, jobs=jobs, per_device=per_device, fail_fast=fail_fast)
    executor_settings(dict(options))  # a combination that cannot work is refused before anything is opened
    chosen = execution(options)
    if targets and all(t.isdigit() for t in targets):
        ids = [parse_run_id(t, ctx) for t in targets]
        ctx.exit(resume_runs(ids, restart, chosen, given(ctx), db, quiet))
    if len(targets) > 1:
        raise click.UsageError("give one sweep name, or one or more run ids", ctx)
    ctx.exit(resume_sweep(ctx, targets[0] if targets else None, restart, values, db, quiet))


def resume_sweep(ctx: click.Context, sweep: str | None, restart: bool, values: dict[str, Any], db: str | None,
                 quiet: bool) -> int:
    """Resume ``sweep`` (None: the newest with anything to resume) as it was started: its recorded --jobs,
    executor and run options, less those given on this command line (``values``, the command's)."""
    from runner.cli.executor_options import connect, disconnect, under_recorded
    from runner.execution.executor import PoolOptions
    from runner.execution.executors import EXECUTORS
    from runner.status import RESUMABLE, RunStatus

    with open_store(db, must_exist=True) as store:
        mark_lost(store)
        with domain_errors():
            sweep = sweep or store.latest_sweep(status=(RunStatus.QUEUED, *RESUMABLE))
            if sweep is None:
                click.echo("Nothing to resume: no sweep has queued, interrupted or lost runs.", err=True)
                return 0
            if not store.sweep_counts(sweep):
                raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
            values = under_recorded(ctx, values, store.sweep_options(sweep))
            newest = store.list_runs(sweep=sweep, limit=1)
            chosen = execution(values).under(newest[0].options if newest else None, given(ctx))
        pool = PoolOptions(values.pop("jobs"), values.pop("per_device"), values.pop("fail_fast"), chosen,
                           **executor_settings(values))
        with domain_errors():
            runs = [r for status in RESUMABLE for r in store.list_runs(sweep=sweep, status=status)]
            if not restart:  # before anything is queued or connected to
                check_runs(store, runs, build=EXECUTORS[pool.executor].builds_here)
            warn_if_changed(runs, None, f"runs of sweep {sweep} were")
        client = connect(pool, db)  # before anything is queued again
        try:
            with domain_errors():
                return resume_in(store, client, sweep, restart, pool, db, quiet)
        finally:
            disconnect(client)


def resume_in(store: Store, client: Any, sweep: str, restart: bool, options: PoolOptions, db: str | None,
              quiet: bool) -> int:
    from runner.cli.sweep import run_sweep
    from runner.status import RunStatus

    store.clear_stop(sweep)  # worked again on purpose: an earlier `runner stop` is over (nothing else clears it)
    say_where_each_starts(store.requeue_sweep(sweep, restart))
    if not store.sweep_counts(sweep).get(RunStatus.QUEUED):
        click.echo(f"Nothing to resume: sweep {sweep} has no queued, interrupted or lost runs.", err=True)
        return 0
    return run_sweep(store, db, sweep, options, not quiet, client)


def resume_runs(ids: Sequence[int], restart: bool, execution: ExecOptions, given: set[str], db: str | None,
                quiet: bool) -> int:
    """Check every run first (status, plugin, device, checkpoint: a refusal changes nothing), then queue
    each again and train it here, one after another, with the options it recorded (less those ``given``
    on the command line); a Ctrl-C stops there. The exit status of the worst."""
    from runner.cli.common import load_registry
    from runner.config import specs_for
    from runner.errors import RunStateError
    from runner.status import RESUMABLE, RunStatus
    from runner.store.resuming import refusal
    from runner.training.devices import resolve_device
    from runner.training.runs import config_of

    registry = load_registry()
    with open_store(db, must_exist=True) as store, domain_errors():
        mark_lost(store)
        plans, records = [], [store.get_run(run_id) for run_id in ids]
        for record in records:
            if record.status not in (*RESUMABLE, RunStatus.QUEUED):
                raise RunStateError(refusal(record.id, record.status))
            resolved = specs_for(registry, config_of(record))
            options = execution.under(record.options, given)
            plans.append((record, resolved, resolve_device(record.device, resolved.backend), options))
        if not restart:
            from runner.training.keeper import check_resumable

            for record, resolved, device, _ in plans:
                if record.status in RESUMABLE:
                    check_resumable(store, record, resolved, device)
        codes = []
        for record, resolved, device, options in plans:
            warn_if_changed([record], registry, f"run {record.id} was")
            if record.status in RESUMABLE:  # a queued one (of a sweep) is simply taken
                say_where_each_starts(store.requeue([record.id], restart))
            codes.append(resume_one(store, record.id, resolved, device, options, quiet))
            if codes[-1] == 130:  # Ctrl-C: the runs not reached yet stay as they were
                break
    return max(codes, key=lambda code: (code != 0, code))


def resume_one(store: Store, run_id: int, resolved: Resolved, device: Any, execution: ExecOptions,
               quiet: bool) -> int:
    from runner.cli.progress import progress_bar
    from runner.cli.run import report_finished
    from runner.training import runs
    from runner.training.signals import graceful_stop

    record = store.claim_run(run_id, str(device))
    if record is None:
        click.echo(f"run {run_id} was taken by another process; skipping it", err=True)
        return 0
    config = resolved.config
    with graceful_stop() as stop, progress_bar(config.steps, f"run {run_id}", not quiet) as progress:
        outcome = runs.execute(run_id, resolved, store, device, execution, [stop, *progress])
    return report_finished(runs.Finished(run_id, str(device), outcome), config)


def check_runs(store: Store, records: Sequence[RunRecord], build: bool) -> None:
    """Every run's latest checkpoint is read and checked before any run is queued again (runner.training.keeper:
    against the run's rows and, ``build``, a model built afresh on the CPU here, as the sweep's local workers
    will): a refusal is one line (saying to pass --restart), and nothing is changed."""
    from runner.cli.common import load_registry
    from runner.config import specs_for
    from runner.errors import ConfigError, RunStateError
    from runner.training.devices import resolve_device
    from runner.training.keeper import check_resumable
    from runner.training.runs import config_of

    registry = load_registry() if build and records else None
    for record in records:
        resolved = device = None
        if registry is not None:
            try:
                resolved = specs_for(registry, config_of(record))
            except ConfigError as exc:
                raise RunStateError(f"run {record.id} cannot be resumed: {exc}; nothing was changed") from None
            device = resolve_device("cpu", resolved.backend)
        check_resumable(store, record, resolved, device)


def warn_if_changed(records: Sequence[RunRecord], registry: Registry | None, which: str) -> None:
    """One warning line if ``records`` were recorded with other packages (or Python, torch, NumPy) than this
    process has (runner.training.provenance): their losses may then differ from the runs' first parts."""
    from runner.cli.common import load_registry
    from runner.config import specs_for
    from runner.errors import ConfigError
    from runner.training.provenance import changes, recorded_with, trained_with
    from runner.training.runs import config_of

    found: dict[str, None] = {}  # ordered, without repeats
    now: dict[tuple, dict[str, Any]] = {}  # by plugins: reading packages and commits once for a sweep's runs
    for record in records:
        try:
            registry = registry or load_registry()
            origins = specs_for(registry, config_of(record)).origins
        except ConfigError:
            continue  # a plugin not installed here: the run is refused, or its worker says so, elsewhere
        key = tuple(origins.values())
        now.setdefault(key, trained_with(origins))
        found.update(dict.fromkeys(changes(recorded_with(record), now[key])))
    if found:
        click.echo(f"warning: {which} recorded with other packages than these: {'; '.join(found)}", err=True)


def say_where_each_starts(starts: dict[int, int]) -> None:
    for run_id, step in starts.items():
        if step:
            click.echo(f"run {run_id}: continuing from its checkpoint at step {step}", err=True)
        else:
            click.echo(f"run {run_id}: starting over from step 0 (--restart, or no checkpoint)", err=True)
