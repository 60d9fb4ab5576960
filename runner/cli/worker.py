"""runner worker: this host's device slots as Dask workers of a scheduler (``--executor dask`` sweeps run on them; each
SLURM job of ``--executor slurm`` runs it too)."""

from __future__ import annotations

import sys

import click

from runner.cli.params import JOBS, SECONDS

UNREACHABLE_EXIT = 75  # sysexits' EX_TEMPFAIL: no scheduler answered, or it went away; worth starting again later
FIRST_LOOK_SECONDS = 1.0  # a scheduler that does not answer within this is waited for, saying so
AFTER_EXIT_SECONDS = 3.0  # once the workers have exited: how long to ask the scheduler whether it is still there


@click.command()
@click.argument("address", metavar="SCHEDULER_ADDRESS")
@click.option("--per-device", type=JOBS, default=1, show_default=True, help="Workers per GPU.")
@click.option("--cpu-slots", type=click.IntRange(0, 1024), metavar="N",
              help="Workers on the CPU, splitting its cores.  [default: 0 beside GPUs, else 1]")
@click.option("--name", metavar="NAME", help="Name the Dask workers NAME-0, NAME-1, ...  [default: HOST-I-DEVICE]")
@click.option("--death-timeout", type=SECONDS, metavar="SECONDS",
              help="How long to wait for the scheduler to answer as the workers start.  [default: 30]")
def worker(address, per_device, cpu_slots, name, death_timeout):
    """Start one Dask worker (with its nanny, which restarts it if it dies) per device slot of this host,
    each with its own CUDA_VISIBLE_DEVICES, its share of the CPU threads and the Dask resources
    {"GPU": 1, "cuda:I": 1} or {"CPU": 1}; Ctrl-C stops them. SCHEDULER_ADDRESS is tcp://HOST:PORT.

    The workers stop as soon as their scheduler goes away (Dask ends a worker whose connection to it
    breaks), and so does this command: start it again once a scheduler is back.

    \b
    Exit status:
      0   stopped by Ctrl-C or SIGTERM
      2   a malformed address, or a worker name the scheduler already has
      75  no scheduler answered within --death-timeout, or it went away:
          a supervisor may start this again later
      1   the workers failed otherwise (their log is above)

    \b
    Example, with a scheduler started by `dask scheduler --port 8786` on host-a:
      runner worker tcp://host-a:8786 --per-device 2
    """
    from runner.cli.common import domain_errors
    from runner.execution.dask_executor import START_SECONDS, check_address
    from runner.execution.host import host_slots, supervise, worker_commands

    with domain_errors():
        address = check_address(address)
    slots = host_slots(per_device, cpu_slots)
    if not slots:
        raise click.UsageError("no slot to start: give --cpu-slots N on a host without GPUs")
    commands = worker_commands(address, slots, name, death_timeout)
    names = [command[command.index("--name") + 1] for command in commands]
    check_names(address, names, scheduler_names(address, death_timeout or START_SECONDS))  # before any starts
    if not supervise(address, commands, slots, lambda text: click.echo(text, err=True)):
        ended(address, names)


def scheduler_names(address: str, wait_seconds: float) -> set[str]:
    """The names of the workers the scheduler at ``address`` has; if none answers within ``wait_seconds``, one
    line and exit UNREACHABLE_EXIT."""
    from runner.errors import SchedulerUnreachable
    from runner.execution.dask_executor import scheduler_identity

    try:
        try:
            identity = scheduler_identity(address, min(FIRST_LOOK_SECONDS, wait_seconds))
        except SchedulerUnreachable:
            if wait_seconds <= FIRST_LOOK_SECONDS:
                raise
            click.echo(f"waiting up to {wait_seconds:g} s for a Dask scheduler at {address}", err=True)
            identity = scheduler_identity(address, wait_seconds)
    except SchedulerUnreachable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(UNREACHABLE_EXIT)
    return {str(info.get("name")) for info in identity.get("workers", {}).values()}


def check_names(address: str, names: list[str], taken: set[str]) -> None:
    """Dask refuses a second worker of the same name (with a traceback): refused here in one line, exit 2."""
    clash = sorted(set(names) & taken)
    if clash:
        raise click.UsageError(f"the Dask scheduler at {address} already has a worker named {clash[0]}; give this "
                               "host's workers their own names with --name NAME")


def ended(address: str, names: list[str]) -> None:
    """The workers exited on their own: say why in one line, and exit with the status that says it."""
    from runner.errors import SchedulerUnreachable
    from runner.execution.dask_executor import scheduler_identity, start_hint

    try:
        identity = scheduler_identity(address, AFTER_EXIT_SECONDS)
    except SchedulerUnreachable:
        click.echo(f"Error: the Dask scheduler at {address} went away, and its workers with it; start it again "
                   f"({start_hint(address)}), then: runner worker {address}", err=True)
        sys.exit(UNREACHABLE_EXIT)
    check_names(address, names, {str(w.get("name")) for w in identity.get("workers", {}).values()})  # taken meanwhile
    click.echo(f"Error: the Dask workers for {address} exited; their log above says why", err=True)
    sys.exit(1)


