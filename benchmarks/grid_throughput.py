"""Throughput of a grid of CPU runs with --jobs 1 against --jobs 2 (or any list of job counts).

    python benchmarks/grid_throughput.py [--model autograd] [--runs 8] [--steps 500] [--jobs 1,2]

Each setting runs the same grid (seeds 0..runs-1) as a fresh sweep through
the real `runner run` command into a temporary SQLite file. It reports the
wall time of the whole command (process start-up included) and the training
throughput: all steps over the span from the first run's start to the last
run's end, read back from the database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def training_span(db: str, sweep: str) -> float:
    from runner.store import open_store

    store = open_store(db)
    runs = store.list_runs(sweep=sweep)
    store.close()
    assert all(r.status == "completed" for r in runs), [r.status for r in runs]
    return (max(r.ended_at for r in runs) - min(r.started_at for r in runs)).total_seconds()


def run_grid(model: str, runs: int, steps: int, jobs: int, db: str) -> float:
    command = [sys.executable, "-m", "runner", "run", "--model", model, "--seed", f"0-{runs - 1}",
               "--steps", str(steps), "--device", "cpu", "--jobs", str(jobs), "--sweep", f"jobs-{jobs}", "-q", "--db", db]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="autograd")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--jobs", default="1,2")
    args = parser.parse_args()

    print(f"{args.runs} runs of {args.model} x {args.steps} steps on {os.cpu_count()} cores")
    print(f"{'jobs':>5}{'wall s':>9}{'speed-up':>10}{'training s':>12}{'steps/s':>10}{'speed-up':>10}")
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
        for jobs in (int(j) for j in args.jobs.split(",")):
            wall = run_grid(args.model, args.runs, args.steps, jobs, db)
            span = training_span(db, f"jobs-{jobs}")
            first = first or (wall, span)
            print(f"{jobs:>5}{wall:>9.1f}{first[0] / wall:>9.2f}x{span:>12.1f}"
                  f"{args.runs * args.steps / span:>10.0f}{first[1] / span:>9.2f}x")


if __name__ == "__main__":
    main()
