"""runner export: every step's loss, and any metrics asked for, at full resolution, as CSV or JSON."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import click

from runner.cli.common import db_option, domain_errors, open_store
from runner.cli.metric_options import check_metric_names, metric_option
from runner.cli.params import RUN_ID

COLUMNS = ("run_id", "step", "loss", "elapsed")


@click.command()
@click.argument("run_ids", nargs=-1, type=RUN_ID, metavar="[RUN]...")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--sweep", help="Every run of this sweep (with any RUN named too).")
@metric_option("Add a column for each of these metrics, empty at steps where it was not recorded.")
@click.option("-o", "--output", metavar="PATH", help="The file to write  [default: standard output, as '-' is].")
@db_option
def export(run_ids, fmt, sweep, metrics, output, db):
    """Export per-step losses (columns run_id, step, loss, elapsed, then one per --metric).

    With no RUN, every run is exported. Non-finite values are written as
    nan, inf and -inf (strings in JSON).
    """
    from runner.outputs import STDOUT, check, opened

    with domain_errors():
        target = check(STDOUT if output is None else output, example=f"losses.{fmt}")  # before anything is read
    with open_store(db, create=False) as store, domain_errors():
        for run_id in run_ids:
            store.get_run(run_id)  # fail before writing anything
        ids = list(run_ids)
        if sweep is not None:
            members = [r.id for r in store.list_runs(sweep=sweep)]
            if not members:
                raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
            ids += members
        if metrics:
            selected = ids or [r.id for r in store.list_runs()]
            check_metric_names(store, selected, metrics)
            rows = with_metrics(store.iter_steps(ids or None), store.iter_metrics(selected, metrics), metrics)
        else:
            rows = store.iter_steps(ids or None)
        columns = (*COLUMNS, *metrics)
        write = write_csv if fmt == "csv" else write_json
        with opened(target, newline="") as out:
            write(columns, rows, out)
    if not target.to_stdout:
        click.echo(f"Wrote {output}", err=True)


def with_metrics(steps: Iterator[tuple], metric_rows: Iterator[tuple], names: Sequence[str]) -> Iterator[tuple]:
    """Each (run_id, step, loss, elapsed) row with the value of each of ``names`` at that step (None where there
    is none), run by run. Both inputs come ordered by run id. A metric recorded at a step with no stored loss
    gets a row of its own, loss and elapsed None."""
    by_run = groupby(metric_rows, key=itemgetter(0))
    pending = next(by_run, None)
    for run_id, run_steps in groupby(steps, key=itemgetter(0)):
        values: dict[int, dict[str, float]] = {}
        while pending is not None and pending[0] <= run_id:
            if pending[0] == run_id:
                for _, name, step, value in pending[1]:
                    values.setdefault(step, {})[name] = value
            pending = next(by_run, None)
        alone = sorted(values)  # steps with metric values; those also in run_steps are skipped below
        i = 0
        for row in run_steps:
            while i < len(alone) and alone[i] < row[1]:
                yield (run_id, alone[i], None, None, *(values[alone[i]].get(n) for n in names))
                i += 1
            if i < len(alone) and alone[i] == row[1]:
                i += 1
            at = values.get(row[1], {})
            yield (*row, *(at.get(n) for n in names))
        for step in alone[i:]:
            yield (run_id, step, None, None, *(values[step].get(n) for n in names))


def write_csv(columns: Sequence[str], rows, out) -> None:
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)  # None is written as an empty field


def write_json(columns: Sequence[str], rows, out) -> None:
    out.write("[")
    for i, row in enumerate(rows):
        record = dict(zip(columns, map(json_value, row)))
        out.write(("," if i else "") + "\n  " + json.dumps(record))
    out.write("\n]\n")


def json_value(value: Any) -> Any:
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value
