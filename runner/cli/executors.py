"""The options that say what works a sweep's queue (runner.executor), for ``runner run`` and ``runner resume``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click

from runner.executor import EXECUTORS, WORKER_WAIT

if TYPE_CHECKING:
    from distributed import Client

    from runner.scheduler import PoolOptions


def executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
                     help="local: worker processes on this host; dask: the workers of a Dask scheduler (--address), "
                          "on any number of hosts (`runner worker ADDRESS` on each)."),
        click.option("--address", metavar="tcp://HOST:PORT", help="The Dask scheduler (with --executor dask)."),
        click.option("--detach", is_flag=True,
                     help="With --executor dask: return once submitted; the sweep goes on (runner ls --sweep follows it)."),
        click.option("--retries", type=click.IntRange(0, 100), metavar="N",
                     help="Queue a run whose worker died again while it was claimed at most N times, from its "
                          "checkpoint.  [default: 2 with --executor dask, else 0]"),
        click.option("--worker-wait", type=click.FloatRange(0, min_open=True), default=WORKER_WAIT, show_default=True,
                     metavar="SECONDS", help="With --executor dask: how long to wait for a first worker."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def executor_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the values of ``executor_options`` out of ``kwargs`` (for PoolOptions), refusing combinations
    that cannot work (a usage error)."""
    values = {name: kwargs.pop(name) for name in ("executor", "address", "detach", "retries", "worker_wait")}
    if values["executor"] == "dask" and not values["address"]:
        raise click.UsageError("--executor dask needs --address tcp://HOST:PORT (the Dask scheduler's)")
    if values["executor"] != "dask" and (values["address"] or values["detach"]):
        raise click.UsageError("--address and --detach go with --executor dask")
    return values


def connect(options: PoolOptions, db: str | None, devices: Iterable[str] = ()) -> Client | None:
    """For --executor dask, a client of its scheduler with workers, checked against the database and the
    ``devices`` runs ask for, before anything is stored; None for the local pool. Errors are one line, exit 2."""
    if options.executor != "dask":
        return None
    from runner.cli.common import domain_errors
    from runner.dask_executor import check_database, check_devices, connect
    from runner.store import resolve_url

    assert options.address is not None  # executor_settings saw to it
    with domain_errors():
        say = lambda text: click.echo(text, err=True)  # noqa: E731
        client = connect(options.address, options.worker_wait, say)
        try:
            check_database(client, resolve_url(db), options.address)
            # every run that is about to be queued has a slot that takes it
            check_devices(client, devices, options.worker_wait, say)
        except BaseException:
            client.close()
            raise
    return client
