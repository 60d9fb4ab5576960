"""--executor slurm's start and end: the time to the first step, to the command's exit, and until its jobs are gone.

    python benchmarks/slurm_start.py [--repeat 3] [--kill]

Starts the tests' one-node SLURM cluster (tests/support/slurm.py: needs root, slurm-wlm and munge) and runs
``runner run --model numpy --steps 1 --executor slurm --jobs 1`` against a fresh SQLite file (the node is this
host): "first step" is the time from the command's start until the database holds the run's step (as in
benchmarks/sweep_throughput.py), "exit" its wall time, "jobs gone" until squeue lists none of its jobs.
With --kill, a sweep of long runs is killed (SIGKILL) once its run trains instead, and the time until its
job ends on its own is measured (its workers lose their scheduler).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sweep_throughput import TINY, runner, timed  # noqa: E402
from runner.store import open_store  # noqa: E402
from tests.support.slurm import SlurmCluster, missing  # noqa: E402


def gone_after(cluster: SlurmCluster, start: float) -> float:
    while cluster.jobs():
        time.sleep(0.05)
    return time.perf_counter() - start


def start_and_end(cluster: SlurmCluster, url: str) -> None:
    start = time.perf_counter()
    wall, first = timed(url, runner("run", "--model", "numpy", "--steps", "1", "--seed", "0", *TINY, "--executor",
                                    "slurm", "--jobs", "1"))
    print(f"first step {first:5.1f} s   exit {wall:5.1f} s   jobs gone {gone_after(cluster, start):5.1f} s", flush=True)


def killed(cluster: SlurmCluster, url: str) -> None:
    sweep = subprocess.Popen(runner("run", "--model", "numpy", "--steps", "100000", "--seed", "0", *TINY,
                                    "--executor", "slurm", "--jobs", "1"), env=dict(os.environ, RUNNER_DB=url),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open_store(url) as store:
        while not any(r.steps_done for r in store.list_runs(status="running")):
            time.sleep(0.1)
    start = time.perf_counter()
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    print(f"command killed: its job gone after {gone_after(cluster, start):5.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kill", action="store_true")
    args = parser.parse_args()
    if missing():
        sys.exit(missing())
    with tempfile.TemporaryDirectory() as tmp:
        cluster = SlurmCluster(Path(tmp))
        os.environ.update(SLURM_CONF=str(cluster.conf), PYTHONPATH=str(ROOT))  # the jobs see this runner
        os.chdir(tmp)  # where the jobs' slurm-JOBID.out go
        try:
            cluster.start()
            for i in range(args.repeat):
                (killed if args.kill else start_and_end)(cluster, f"sqlite:///{tmp}/runs-{i}.db")
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
