"""runner weights: write a run's final weights to a file that torch or NumPy code loads."""

from __future__ import annotations

import sys

import click

from runner.cli.common import db_option, domain_errors, open_store
from runner.cli.params import RUN_ID
from runner.errors import OptionError
from runner.formatting import format_bytes

__all__ = ["weights"]


@click.command()
@click.argument("run_id", type=RUN_ID, metavar="RUN")
@click.option("--output", "-o", metavar="PATH",
              help="The file to write ('-': standard output, not a terminal)  [default: run-RUN.pt or run-RUN.npz].")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--best", is_flag=True, help="The weights at the run's best evaluation (it ran with --keep-best METRIC).")
@db_option
def weights(run_id: int, output: str | None, force: bool, best: bool, db: str | None) -> None:
    """Write RUN's final weights (or with --best its best ones) to PATH.

    A torch model's weights are a state_dict .pt file
    (torch.load(PATH, weights_only=True), then module.load_state_dict); a
    NumPy model's an .npz (numpy.load(PATH)). In Python,
    runner.load_model(RUN) gives the model with its weights loaded.
    """
    from runner.errors import RunStateError
    from runner.loading import no_weights
    from runner.outputs import check, write

    with open_store(db, create=False) as store, domain_errors():
        record = store.get_run(run_id)
        kept = store.latest_artifact(run_id, "best" if best else "weights")
        if kept is None:
            raise RunStateError(no_weights(run_id, record.status, "best" if best else "final"))
        name = f"run-{run_id}{'-best' * best}.{kept.info.format}"
        target = check(output if output is not None else name, force=force, example=name)
        if target.to_stdout and sys.stdout.isatty():
            raise OptionError("-o -: standard output is a terminal; redirect it to a file or a pipe, or give -o PATH")
        write(target, kept.data)
    where = "standard output" if target.to_stdout else target.given
    what = f"{'best ' * best}weights at step {kept.info.step} ({format_bytes(kept.info.size)})"
    click.echo(f"run {run_id}: {what} written to {where}",
               err=target.to_stdout)  # the weights themselves are on standard output
