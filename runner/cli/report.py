"""runner report: one self-contained HTML file that compares runs."""

from __future__ import annotations

import click

from runner.cli.common import db_option, domain_errors, mark_lost, open_store
from runner.cli.params import RUN_ID
from runner.cli.typed import as_typed
from runner.outputs import write_all
from runner.status import VALUES


def page_options(command):
    """The options of what the page draws, shared by ``runner report`` and ``runner watch``."""
    options = [
        click.option("--band", type=click.Choice(["minmax", "std"]), default="minmax", show_default=True,
                     help="A seed group's band: lowest to highest run, or mean ± one standard deviation."),
        click.option("--linear", is_flag=True,
                     help="Linear axes for the loss and metrics (by default: log where the values span a decade)."),
        click.option("--points", type=click.IntRange(min=10), default=2000, show_default=True,
                     help="Draw at most about this many points per line, fewer when many lines share a figure "
                          "(display only; every step stays stored)."),
        click.option("--title", help="The page's title."),
        click.option("--metric", "metrics", multiple=True, metavar="NAME[,NAME]",
                     help="Draw these metrics per step beside the loss, with their final and best in the summary "
                          "(repeatable)."),
        click.option("--best", metavar="NAME", help="Mark the run or group with the best final NAME (a metric, or loss)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.argument("run_ids", nargs=-1, type=RUN_ID, metavar="[RUN]...")
@click.option("--sweep", help="Only the runs of this sweep.")
@click.option("--model", "-m", "models", multiple=True, help="Only runs of this model (repeatable).")
@click.option("--status", "-s", "statuses", multiple=True, type=click.Choice(VALUES),
              help="Only runs with this status (repeatable).")
@click.option("-o", "--output", default="report.html", show_default=True, metavar="PATH",
              help="The HTML file to write ('-': standard output).")
@click.option("--plotlyjs", type=click.Choice(["embed", "cdn"]), default="embed", show_default=True,
              help="embed: plotly.js inside the file, which works offline; cdn: a small file that loads it online.")
@page_options
@click.option("--verdicts", "verdicts_path", metavar="PATH",
              help="Also write the Comparisons as JSON to PATH ('-': standard output): each pair's difference, "
                   "interval, seeds and verdict, and the best configuration per sweep.")
@click.option("--compare", "compare_at", type=click.Choice(["final", "best"]), default="final", show_default=True,
              help="Compare groups that differ in one setting by each run's final or best value of --best's NAME "
                   "(or the loss).")
@db_option
def report(run_ids, sweep, models, statuses, output, plotlyjs, band, linear, points, title, metrics, best, verdicts_path,
           compare_at, db):
    """Write an HTML report comparing runs: loss and metric curves, seed groups, a summary table, config diff.

    With no RUN and no filter, every run is shown. The file needs no network
    (unless --plotlyjs cdn): open it, mail it, attach it to a review.
    --best marks the best final value: highest for accuracy-like metrics,
    lowest for losses and the rest (or as the model declares). The Comparisons
    section compares the groups that differ in one setting on that metric,
    each with a 95% interval across seeds and a verdict.

    \b
    Examples:
      runner report                              every run, to report.html
      runner report 3 4 7 -o lr.html             these runs
      runner report --model numpy --model tensor --status completed
      runner report --sweep lr-grid --plotlyjs cdn
      runner report --metric val_loss,val_accuracy --best val_accuracy
      runner report --sweep lr-grid --verdicts verdicts.json
    """
    from runner import report as core
    from runner.report.html import to_html
    from runner.report.verdicts import Basis, verdicts

    names = [name.strip() for value in metrics for name in value.split(",") if name.strip()]
    command = as_typed(click.get_current_context())
    page_to, verdicts_to = check_outputs(output, verdicts_path)  # before anything is read or written

    options = core.Options(max_points=points, band=band, log_y=False if linear else None)
    with open_store(db, create=False) as store:
        with domain_errors():
            mark_lost(store)  # a dead run shows as lost, not as running
            data = core.gather(store, run_ids, sweep=sweep, models=models, statuses=statuses, metrics=names, best=best,
                               command=command, budget=options.budget)  # a long run: about the steps drawn
        found = verdicts(data, Basis(best or "loss", compare_at))  # on what --best names, which gather has read
        page = to_html(data, plotlyjs=plotlyjs, options=options, title=title, verdicts=found)
    with domain_errors():
        size, *_ = write_all([(page_to, page), *([(verdicts_to, found.to_json() + "\n")] if verdicts_to else [])])
    groups = f", {len(data.groups)} seed group{'s' if len(data.groups) != 1 else ''}" if data.groups else ""
    click.echo(f"Wrote {'the page to standard output' if page_to.to_stdout else output}: {len(data.runs)} runs{groups}, "
               f"{size / 1e6:.1f} MB", err=True)


def check_outputs(output: str, verdicts_path: str | None):
    """The page's output and the verdicts' (or None), both checked before either is written."""
    from runner.outputs import check, check_all

    with domain_errors():
        page_to = check(output, option="-o", example="report.html")
        verdicts_to = None if verdicts_path is None else check(verdicts_path, option="--verdicts",
                                                               example="verdicts.json")
        check_all([page_to, *([verdicts_to] if verdicts_to else [])])
    return page_to, verdicts_to
