"""What each SLURM job asks for (--partition, --account, --walltime, --gpus-per-job, --cpu-slots): plain values,
checked as the command line is read, apart from ``slurm_executor`` so that neither the CLI nor ``PoolOptions``
imports dask-jobqueue to hold them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.errors import OptionError
from runner.execution.slots import cpu_slots

__all__ = ["SlurmJobs", "check_walltime", "SLURM_OPTIONS"]

# SLURM's time formats: MINUTES[:SECONDS], HOURS:MINUTES:SECONDS, DAYS-HOURS[:MINUTES[:SECONDS]]
WALLTIME = re.compile(r"\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}")
SLURM_OPTIONS = ("partition", "account", "walltime", "gpus_per_job", "cpu_slots")  # the command line's names


@dataclass(frozen=True)
class SlurmJobs:
    """What each SLURM job asks for and starts (--partition, --account, --walltime, --gpus-per-job, --cpu-slots)."""

    partition: str | None = None
    account: str | None = None
    walltime: str | None = None  # SLURM's time format; None: the partition's default
    gpus: int = 0
    cpu_slots: int | None = None  # None: 0 beside GPUs, 1 without (runner.execution.slots.cpu_slots)

    def slots(self, per_device: int) -> int:
        return self.gpus * per_device + cpu_slots(self.gpus, self.cpu_slots)

    def args(self) -> list[str]:
        """These settings as ``runner run`` / ``runner resume`` options."""
        given = {"--partition": self.partition, "--account": self.account, "--walltime": self.walltime,
                 "--gpus-per-job": self.gpus or None, "--cpu-slots": self.cpu_slots}
        return [part for option, value in given.items() if value is not None for part in (option, str(value))]


def check_walltime(text: str) -> str:
    if not WALLTIME.fullmatch(text):
        raise OptionError(f"must be SLURM's time limit, MINUTES, HOURS:MINUTES:SECONDS or DAYS-HOURS[:MINUTES], "
                          f"e.g. 2:00:00 or 1-12 (not {text!r})")
    return text
