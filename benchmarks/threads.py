"""Steps per second of the tutorial models at 1 and 2 CPU threads, and whether the thread count changes the losses.

    python benchmarks/threads.py [--steps 500] [--repeat 3] [--threads 1 --threads 2] [--model NAME ...]

Each run is ``runner.training.runs.start`` (the code behind ``runner run``) with ``--threads N``
(ExecOptions.threads: torch.set_num_threads, or the BLAS's limit through threadpoolctl for the
NumPy model), the runs of each model alternating between the counts so that a drift of the
machine's speed touches both; the best of ``--repeat`` is shown, with the load average before and
after (the machine is shared: a loaded one punishes more threads most). "losses" says whether
the runs at each count stored the same losses, bit for bit, and if not the largest relative
difference of the final loss.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.config import resolve  # noqa: E402
from runner.registry import load_registry  # noqa: E402
from runner.request import RunChoice  # noqa: E402
from runner.store import open_store  # noqa: E402
from runner.training.options import ExecOptions  # noqa: E402
from runner.training.runs import start  # noqa: E402
from tests.support.tutorial import SECTIONS  # noqa: E402


def timed(section: str, steps: int, threads: int, registry, store) -> tuple[float, list[float], int | None]:
    """(steps per second, the stored losses, the threads recorded) of one run at ``threads``."""
    _, optimizer, lr = SECTIONS[section]
    choice = RunChoice(section.split("-")[0], optimizer, lr, steps=steps, seed=0, device="cpu")
    finished = start(resolve(registry, choice), store, ExecOptions(threads=threads))
    assert finished.outcome.status == "completed", finished.outcome.error
    losses = [loss for _, _, loss, _ in store.iter_steps([finished.run_id])]
    return finished.outcome.steps_per_second, losses, store.get_run(finished.run_id).threads


def agreement(losses: list[list[float]]) -> str:
    """``same`` where every count stored the same losses; else the largest relative difference of the final loss."""
    if all(run == losses[0] for run in losses):
        return "same"
    finals = [run[-1] for run in losses]
    return f"differ ({max(abs(f - finals[0]) / abs(finals[0]) for f in finals):.1e})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, action="append", help="thread counts (default: 1 and 2)")
    parser.add_argument("--model", action="append", choices=sorted(SECTIONS), help="default: all")
    args = parser.parse_args()
    counts = args.threads or [1, 2]

    import torch

    registry = load_registry()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores; best of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.2f} before")
    print(f"{'model':<16}" + "".join(f"{f'{n} thread' + ('s' if n > 1 else '') + ' steps/s':>20}" for n in counts)
          + f"{'recorded':>10}  losses")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        for section in args.model or list(SECTIONS):
            rates: dict[int, float] = {n: 0.0 for n in counts}
            losses: dict[int, list[float]] = {}
            recorded: dict[int, int | None] = {}
            for _ in range(args.repeat):
                for n in counts:
                    rate, losses[n], recorded[n] = timed(section, args.steps, n, registry, store)
                    rates[n] = max(rates[n], rate)
            shown = "/".join("?" if recorded[n] is None else str(recorded[n]) for n in counts)
            print(f"{section:<16}" + "".join(f"{rates[n]:>20,.0f}" for n in counts)
                  + f"{shown:>10}  {agreement([losses[n] for n in counts])}")
        store.close()
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
