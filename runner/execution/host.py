"""A host's part in a Dask sweep (``runner worker``): its device slots, one ``dask worker`` per slot, and the
supervision that stops them on Ctrl-C or SIGTERM. The command line around it is runner.cli.worker."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

from runner.execution.slots import Slot, cpu_slots, plan_slots, worker_threads

__all__ = ["host_slots", "supervise", "worker_commands"]


def host_slots(per_device: int, cpu: int | None) -> list[Slot]:
    """This host's slots: ``per_device`` on each GPU, and ``cpu`` on the CPU (None: 0 beside GPUs, 1 without);
    each worker has $OMP_NUM_THREADS threads, else 1 (a run's --threads sets its own as it starts)."""
    from runner.training.devices import gpu_count

    gpus = gpu_count()
    count = cpu_slots(gpus, cpu)
    requested = {"auto", "cpu"} if count else {"auto"}
    return plan_slots(gpus * per_device + count, per_device, gpus, worker_threads(None), requested)


def supervise(address: str, commands: list[list[str]], slots: list[Slot], say: Callable[[str], None]) -> bool:
    """Run ``commands`` (one per slot) until Ctrl-C or SIGTERM (then stop them, and return True) or until they have
    all exited on their own (False)."""
    from runner.execution.dask_executor import slot_environment

    children = [subprocess.Popen(command, env=slot_environment(slot), start_new_session=True)
                for command, slot in zip(commands, slots)]
    say(f"{len(children)} Dask worker{'s' if len(children) != 1 else ''} for {address}: "
        + ", ".join(s.device for s in slots))
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
    return bool(stop)


def worker_commands(address: str, slots: list[Slot], name: str | None, death_timeout: float | None) -> list[list[str]]:
    """``dask worker`` for each slot (runner.execution.dask_executor.slot_command), named NAME-0, NAME-1, ... if asked (a
    SLURM job of --executor slurm: its workers tell which job has joined)."""
    from runner.execution.dask_executor import slot_command

    commands = []
    for i, slot in enumerate(slots):
        command = slot_command(address, slot, i)
        if name:
            command[command.index("--name") + 1] = f"{name}-{i}"
        if death_timeout:
            command += ["--death-timeout", f"{death_timeout:g}"]
        commands.append(command)
    return commands

