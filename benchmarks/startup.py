"""How long `runner ls` takes as a whole process, beside Python's own start-up (`python -c pass`).

    python benchmarks/startup.py [--repeat 21] [--runs 20] [--against OTHER_CHECKOUT]

Each round starts, in turn, ``python -c pass``, ``runner ls`` on an existing
database (``--runs`` runs stored), ``runner ls`` on a database file that does
not exist yet (removed before each round; created by the command), and
``runner --help``; every command is ``python -m runner`` from this checkout
(and, with ``--against``, from another checkout too, in the same rounds).
Wall-clock and CPU (user + system) seconds of each process are measured from
outside; the median over ``--repeat`` rounds is reported, with the median
per-round difference from ``python -c pass``: the time runner adds to start-up.
On a busy machine quote the differences, which cancel drift between rounds.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``command``, whose output is thrown away."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    # cwd: `python -m` puts the working directory first on the path, ahead of PYTHONPATH.
    subprocess.run(command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def environment(checkout: Path) -> dict[str, str]:
    """This process's environment, with ``checkout`` first on the path, no $RUNNER_DB, and bytecode
    cached (the uncounted first round writes it) as it is for an installed runner."""
    env = {k: v for k, v in os.environ.items() if k not in ("RUNNER_DB", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(checkout), env.get("PYTHONPATH")) if p)
    return env


FILL = r"""
import sys
from runner.config import RunConfig
from runner.store import open_store

with open_store(sys.argv[1]) as store:
    for seed in range(int(sys.argv[2])):
        config = RunConfig(model="numpy", optimizer="sgd", dataset="random", lr=1e-6, steps=100, seed=seed)
        run_id = store.create_run(config, device="cpu")
        store.append_steps(run_id, [(i, 1.0 / (i + 1), 0.001 * i) for i in range(100)])
        store.finish_run(run_id, "completed", final_loss=0.01, best_loss=0.01)
"""


def existing_database(path: Path, n_runs: int, env: dict[str, str]) -> str:
    """A database of ``n_runs`` finished runs, written by the checkout that ``env`` runs (its own schema)."""
    subprocess.run([sys.executable, "-c", FILL, str(path), str(n_runs)], env=env, cwd=tempfile.gettempdir(), check=True)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21, help="rounds (plus one not counted, first)")
    parser.add_argument("--runs", type=int, default=20, help="runs in the existing database")
    parser.add_argument("--against", type=Path, help="another checkout of runner (e.g. the previous release) to time too")
    args = parser.parse_args()

    checkouts = {"": ROOT} | ({f" [{args.against.name}]": args.against.resolve()} if args.against else {})
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.db"
        commands = {"python -c pass": ([sys.executable, "-c", "pass"], environment(ROOT))}
        for n, (label, checkout) in enumerate(checkouts.items()):
            runner, env = [sys.executable, "-m", "runner"], environment(checkout)
            existing = existing_database(Path(tmp) / f"existing-{n}.db", args.runs, env)
            commands |= {
                f"runner ls (existing database){label}": ([*runner, "ls", "--db", existing], env),
                f"runner ls (new database file){label}": ([*runner, "ls", "--db", str(fresh)], env),
                f"runner --help{label}": ([*runner, "--help"], env),
            }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_ in range(args.repeat + 1):
            for name, (command, env) in commands.items():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{fresh}{suffix}").unlink(missing_ok=True)
                measured = timed(command, env)
                if round_:  # the first round warms the file cache
                    times[name].append(measured)

    base = times["python -c pass"]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {args.repeat} rounds, seconds")
    width = max(map(len, times)) + 2
    print(f"{'command':<{width}}{'wall':>7}{'cpu':>7}{'wall - python':>15}{'cpu - python':>14}")
    for name, measured in times.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        extra_wall = statistics.median(w - bw for (w, _), (bw, _) in zip(measured, base, strict=True))
        extra_cpu = statistics.median(c - bc for (_, c), (_, bc) in zip(measured, base, strict=True))
        print(f"{name:<{width}}{wall:>7.3f}{cpu:>7.3f}{extra_wall:>15.3f}{extra_cpu:>14.3f}")


if __name__ == "__main__":
    main()
