"""runner worker: this host's device slots as Dask workers of a scheduler (``--executor dask`` sweeps run on them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from runner.cli.params import JOBS


@click.command()
@click.argument("address", metavar="SCHEDULER_ADDRESS")
@click.option("--per-device", type=JOBS, default=1, show_default=True, help="Workers per GPU.")
@click.option("--cpu-slots", type=click.IntRange(0, 1024), metavar="N",
              help="Workers on the CPU, splitting its cores.  [default: 0 beside GPUs, else 1]")
def worker(address, per_device, cpu_slots):
    """Start one Dask worker (with its nanny, which restarts it if it dies) per device slot of this host,
    each with its own CUDA_VISIBLE_DEVICES, its share of the CPU threads and the Dask resources
    {"GPU": 1, "cuda:I": 1} or {"CPU": 1}; Ctrl-C stops them.

    \b
    Example, with a scheduler started by `dask scheduler` on host-a:
      runner worker tcp://host-a:8786 --per-device 2
    """
    from runner.cli.common import domain_errors
    from runner.dask_executor import check_installed, slot_command, slot_environment
    from runner.scheduler import plan_slots

    with domain_errors():
        check_installed()
    gpus = gpu_count()
    cpu = (0 if gpus else 1) if cpu_slots is None else cpu_slots
    requested = {"auto", "cpu"} if cpu else {"auto"}
    slots = plan_slots(gpus * per_device + cpu, per_device, gpus, os.cpu_count() or 1, requested)
    if not slots:
        raise click.UsageError("no slot to start: give --cpu-slots N on a host without GPUs")
    children = [subprocess.Popen(slot_command(address, slot, i), env=slot_environment(slot), start_new_session=True)
                for i, slot in enumerate(slots)]
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


def gpu_count() -> int:
    from runner.cli.sweep import gpu_count as count

    return count()
