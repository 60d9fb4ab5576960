"""runner weights: write a run's final weights to a file that torch or NumPy code loads."""

from __future__ import annotations

import os

import click

from runner.cli.common import db_option, domain_errors, open_store
from runner.cli.params import RUN_ID
from runner.formatting import format_bytes


@click.command()
@click.argument("run_id", type=RUN_ID, metavar="RUN")
@click.option("--output", "-o", metavar="PATH", help="The file to write  [default: run-RUN.pt or run-RUN.npz].")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@db_option
def weights(run_id, output, force, db):
    """Write RUN's final weights to PATH.

    A torch model's weights are a state_dict .pt file
    (torch.load(PATH, weights_only=True), then module.load_state_dict); a
    NumPy model's an .npz (numpy.load(PATH)). In Python,
    runner.load_model(RUN) gives the model with its weights loaded.
    """
    from runner.errors import RunStateError
    from runner.models import no_weights

    with open_store(db, create=False) as store, domain_errors():
        record = store.get_run(run_id)
        kept = store.latest_artifact(run_id, "weights")
        if kept is None:
            raise RunStateError(no_weights(run_id, record.status))
    name = f"run-{run_id}.{kept.info.format}"
    path = output or name
    if os.path.isdir(path):
        raise click.UsageError(f"{path} is a directory; give a file path, e.g. -o {os.path.join(path, name)}")
    if os.path.exists(path) and not force:
        raise click.UsageError(f"{path} exists; give another -o PATH, or --force to overwrite it")
    try:
        write_atomically(path, kept.data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path} ({exc.strerror or exc}); check the folder") from None
    click.echo(f"run {run_id}: weights at step {kept.info.step} ({format_bytes(kept.info.size)}) written to {path}")


def write_atomically(path: str, data: bytes) -> None:
    partial = f"{path}.partial"
    with open(partial, "wb") as out:
        out.write(data)
    os.replace(partial, path)
