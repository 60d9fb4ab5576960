"""Runs per second of a sweep of one-step runs, the local pool against Dask, and the time to the first step.

    python benchmarks/sweep_throughput.py [--runs 2000] [--slots 2]

Both sides run ``runner run --model numpy --steps 1 --seed 0-(runs-1)`` (a
tiny network, so that the cost measured is the sweep's, not training's)
against a fresh PostgreSQL database: "local" with ``--jobs SLOTS``, "dask"
with ``--executor dask`` on a ``dask scheduler`` and one ``runner worker
--cpu-slots SLOTS``, all on this host (started before the clock starts).
runs/s = runs / the command's wall time, from its start to its exit, Python
start-up included; "first step" is the time from the command's start until
the database holds a run's first step. Each side then checks that every run
completed with exactly one step, claimed once (no run trained twice).
Needs PostgreSQL as benchmarks/claims.py does.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.claims import scratch_database  # noqa: E402
from runner.store import open_store  # noqa: E402

TINY = ["--set", "hidden=4", "--set", "batch=4", "--set", "d_in=5", "--set", "d_out=2", "--no-weights", "-q"]


def runner(*args: str) -> list[str]:
    return [sys.executable, "-m", "runner", *args]


def check_each_ran_once(url: str, n: int) -> None:
    """Every run completed with its one step, claimed once: none trained twice."""
    with open_store(url) as store:
        runs = store.list_runs()
        assert len(runs) == n and all(r.status == "completed" and r.attempts == 1 for r in runs), "a run went wrong"
        assert len(list(store.iter_steps())) == n, "a run trained twice"
        store.delete_runs([r.id for r in runs])


def timed(url: str, command: list[str]) -> tuple[float, float | None]:
    """(wall seconds, seconds to the first stored step) of ``command``."""
    first: list[float] = []
    done = threading.Event()
    start = time.perf_counter()

    def watch() -> None:
        with open_store(url) as store:
            while not done.is_set():
                if any(r.steps_done for r in store.list_runs(limit=50, status="completed")) or any(
                        r.steps_done for r in store.list_runs(limit=50, status="running")):
                    first.append(time.perf_counter() - start)
                    return
                time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    subprocess.run(command, check=True, env=dict(os.environ, RUNNER_DB=url), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    return wall, (first[0] if first else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_side(url: str, n: int, slots: int) -> tuple[float, float | None]:
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], stderr=subprocess.DEVNULL)
    worker = None
    try:
        time.sleep(2)
        worker = subprocess.Popen(runner("worker", address, "--cpu-slots", str(slots)), stderr=subprocess.DEVNULL)
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(slots, timeout=60)
        return timed(url, runner("run", "--model", "numpy", "--steps", "1", "--seed", f"0-{n - 1}", *TINY,
                                 "--executor", "dask", "--address", address))
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=2)
    args = parser.parse_args()
    with scratch_database("runner_sweeps") as url:
        open_store(url).close()
        local = timed(url, runner("run", "--model", "numpy", "--steps", "1", "--seed", f"0-{args.runs - 1}", *TINY,
                                  "--jobs", str(args.slots)))
        check_each_ran_once(url, args.runs)
        on_dask = dask_side(url, args.runs, args.slots)
        check_each_ran_once(url, args.runs)
        print(f"{args.runs} one-step runs, {args.slots} slots, {os.cpu_count()} CPUs, PostgreSQL")
        for label, (wall, first) in (("local", local), ("dask", on_dask)):
            print(f"{label:>6}: {args.runs / wall:7.1f} runs/s   first step after {first or float('nan'):.2f} s")


if __name__ == "__main__":
    main()
