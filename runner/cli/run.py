"""runner run: train a model, or a grid of runs, and record every step."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from runner.cli.common import db_option, domain_errors, format_table, load_registry, open_store
from runner.cli.executor_options import executor_options, executor_settings
from runner.cli.params import JOBS, LABEL, MAX_NAME, NAMES, POSITIVE_FLOATS, SEEDS, STEPS, WHOLE_NUMBERS, take
from runner.cli.progress import progress_bar
from runner.cli.run_options import execution, execution_options
from runner.formatting import format_loss, format_metrics, format_settings
from runner.request import RunRequest
from runner.status import EXIT_CODES, RunStatus
from runner.training.options import ExecOptions

if TYPE_CHECKING:
    from runner.config import Resolved, RunConfig
    from runner.execution.executor import PoolOptions
    from runner.store import Store
    from runner.training import runs

__all__ = ["run", "print_grid", "run_single", "report_finished", "last_error_line", "run_grid", "enqueue_unnamed"]


@click.command()
@click.option("--model", "-m", "models", required=True, type=NAMES, help="Model plugin(s) to train (see `runner plugins`).")
@click.option("--optimizer", "-o", "optimizers", type=NAMES, help="Optimizer plugin(s) (default: the model's own).")
@click.option("--lr", "lrs", type=POSITIVE_FLOATS,
              help="Learning rate(s) (default: the model's own, or another optimizer's own if it declares one).")
@click.option("--steps", type=STEPS, help="Training steps.  [default: 500]")
@click.option("--seed", "seeds", type=SEEDS, help="Seed(s) for Python's, NumPy's and torch's generators, e.g. 0-4.  [default: 0]")
@click.option("--device", "devices", type=NAMES, default="auto", show_default=True,
              help="auto, cpu, cuda, cuda:N or mps; a list is a grid axis.")
@click.option("--dataset", "datasets", type=NAMES, help="Dataset plugin(s).  [default: random]")
@click.option("--batch-size", "batch_sizes", type=WHOLE_NUMBERS, metavar="B",
              help="Train each step on B rows sampled from the training split, epoch by epoch (default: all of it).")
@click.option("--eval-every", type=int, metavar="N",
              help="Evaluate on the dataset's validation split every N steps and at the last (val_loss, ...).")
@click.option("--track", type=NAMES, metavar="NAME[,NAME]", help="Also record lr, grad_norm and/or param_norm each step.")
@click.option("--early-stop", metavar="METRIC",
              help="End a run when this evaluation metric (val_loss, ...) has not improved for --patience evaluations; "
                   "needs --eval-every.")
@click.option("--patience", type=int, metavar="K", help="Evaluations without improvement that end the run.  [default: 3]")
@click.option("--min-delta", type=float, metavar="D", help="The least change that counts as an improvement.  [default: 0]")
@click.option("--keep-best", metavar="METRIC",
              help="Also keep the weights at the evaluation with the best value of METRIC (runner weights RUN --best).")
@click.option("--schedule", "schedules", type=NAMES, metavar="NAME[,NAME]",
              help="Learning-rate schedule(s): constant, step, exponential, cosine, one_cycle (see `runner plugins`).  "
                   "[default: constant]")
@click.option("--warmup", type=int, metavar="N", help="Raise the lr linearly over the first N steps, then follow the schedule.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE[,VALUE]",
              help="Override a model, optimizer or dataset setting, e.g. --set hidden=50,100 --set momentum=0.5.")
@click.option("--name", type=LABEL, help=f"A name for the run(s), at most {MAX_NAME} characters.")
@click.option("--sweep", type=LABEL,
              help=f"Store the runs as a sweep with this name, at most {MAX_NAME} characters (a grid always is one).")
@click.option("--add", is_flag=True,
              help="Add the runs to the sweep that --sweep names, should it exist (without --add, a name in use is refused).")
@click.option("--jobs", "-j", type=JOBS, default=1, show_default=True,
              help="Worker processes for a sweep (with --executor slurm: SLURM jobs).")
@click.option("--per-device", type=JOBS, default=1, show_default=True, help="Workers per GPU.")
@click.option("--fail-fast", is_flag=True, help="Stop a sweep at its first failed or diverged run.")
@click.option("--dry-run", is_flag=True, help="Print the runs without running them.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@executor_options
@execution_options
@db_option
@click.pass_context
def run(ctx: click.Context, sweep: str | None, add: bool, dry_run: bool, quiet: bool, db: str | None,
        **options: Any) -> None:
    """Train MODEL and store the loss of every step.

    Every option that names something or takes a number also takes a
    comma-separated list, and --seed and --steps take ranges (0-4): the
    runs are then the grid of every combination, stored as a sweep and run
    by --jobs worker processes.

    \b
    Examples:
      runner run --model dynamic
      runner run --model sequential --optimizer adam --lr 1e-4
      runner run --model numpy --steps 2000 --set hidden=200 --name wide
      runner run --model digits_mlp --batch-size 64 --eval-every 50 --track lr,grad_norm
      runner run --model digits_mlp --eval-every 20 --early-stop val_loss --patience 3 --keep-best val_loss
      runner run --model sequential --optimizer sgd --schedule cosine --warmup 50 --track lr
      runner run --model sequential,module --optimizer sgd,adam --lr 1e-5,1e-4 --seed 0-4 --sweep first --jobs 2
    """
    from runner.grid import expand

    if add and sweep is None:
        raise click.UsageError("--add adds to the sweep that --sweep names; give --sweep NAME", ctx)
    request = take(RunRequest, options)  # what to run; what is left says how
    chosen = execution(options)
    settings = executor_settings(options)
    registry = load_registry()
    with domain_errors():
        grid = expand(registry, request)
    if dry_run:
        print_grid(grid)
        return
    jobs, per_device, fail_fast = options.pop("jobs"), options.pop("per_device"), options.pop("fail_fast")
    if len(grid) == 1 and jobs == 1 and sweep is None and settings["executor"] == "local":
        ctx.exit(run_single(grid[0], db, quiet, chosen))
    from runner.execution.executor import PoolOptions

    ctx.exit(run_grid(grid, db, sweep, PoolOptions(jobs, per_device, fail_fast, chosen, **settings), quiet, add))


def print_grid(grid: Sequence[Resolved]) -> None:
    def settings(c):
        parts = (c.model_params, c.optimizer_options, c.dataset_params, c.schedule_params, c.training_options())
        return format_settings({k: v for part in parts for k, v in part.items() if k != "schedule_params"})

    rows = [(i, c.model, c.optimizer, f"{c.lr:g}", c.steps, c.seed, c.device, c.dataset, settings(c))
            for i, c in enumerate((r.config for r in grid), 1)]
    click.echo(format_table(("#", "MODEL", "OPTIMIZER", "LR", "STEPS", "SEED", "DEVICE", "DATASET", "SETTINGS"), rows))
    click.echo(f"{len(grid)} run{'s' if len(grid) != 1 else ''} (dry run: nothing stored)", err=True)


def run_single(resolved: Resolved, db: str | None, quiet: bool, options: ExecOptions) -> int:
    from runner.cli.sweep import check_devices
    from runner.training import runs
    from runner.training.signals import graceful_stop

    config = resolved.config
    label = f"{config.model} · {config.optimizer}"
    with domain_errors():
        check_devices([resolved])  # --device cuda without a GPU: refused before the database is created
    with open_store(db) as store, domain_errors(), graceful_stop() as stop, \
            progress_bar(config.steps, label, not quiet) as progress:
        finished = runs.start(resolved, store, options, [stop, *progress])
    return report_finished(finished, config)


def report_finished(finished: runs.Finished, config: RunConfig) -> int:
    """Print how a run ended (stdout) and what to do about it (stderr); returns the exit status."""
    outcome = finished.outcome
    click.echo(
        f"run {finished.run_id} {outcome.status} · {config.model} · {config.optimizer} lr={config.lr:g} · "
        f"{finished.device} · final loss {format_loss(outcome.final_loss)}{format_metrics(outcome.metrics)} · "
        f"{outcome.steps_done} steps · {outcome.steps_per_second:,.1f} steps/s"
    )
    if outcome.status == RunStatus.FAILED:
        click.echo(f"Error: run {finished.run_id} failed: {last_error_line(outcome.error)} "
                   f"(traceback: runner show {finished.run_id})", err=True)
    elif outcome.status == RunStatus.INTERRUPTED:
        click.echo(f"Interrupted: {outcome.steps_done} steps stored.", err=True)
    elif outcome.status == RunStatus.DIVERGED:
        click.echo(f"Warning: the loss became {format_loss(outcome.final_loss)}; try a smaller --lr.", err=True)
    return EXIT_CODES.get(outcome.status, 1)


def last_error_line(error: str | None) -> str:
    """The exception line of a traceback, without its module path: 'PluginError: ...'."""
    lines = (error or "").strip().splitlines()
    if not lines:
        return "unknown error"
    name, sep, message = lines[-1].partition(": ")
    return name.rpartition(".")[2] + sep + message


def run_grid(grid: Sequence[Resolved], db: str | None, sweep: str | None, options: PoolOptions, quiet: bool,
             add: bool = False) -> int:
    """Store ``grid`` as sweep ``sweep`` (a new name, or with ``add`` the sweep of that name) and work it."""
    from datetime import datetime

    from runner.cli.executor_options import check_reachable, connect, disconnect, recorded_settings
    from runner.cli.sweep import check_devices, run_sweep
    from runner.execution.executors import EXECUTORS

    devices = [r.config.device for r in grid]
    kind = EXECUTORS[options.executor]
    if kind.builds_here:  # Dask workers' devices are checked against their resources instead
        with domain_errors():
            check_devices(grid)
    check_reachable(options)  # an unreachable scheduler, or no sbatch, creates no file
    early = not kind.connects_after_store  # reaching a scheduler creates nothing: before the database is created
    client = connect(options, db, devices) if early else None
    try:
        with open_store(db) as store:
            if not early:  # SLURM's jobs open the database: it must exist before they are submitted
                client = connect(options, db, devices)  # before anything is stored
            with domain_errors():
                configs, recorded = [r.config for r in grid], options.execution.recorded()
                if sweep is None:
                    sweep = enqueue_unnamed(store, configs, datetime.now().strftime("sweep-%Y%m%d-%H%M%S"), recorded)
                else:  # a name in use is refused before anything is stored
                    store.enqueue(configs, sweep, options=recorded, add=add)
                store.record_sweep_options(sweep, recorded_settings(options))  # for runner resume SWEEP
                return run_sweep(store, db, sweep, options, not quiet, client)
    finally:
        disconnect(client)


def enqueue_unnamed(
    store: Store, configs: Sequence[RunConfig], stem: str, options: dict[str, Any] | None = None
) -> str:
    """Store a grid the user did not name under ``stem`` (the time), or ``stem-2``, ... should another grid
    have started in the same second; returns the name."""
    from runner.errors import SweepNameTaken

    for n in itertools.count(1):
        name = stem if n == 1 else f"{stem}-{n}"
        try:
            store.enqueue(configs, name, options=options)
            return name
        except SweepNameTaken:
            continue
    raise AssertionError("unreachable")
