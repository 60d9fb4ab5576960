"""The options that say what works a sweep's queue (runner.execution.executor), for ``runner run`` and ``runner resume``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from runner.cli.params import SECONDS
from runner.execution.executor import EXECUTORS, WORKER_WAIT

if TYPE_CHECKING:
    from distributed import Client

    from runner.execution.local_pool import PoolOptions


SLURM_OPTIONS = ("partition", "account", "walltime", "gpus_per_job", "cpu_slots")


def _walltime(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--walltime, checked as the command line is read (a usage error, exit 2)."""
    if value is None:
        return None
    from runner.errors import OptionError
    from runner.execution.slurm_executor import check_walltime

    try:
        return check_walltime(value)
    except OptionError as exc:
        raise click.BadParameter(str(exc)) from None


def executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
                     help="local: worker processes on this host; dask: the workers of a Dask scheduler (--address), "
                          "on any number of hosts (`runner worker ADDRESS` on each); slurm: workers started as "
                          "--jobs SLURM jobs, cancelled when the sweep ends."),
        click.option("--address", metavar="tcp://HOST:PORT", help="The Dask scheduler (with --executor dask)."),
        click.option("--detach", is_flag=True,
                     help="With --executor dask: return once submitted; the sweep goes on (runner ls --sweep follows it)."),
        click.option("--retries", type=click.IntRange(0, 100), metavar="N",
                     help="Queue a run whose worker died again while it was claimed at most N times, from its "
                          "checkpoint.  [default: 2 with --executor dask or slurm, else 0]"),
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


def executor_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the values of ``executor_options`` out of ``kwargs`` (for PoolOptions), refusing combinations
    that cannot work (a usage error)."""
    values = {name: kwargs.pop(name) for name in ("executor", "address", "detach", "retries", "worker_wait")}
    slurm = {name: kwargs.pop(name) for name in SLURM_OPTIONS}
    if values["executor"] == "dask" and not (values["address"] or "").strip():
        raise click.UsageError("--executor dask needs --address tcp://HOST:PORT (the Dask scheduler's)")
    if values["executor"] == "dask":
        values["address"] = scheduler_address(values["address"])
    if values["executor"] != "dask" and (values["address"] or values["detach"]):
        raise click.UsageError("--address and --detach go with --executor dask" + (
            " (with slurm, the scheduler lives in this command)" if values["executor"] == "slurm" else ""))
    if values["executor"] != "slurm":
        if any(slurm[name] for name in SLURM_OPTIONS):
            raise click.UsageError("--partition, --account, --walltime, --gpus-per-job and --cpu-slots go with "
                                   "--executor slurm")
        return values
    from runner.execution.slurm_executor import SlurmJobs

    jobs = SlurmJobs(slurm["partition"], slurm["account"], slurm["walltime"], slurm["gpus_per_job"], slurm["cpu_slots"])
    if jobs.slots(1) < 1:
        raise click.UsageError("each SLURM job would start no worker: give --gpus-per-job N or --cpu-slots N")
    return dict(values, slurm=jobs)


def scheduler_address(address: str) -> str:
    """--address checked as the command line is read: malformed, a usage error (exit 2) before anything is
    opened, stored or connected to."""
    from runner.cli.common import domain_errors
    from runner.errors import OptionError
    from runner.execution.dask_executor import check_address

    with domain_errors():
        try:
            return check_address(address)
        except OptionError as exc:
            raise OptionError(f"--address {exc}") from None


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
    """For --executor dask, a client of its scheduler with workers; for slurm, of the scheduler of the SLURM
    jobs it submits (one per run at most: ``devices`` has one per run to be queued, or is empty). Checked
    against the database and the ``devices`` runs ask for, before anything is stored; None for the local
    pool. Errors are one line, exit 2. Close it with ``disconnect``."""
    if options.executor == "local":
        return None
    from runner.cli.common import domain_errors
    from runner.execution.dask_executor import check_database, check_devices
    from runner.store import resolve_url

    def say(text: str) -> None:
        click.echo(text, err=True)

    with domain_errors():
        if options.executor == "slurm":
            from runner.execution.slurm_executor import connect as submit

            client = submit(options, resolve_url(db), devices, say)  # checks the database before submitting
        else:
            from runner.execution.dask_executor import connect as reach

            assert options.address is not None  # executor_settings saw to it
            client = reach(options.address, options.worker_wait, say)
        try:
            if options.executor == "dask":
                check_database(client, resolve_url(db), options.address or "")
            # every run that is about to be queued has a slot that takes it, once the workers have joined
            check_devices(client, devices, options.worker_wait, say,
                          "give the jobs such workers (--gpus-per-job N, --cpu-slots N)" if options.executor == "slurm"
                          else None)
        except BaseException:
            disconnect(client)
            raise
    return client


def check_scheduler(options: PoolOptions) -> None:
    """For --executor dask, that a scheduler answers at its address (ConfigError, exit 2, in one line, after at most
    runner.execution.dask_executor.CONNECT_SECONDS): checked before the database is opened, so that a refusal creates no file."""
    if options.executor != "dask" or options.address is None:
        return
    from runner.cli.common import domain_errors
    from runner.execution.dask_executor import CONNECT_SECONDS, scheduler_identity

    with domain_errors():
        scheduler_identity(options.address, CONNECT_SECONDS, ", or give another with --address")


def disconnect(client: Client | None) -> None:
    """Close ``client``, and the SLURM jobs of --executor slurm (its cluster)."""
    if client is None:
        return
    client.close()
    if client.cluster is not None:
        client.cluster.close()
