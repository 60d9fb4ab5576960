"""runner worker: this host's device slots as Dask workers of a scheduler (``--executor dask`` sweeps run on them; each
SLURM job of ``--executor slurm`` runs it too)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import click

from runner.cli.params import JOBS, SECONDS

if TYPE_CHECKING:
    from runner.scheduler import Slot


@click.command()
@click.argument("address", metavar="SCHEDULER_ADDRESS")
@click.option("--per-device", type=JOBS, default=1, show_default=True, help="Workers per GPU.")
@click.option("--cpu-slots", type=click.IntRange(0, 1024), metavar="N",
              help="Workers on the CPU, splitting its cores.  [default: 0 beside GPUs, else 1]")
@click.option("--name", metavar="NAME", help="Name the Dask workers NAME-0, NAME-1, ...  [default: HOST-I-DEVICE]")
@click.option("--death-timeout", type=SECONDS, metavar="SECONDS",
              help="Stop once the scheduler has been unreachable this long.  [default: never]")
def worker(address, per_device, cpu_slots, name, death_timeout):
    """Start one Dask worker (with its nanny, which restarts it if it dies) per device slot of this host,
    each with its own CUDA_VISIBLE_DEVICES, its share of the CPU threads and the Dask resources
    {"GPU": 1, "cuda:I": 1} or {"CPU": 1}; Ctrl-C stops them.

    \b
    Example, with a scheduler started by `dask scheduler` on host-a:
      runner worker tcp://host-a:8786 --per-device 2
    """
    from runner.cli.common import domain_errors
    from runner.dask_executor import check_installed, slot_environment
    from runner.scheduler import cpu_slots as cpu_slot_count
    from runner.scheduler import plan_slots

    with domain_errors():
        check_installed()
    gpus = gpu_count()
    cpu = cpu_slot_count(gpus, cpu_slots)
    requested = {"auto", "cpu"} if cpu else {"auto"}
    slots = plan_slots(gpus * per_device + cpu, per_device, gpus, usable_cores(), requested)
    if not slots:
        raise click.UsageError("no slot to start: give --cpu-slots N on a host without GPUs")
    children = [subprocess.Popen(command, env=slot_environment(slot), start_new_session=True)
                for command, slot in zip(worker_commands(address, slots, name, death_timeout), slots)]
    click.echo(f"{len(children)} Dask worker{'s' if len(children) != 1 else ''} for {address}: "
               + ", ".join(s.device for s in slots), err=True)
    stop = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.append(signum))
    try:
        while not stop and any(c.poll() is None for c in children):
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # the nanny closes its worker, whose runs end as a kill would
        for child in children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
    sys.exit(0 if stop else 1)


def worker_commands(address: str, slots: list[Slot], name: str | None, death_timeout: float | None) -> list[list[str]]:
    """``dask worker`` for each slot (runner.dask_executor.slot_command), named NAME-0, NAME-1, ... if asked (a
    SLURM job of --executor slurm: its workers tell which job has joined)."""
    from runner.dask_executor import slot_command

    commands = []
    for i, slot in enumerate(slots):
        command = slot_command(address, slot, i)
        if name:
            command[command.index("--name") + 1] = f"{name}-{i}"
        if death_timeout:
            command += ["--death-timeout", f"{death_timeout:g}"]
        commands.append(command)
    return commands


def usable_cores() -> int:
    """The cores this process may use: a SLURM job's CPUs, else its CPU affinity (a cgroup's cpuset), else all."""
    if os.environ.get("SLURM_CPUS_PER_TASK", "").isdigit():
        return int(os.environ["SLURM_CPUS_PER_TASK"])
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def gpu_count() -> int:
    from runner.cli.sweep import gpu_count as count

    return count()
