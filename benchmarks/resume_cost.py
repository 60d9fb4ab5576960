"""What resuming a run costs: `runner resume RUN` for a run one step from its end, against `runner run --steps 1`.

    python benchmarks/resume_cost.py [--model dynamic] [--repeat 5]

Each round starts a run, stops it with Ctrl-C (which keeps a checkpoint) and sets
its requested steps to one more than it did, then times, as whole processes,
``runner resume RUN`` (start-up, reading and checking the checkpoint,
restoring, one step, recording the end) and ``runner run --steps 1`` (start-up,
building, one step). Medians of ``--repeat`` rounds, in seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def interrupted_one_step_short(url: str, env: dict[str, str], model: str) -> int:
    """A run stopped by Ctrl-C (which keeps a checkpoint), its requested steps then set to one more than it did."""
    process = subprocess.Popen([sys.executable, "-m", "runner", "run", "-m", model, "--steps", "1000000", "-q",
                                "--device", "cpu"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import update

    from runner.store import open_store
    from runner.store.models import runs

    while True:
        with open_store(url) as store:
            latest = store.list_runs(limit=1)
            if latest and latest[0].status == "running" and latest[0].steps_done > 0:
                break
        time.sleep(0.05)
    process.send_signal(2)
    process.wait()
    with open_store(url) as store:
        run = store.list_runs(limit=1)[0]
        with store._transaction() as conn:  # so that the resumed run has one step left
            conn.execute(update(runs).where(runs.c.id == run.id).values(steps=run.steps_done + 1))
        return run.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="dynamic")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/resume.db"
    env = dict(os.environ, RUNNER_DB=url, PYTHONPATH=str(ROOT))
    resumes, fresh = [], []
    for _ in range(args.repeat):
        run_id = interrupted_one_step_short(url, env, args.model)
        resumes.append(timed([sys.executable, "-m", "runner", "resume", str(run_id), "-q"], env))
        fresh.append(timed([sys.executable, "-m", "runner", "run", "-m", args.model, "--steps", "1", "-q",
                            "--device", "cpu"], env))
    print(f"{args.model}: median of {args.repeat}, seconds")
    print(f"runner resume RUN (from a checkpoint)   {statistics.median(resumes):.3f}")
    print(f"runner run --steps 1 (a fresh process)  {statistics.median(fresh):.3f}")


if __name__ == "__main__":
    main()
