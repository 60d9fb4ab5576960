"""runner watch: the report of a sweep (or of runs) served on this machine, updated as the runs train."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

import click

from runner.cli.common import InputError, db_option, domain_errors, mark_lost, open_store
from runner.cli.params import Seconds, parse_run_id, take
from runner.cli.report import Page, page_options
from runner.cli.typed import as_typed

if TYPE_CHECKING:
    from runner.report.data import Selection
    from runner.store import Store

__all__ = ["watch", "chosen", "bind_error"]


@click.command()
@click.argument("targets", nargs=-1, metavar="[SWEEP | RUN...]")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=0,
              help="The port to serve on.  [default: a free one, printed]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to serve on (0.0.0.0: every interface; anyone who reaches it sees the runs).")
@click.option("--allow-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Also answer requests for this host name (repeatable): a name you open the page by, other than "
                   "localhost, an IP address or this machine's own name. Others are refused, so that no web page can "
                   "read the runs by pointing a name of its own at this server.")
@click.option("--interval", type=Seconds(0.2, low_open=False), default=1.0, show_default=True,
              help="Seconds between reads of the database (only while a page is open).")
@page_options
@db_option
@click.pass_context
def watch(ctx: click.Context, targets: tuple[str, ...], port: int, host: str, allowed_hosts: tuple[str, ...],
          interval: float, db: str | None, **options: Any) -> None:
    """Serve a live report of a sweep or of runs: the page updates itself as they train.

    \b
    SWEEP    its runs (default: the newest sweep)
    RUN...   these runs (ids)

    Open the printed address in a browser: new steps are appended to the
    lines; the tables, seed groups and statuses are redrawn when a run
    starts or ends and every 10 s, keeping your zoom. It reads only what is new, once a second
    while a page is open, so training does not slow down; the runs may be
    training on other hosts (through PostgreSQL). Ctrl-C stops it.

    It answers only requests addressed to localhost, an IP address or (when
    serving beyond this machine) this machine's name, so that no web page can
    read the runs through a name of its own (--allow-host adds a name); a
    connection that sends no request for 30 s is closed, and at most 64 are
    served at once.

    \b
    Examples:
      runner watch                      the newest sweep, on a free port
      runner watch lr-grid --port 8765
      runner watch 3 4 7 --metric val_accuracy --best val_accuracy
      ssh -L 8765:127.0.0.1:8765 gpu-box 'runner watch --port 8765 --db postgresql://...'
    """
    from runner.report.data import Selection
    from runner.watch.feed import Feed
    from runner.watch.live import Settings, Watch
    from runner.watch.server import WatchServer
    from runner.watch.snapshot import check_metrics

    page = take(Page, options)
    names = tuple(dict.fromkeys(page.names))
    if targets and all(t.isdigit() for t in targets):
        selection = Selection(run_ids=tuple(dict.fromkeys(parse_run_id(t, ctx) for t in targets)))
    elif len(targets) > 1:
        raise click.UsageError("give one sweep name, or one or more run ids", ctx)
    else:
        selection = Selection(sweep=targets[0] if targets else None)
    command = as_typed(ctx)
    store = open_store(db, create=False)
    try:
        with domain_errors():
            mark_lost(store)
            selection = chosen(store, selection)
            feed = Feed(selection, names)
            feed.poll(store)  # every step stored so far, and a check that the runs exist
            check_metrics(feed, store.metric_names(list(feed.tails)), page.best)
        settings = Settings(interval=interval, options=page.options(), best=page.best, title=page.title, command=command)
        live = Watch(store, db, feed, settings)
        try:
            server = WatchServer((host, port), live, allowed_hosts)
        except OSError as exc:
            raise bind_error(exc, host, port) from exc
        try:
            with domain_errors():
                live.rebuild()
        except BaseException:
            server.server_close()
            raise
    except BaseException:
        store.close()
        raise
    n = len(feed.tails)
    click.echo(f"Watching {selection.describe()} ({n} run{'s' if n != 1 else ''}) from {store.url}", err=True)
    try:
        server.start()
        click.echo(f"Serving {server.url}  (Ctrl-C to stop)")
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        click.echo("Stopped watching.", err=True)
    finally:
        server.server_close()


def chosen(store: Store, selection: Selection) -> Selection:
    """The selection with its sweep named (the newest when none was given), refused if it has no runs."""
    from runner.report.data import Selection

    if selection.run_ids:
        for run_id in selection.run_ids:
            store.get_run(run_id)  # RunNotFound, in one line, for an id that is not there
        return selection
    sweep = selection.sweep or store.latest_sweep()
    if sweep is None:
        raise click.ClickException(f"no sweep in {store.url} to watch; give run ids, or start one with "
                                   "`runner run ... --sweep NAME`")
    if not store.sweep_counts(sweep):
        raise click.ClickException(f"no sweep {sweep!r} in {store.url}; see `runner ls`")
    return Selection(sweep=sweep)


def bind_error(exc: OSError, host: str, port: int) -> click.ClickException:
    if exc.errno == errno.EADDRINUSE:
        return InputError(f"port {port} on {host} is in use; choose another with --port, or leave --port out "
                          "to take a free one")
    if exc.errno == errno.EACCES:
        return InputError(f"port {port} on {host} needs privileges; choose one above 1023")
    return InputError(f"cannot serve on {host} port {port}: {exc.strerror or exc}; check --host and --port")
