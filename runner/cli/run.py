"""runner run: train one model with one optimizer and record every step."""

from __future__ import annotations

import click

from runner.cli.common import db_option, domain_errors, format_loss, load_registry, open_store
from runner.cli.params import POSITIVE_FLOAT, POSITIVE_INT, SEED
from runner.cli.progress import progress_bar

# Exit statuses, so scripts can tell the outcomes apart.
EXIT_CODES = {"completed": 0, "failed": 1, "diverged": 3, "interrupted": 130}


@click.command()
@click.option("--model", "-m", required=True, help="Model plugin to train (see `runner plugins`).")
@click.option("--optimizer", "-o", help="Optimizer plugin (default: the model's own).")
@click.option("--lr", type=POSITIVE_FLOAT, help="Learning rate (default: the model's own).")
@click.option("--steps", type=POSITIVE_INT, help="Training steps.  [default: 500]")
@click.option("--seed", type=SEED, help="Seed for Python's, NumPy's and torch's generators.  [default: 0]")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--dataset", help="Dataset plugin.  [default: random]")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a model, optimizer or dataset setting, e.g. --set hidden=50 --set momentum=0.5.")
@click.option("--name", help="A name for the run.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@db_option
@click.pass_context
def run(ctx, model, optimizer, lr, steps, seed, device, dataset, sets, name, quiet, db):
    """Train MODEL and store the loss of every step.

    \b
    Examples:
      runner run --model dynamic
      runner run --model sequential --optimizer adam --lr 1e-4
      runner run --model numpy --steps 2000 --set hidden=200 --name wide
    """
    from runner import runs
    from runner.config import resolve
    from runner.devices import check_device_syntax
    from runner.signals import graceful_stop

    registry = load_registry()
    with domain_errors():
        check_device_syntax(device)
        config = resolve(registry, model, optimizer, lr, steps, seed, device, dataset, sets, name)
    store = open_store(db)
    label = f"{config.model} · {config.optimizer}"
    with domain_errors(), graceful_stop() as stop, progress_bar(config.steps, label, not quiet) as progress:
        finished = runs.start(config, registry, store, progress=progress, stop=stop)
    outcome = finished.outcome
    click.echo(
        f"run {finished.run_id} {outcome.status} · {config.model} · {config.optimizer} lr={config.lr:g} · "
        f"{finished.device} · final loss {format_loss(outcome.final_loss)} · "
        f"{outcome.steps_done} steps · {outcome.steps_per_second:,.1f} steps/s"
    )
    if outcome.status == "failed":
        last_line = (outcome.error or "").strip().splitlines()[-1:] or ["unknown error"]
        click.echo(f"Error: run {finished.run_id} failed: {last_line[0]} (traceback: runner show {finished.run_id})", err=True)
    elif outcome.status == "interrupted":
        click.echo(f"Interrupted: {outcome.steps_done} steps stored.", err=True)
    elif outcome.status == "diverged":
        click.echo(f"Warning: the loss became {format_loss(outcome.final_loss)}; try a smaller --lr.", err=True)
    ctx.exit(EXIT_CODES.get(outcome.status, 1))
