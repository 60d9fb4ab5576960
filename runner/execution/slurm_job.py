"""One SLURM job of ``--executor slurm``: dask-jobqueue's SLURMJob, whose script runs ``runner worker``.

Imported only by runner.execution.slurm_executor, once dask-jobqueue is known to be installed. dask-jobqueue writes
the job's ``#SBATCH`` lines and submits and cancels it; its script would run ``dask worker``, and runs
``runner worker`` instead, so that a job's workers are runner slots exactly as on a host started by hand
(its own CUDA_VISIBLE_DEVICES, its share of the job's cores, the resources {"GPU": 1, "cuda:i": 1} or
{"CPU": 1}).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

import dask
from dask_jobqueue.slurm import SLURMJob


class SlotsJob(SLURMJob):
    def __init__(self, scheduler=None, name=None, slot_args: Sequence[str] = (), **kwargs):
        super().__init__(scheduler=scheduler, name=name, **kwargs)
        python = kwargs.get("python") or dask.config.get(f"jobqueue.{self.config_name}.python") or sys.executable
        # Its workers are named NAME-JOBID-0, NAME-JOBID-1, ...: which jobs have joined (runner.execution.slurm_executor; a
        # job's NAME is used again for the job submitted in its place).
        self._command_template = " ".join([shlex.join([python, "-m", "runner", "worker", str(scheduler)]),
                                           "--name", f'{shlex.quote(str(name))}-"$SLURM_JOB_ID"', shlex.join(slot_args)])
