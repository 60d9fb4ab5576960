"""What `runner watch` costs a running sweep: steps per second with no watch, and with a watch and a page open.

    python benchmarks/watch_cost.py [--runs 4] [--steps 50000] [--jobs 2] [--repeat 3] [--db URL] [--interval 1]

Each round trains the same sweep (``runner run --model numpy`` over
``--runs`` seeds, ``--jobs`` workers) into a fresh database, once alone and
once with ``runner watch`` serving it and a page polling it as the real page
does (every ``--interval`` seconds, ``/feed?seq=&snap=``, applying what it
gets; the browser's own drawing is left out, it is the browser's cost, not
the database's). The speed is each run's stored steps over its training
time, averaged over the runs; the best of ``--repeat`` rounds is reported,
and the share of one core that the watch used once it served (its start-up,
importing plotly and drawing the first page, comes on top).
With ``--db postgresql://...`` each round empties that database first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.store import open_store  # noqa: E402

DATA = ["--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3"]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "runner", *args]


def environment(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["RUNNER_DB"] = url
    return env


def empty(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()


class Page(threading.Thread):
    """Polls the watch's feed as the page does, counting the answers and the bytes."""

    def __init__(self, url: str, interval: float):
        super().__init__(daemon=True)
        self.url, self.interval = url, interval
        self.polls = self.bytes = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        seq = snap = -1
        while not self.stopped.is_set():
            with urllib.request.urlopen(f"{self.url}feed?seq={seq}&snap={snap}", timeout=30) as response:
                body = response.read()
            answer = json.loads(body)
            if answer["snapshot"] is not None:
                seq = snap = answer["snapshot"]["seq"]
            for delta in answer["deltas"]:
                seq = max(seq, delta["seq"])
            self.polls, self.bytes = self.polls + 1, self.bytes + len(body)
            self.stopped.wait(self.interval)


def one_round(url: str, args: argparse.Namespace, watched: bool) -> dict[str, float]:
    empty(url)
    env = environment(url)
    sweep = subprocess.Popen(
        command("run", "--model", "numpy", "--steps", str(args.steps), "--seed", f"0-{args.runs - 1}", *DATA,
                "--sweep", "bench", "-j", str(args.jobs), "-q"),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    watch = page = None
    try:
        if watched:
            while True:  # the sweep's runs are queued as it starts
                with open_store(url, create=False) as store:
                    if store.list_runs(sweep="bench"):
                        break
                time.sleep(0.05)
            watch = subprocess.Popen(command("watch", "bench", "--interval", str(args.interval)), env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = watch.stdout.readline() if watch.stdout else ""
            started, serving = cpu_seconds(watch.pid), time.monotonic()  # its start-up: imports, first read, drawing
            page = Page(line.split()[1], args.interval)
            page.start()
        _, err = sweep.communicate()
        if sweep.returncode != 0:
            raise SystemExit(f"the sweep failed ({sweep.returncode}): {err}")
    finally:
        if page is not None:
            page.stopped.set()
        steady = (cpu_seconds(watch.pid) - started) / (time.monotonic() - serving) if watch is not None else 0.0
        if watch is not None:
            watch.terminate()
            watch.wait()
    with open_store(url, create=False) as store:
        speeds = [store.loss_summary(r.id).steps_per_second or 0.0 for r in store.list_runs(sweep="bench")]
    return {"speed": statistics.mean(speeds), "polls": page.polls if page else 0,
            "kb": page.bytes / 1e3 if page else 0, "steady": steady}


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (user and system; Linux's /proc), 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--db", help="a PostgreSQL URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(args.repeat):
            for watched in (False, True):  # alternated, so that a slow minute hits both
                results[watched].append(one_round(url, args, watched))
    alone = max(r["speed"] for r in results[False])
    best = max(results[True], key=lambda r: r["speed"])
    print(f"{args.runs} runs x {args.steps} steps, {args.jobs} workers, {'PostgreSQL' if args.db else 'SQLite'}, "
          f"page polling every {args.interval:g} s; best of {args.repeat}")
    print(f"{'':24}{'steps/s per run':>16}")
    print(f"{'no watch':24}{alone:>16,.0f}")
    print(f"{'watch + a page open':24}{best['speed']:>16,.0f}   ({best['speed'] / alone - 1:+.1%}; "
          f"{best['polls']:.0f} polls, {best['kb']:,.0f} kB to the page)")
    print(f"the watch, once serving, used {best['steady']:.1%} of one core")


if __name__ == "__main__":
    main()
