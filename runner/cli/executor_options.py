"""The options that say what works a sweep's queue (runner.execution.executor), for ``runner run`` and ``runner resume``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from runner.cli.params import SECONDS
from runner.execution.executor import WORKER_WAIT
from runner.execution.executors import EXECUTORS
from runner.execution.slurm_options import SLURM_OPTIONS

if TYPE_CHECKING:
    from distributed import Client

    from runner.execution.executor import PoolOptions

COMMON = ("executor", "retries", "worker_wait")  # the executor options that go with any executor


def _walltime(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--walltime, checked as the command line is read (a usage error, exit 2)."""
    if value is None:
        return None
    from runner.errors import OptionError
    from runner.execution.slurm_options import check_walltime

    try:
        return check_walltime(value)
    except OptionError as exc:
        raise click.BadParameter(str(exc)) from None


def executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--executor", type=click.Choice(list(EXECUTORS)), default="local", show_default=True,
                     help="; ".join(f"{kind.name}: {kind.help}" for kind in EXECUTORS.values()) + "."),
        click.option("--address", metavar="tcp://HOST:PORT", help="The Dask scheduler (with --executor dask)."),
        click.option("--detach", is_flag=True,
                     help="With --executor dask: return once submitted; the sweep goes on (runner ls --sweep follows it)."),
        click.option("--retries", type=click.IntRange(0, 100), metavar="N",
                     help="Queue a run whose worker died again while it was claimed at most N times, from its "
                          "checkpoint.  [default: " + retries_default() + "]"),
        click.option("--worker-wait", type=SECONDS, default=WORKER_WAIT, show_default=True,
                     metavar="SECONDS", help="With --executor dask or slurm: how long to wait for a first worker."),
        click.option("--partition", metavar="NAME", help="With --executor slurm: the jobs' partition (sbatch -p)."),
        click.option("--account", metavar="NAME", help="With --executor slurm: the account charged (sbatch -A)."),
        click.option("--walltime", metavar="TIME", callback=_walltime,
                     help="With --executor slurm: each job's time limit, e.g. 4:00:00 (sbatch -t).  "
                          "[default: the partition's]"),
        click.option("--gpus-per-job", type=click.IntRange(0, 64), default=0, show_default=True, metavar="N",
                     help="With --executor slurm: GPUs per job (--gres=gpu:N), each --per-device workers."),
        click.option("--cpu-slots", type=click.IntRange(0, 1024), metavar="N",
                     help="With --executor slurm: CPU workers per job.  [default: 0 beside GPUs, else 1]"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def retries_default() -> str:
    """--retries' default as the help says it: per executor, from the registry."""
    by_count: dict[int, list[str]] = {}
    for kind in EXECUTORS.values():
        by_count.setdefault(kind.default_retries, []).append(kind.name)
    *given, (last, _) = sorted(by_count.items(), key=lambda item: -len(item[1]))
    return ", ".join(f"{count} with --executor {' or '.join(names)}" for count, names in given) + f", else {last}"


def flags(names: Sequence[str]) -> str:
    words = [f"--{name.replace('_', '-')}" for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def executor_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the values of ``executor_options`` out of ``kwargs`` (as PoolOptions fields), refusing combinations
    that cannot work (a usage error): each executor's own options only with it, checked by its module."""
    from runner.cli.common import domain_errors

    values = {name: kwargs.pop(name) for name in COMMON}
    own = {name: kwargs.pop(name) for kind in EXECUTORS.values() for name in kind.options}
    kind = EXECUTORS[values["executor"]]
    for other in EXECUTORS.values():
        if other is not kind and any(own[name] for name in other.options):
            raise click.UsageError(f"{flags(other.options)} go with --executor {other.name}{kind.misplaced_hint}")
    with domain_errors():
        return {**values, **kind.load().settings({name: own[name] for name in kind.options})}


# How a sweep is worked, recorded with it (sweeps.options) for runner resume: these go with any executor,
# the others only with the executor they were given for.
ANY_EXECUTOR = ("jobs", "per_device", "fail_fast", "retries")
WITH_EXECUTOR = ("executor", "address", "worker_wait", *SLURM_OPTIONS)


def recorded_settings(options: PoolOptions) -> dict[str, Any]:
    """``options`` as the values of the command-line options that give them (JSON-able), for sweeps.options."""
    slurm = options.slurm
    return dict(
        jobs=options.jobs, per_device=options.per_device, fail_fast=options.fail_fast, retries=options.retries,
        executor=options.executor, address=options.address, worker_wait=options.worker_wait,
        partition=slurm.partition if slurm else None, account=slurm.account if slurm else None,
        walltime=slurm.walltime if slurm else None, gpus_per_job=slurm.gpus if slurm else 0,
        cpu_slots=slurm.cpu_slots if slurm else None,
    )


def under_recorded(ctx: click.Context, values: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """The command's ``values`` with those not given on its command line taken from ``recorded`` (what
    ``recorded_settings`` kept of how the sweep was started); those of an executor only for that executor."""
    from click.core import ParameterSource

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)

    same = not given("executor") or values.get("executor") == recorded.get("executor")
    taken = {name: recorded[name] for name in (*ANY_EXECUTOR, *(WITH_EXECUTOR if same else ()))
             if name in recorded and name in values and not given(name)}
    return {**values, **taken}


def connect(options: PoolOptions, db: str | None, devices: Sequence[str] = ()) -> Client | None:
    """A client of the executor's workers (none for the local pool), checked against the database and the
    ``devices`` runs ask for (one per run to be queued, or none) before anything is stored. Errors are one
    line, exit 2. Close it with ``disconnect``."""
    from runner.cli.common import domain_errors
    from runner.store import resolve_url

    with domain_errors():
        client: Client | None = EXECUTORS[options.executor].load().open_client(
            options, resolve_url(db), devices, lambda text: click.echo(text, err=True))
    return client


def check_reachable(options: PoolOptions) -> None:
    """What the executor needs answers (Dask: its scheduler, at --address), in one line, exit 2: checked before
    the database is opened, so that a refusal creates no file."""
    from runner.cli.common import domain_errors

    with domain_errors():
        EXECUTORS[options.executor].load().check_reachable(options)


def disconnect(client: Client | None) -> None:
    """Close ``client``, and the SLURM jobs of --executor slurm (its cluster)."""
    if client is None:
        return
    client.close()
    if client.cluster is not None:
        client.cluster.close()
