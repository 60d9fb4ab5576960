"""runner export: every step's loss, at full resolution, as CSV or JSON."""

from __future__ import annotations

import csv
import json
import math

import click

from runner.cli.common import db_option, domain_errors, open_store

COLUMNS = ("run_id", "step", "loss", "elapsed")


@click.command()
@click.argument("run_ids", nargs=-1, type=int, metavar="[RUN]...")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--sweep", help="Every run of this sweep (with any RUN named too).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@db_option
def export(run_ids, fmt, sweep, output, db):
    """Export per-step losses (columns run_id, step, loss, elapsed).

    With no RUN, every run is exported. Non-finite losses are written as
    nan, inf and -inf (strings in JSON).
    """
    with open_store(db) as store, domain_errors():
        for run_id in run_ids:
            store.get_run(run_id)  # fail before writing anything
        ids = list(run_ids)
        if sweep is not None:
            members = [r.id for r in store.list_runs(sweep=sweep)]
            if not members:
                raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
            ids += members
        rows = store.iter_steps(ids or None)
        write = write_csv if fmt == "csv" else write_json
        if not output:
            write(rows, click.get_text_stream("stdout"))
            return
        try:
            with open(output, "w", newline="") as out:
                write(rows, out)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"Wrote {output}", err=True)


def write_csv(rows, out) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)


def write_json(rows, out) -> None:
    out.write("[")
    for i, (run_id, step, loss, elapsed) in enumerate(rows):
        value = loss if math.isfinite(loss) else str(loss)
        record = dict(zip(COLUMNS, (run_id, step, value, elapsed)))
        out.write(("," if i else "") + "\n  " + json.dumps(record))
    out.write("\n]\n")
