"""How long `runner report` takes to build, and how big the file is: 10 runs × 500 steps and 100 × 10,000.

    python benchmarks/report_build.py [--sizes 10x500 100x10000] [--repeat 3] [--keep DIR]

The runs are written straight through ``Store.append_steps`` into a fresh
SQLite file (five seeds of each of 20 configurations, so seed groups form);
then the report is built exactly as ``runner report`` builds it: gather
(one streamed read of every step), figures (LTTB to 2,000 points per line,
WebGL above the threshold), and the page with plotly.js embedded. The best of
``--repeat`` builds is reported, with the time of each stage, and then the
wall-clock time of the command itself (``python -m runner report``: Python's
start-up and imports included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner import report  # noqa: E402
from runner.config import RunConfig  # noqa: E402
from runner.store import open_store  # noqa: E402

MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")
OPTIMIZERS = ("gd", "sgd", "adam")


def synthesize(store, n_runs: int, n_steps: int) -> None:
    rng = np.random.default_rng(0)
    steps = np.arange(n_steps)
    for i in range(n_runs):
        config_index, seed = divmod(i, 5)
        config = RunConfig(
            model=MODELS[config_index % len(MODELS)], optimizer=OPTIMIZERS[config_index % len(OPTIMIZERS)],
            dataset="random", lr=10.0 ** -(2 + config_index % 4), steps=n_steps, seed=seed,
            model_params={"hidden": 100}, optimizer_options={}, dataset_params={"batch": 64},
        )
        run_id = store.create_run(config, "cpu")
        rate = 3 + config_index % 5
        loss = 100 * np.exp(-rate * steps / n_steps) * (1 + 0.2 * rng.standard_normal(n_steps)) ** 2 + 0.01
        elapsed = (steps + 1) * 0.002 * (1 + 0.1 * rng.random())
        store.append_steps(run_id, list(zip(steps.tolist(), loss.tolist(), elapsed.tolist())))
        store.finish_run(run_id, "completed", float(loss[-1]), float(loss.min()))


def build(store, out: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    data = report.gather(store, command="benchmarks/report_build.py")
    t1 = time.perf_counter()
    figs = report.figures(data)
    t2 = time.perf_counter()
    report.write_html(data, out, figs)
    t3 = time.perf_counter()
    return {"gather": t1 - t0, "figures": t2 - t1, "html": t3 - t2, "total": t3 - t0, "webgl": figs.webgl}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x500", "100x10000"], help="RUNSxSTEPS")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the databases and reports in this folder.")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'size':>12}  {'steps stored':>12}  {'build s':>8}  {'gather':>7}  {'figures':>7}  {'html':>6}  "
          f"{'command s':>9}  {'file MB':>7}  webgl")
    for size in args.sizes:
        n_runs, n_steps = map(int, size.lower().split("x"))
        db = folder / f"{size}.db"
        db.unlink(missing_ok=True)
        store = open_store(f"sqlite:///{db}")
        try:
            synthesize(store, n_runs, n_steps)
            out = folder / f"report-{size}.html"
            best = min((build(store, out) for _ in range(args.repeat)), key=lambda t: t["total"])
        finally:
            store.close()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "runner", "report", "--db", f"sqlite:///{db}", "-o", str(out)],
                       check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
        command = time.perf_counter() - start
        mb = out.stat().st_size / 1e6
        print(
            f"{size:>12}  {n_runs * n_steps:>12,}  {best['total']:>8.2f}  {best['gather']:>7.2f}  "
            f"{best['figures']:>7.2f}  {best['html']:>6.2f}  {command:>9.2f}  {mb:>7.1f}  {'yes' if best['webgl'] else 'no'}"
        )
    print(f"(reports in {folder})")


if __name__ == "__main__":
    main()
