"""How long `runner report` takes to build, how big the file is, and how long Chromium takes to draw it.

    python benchmarks/report_build.py [--sizes 10x500 100x10000 1000x10000 10x1000000] [--repeat 3]
                                      [--keep DIR] [--code DIR] [--no-browser]

The runs are written straight through ``Store.append_steps`` into a fresh
SQLite file (five seeds of each configuration, so seed groups form; with
--keep, a database of that size already in DIR is reused); then the report
is built exactly as ``runner report`` builds it: gather (with the figures'
budget of points, where the code knows one: a long run's steps read in
part), figures, and the page with plotly.js embedded. The best of
``--repeat`` builds is reported, with the time of each stage, then the
wall-clock time of the command itself (``python -m runner report``: Python's
start-up and imports included), the file's size, and the page in headless
Chromium (if installed): seconds from navigation until every figure is drawn,
then the milliseconds a zoom of the loss figure (Plotly.relayout) and a
legend click (showing one run's line, Plotly.restyle) take.

``--code DIR`` benchmarks the runner checked out in DIR (a git worktree of
an older commit, say) with this script, so that before and after are
measured alike, on the same machine, in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.report.cdp import Browser, find_chromium  # noqa: E402

MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")
OPTIMIZERS = ("gd", "sgd", "adam")
SWIFTSHADER = ("--use-angle=swiftshader", "--enable-unsafe-swiftshader")  # WebGL without a GPU


def synthesize(store, n_runs: int, n_steps: int) -> None:
    from runner.config import RunConfig

    rng = np.random.default_rng(0)
    steps = np.arange(n_steps)
    for i in range(n_runs):
        config_index, seed = divmod(i, 5)
        config = RunConfig(
            model=MODELS[config_index % len(MODELS)], optimizer=OPTIMIZERS[config_index % len(OPTIMIZERS)],
            dataset="random", lr=10.0 ** -(2 + config_index % 4), steps=n_steps, seed=seed,
            model_params={"hidden": 100 + config_index}, optimizer_options={}, dataset_params={"batch": 64},
        )
        run_id = store.create_run(config, "cpu")
        rate = 3 + config_index % 5
        loss = 100 * np.exp(-rate * steps / n_steps) * (1 + 0.2 * rng.standard_normal(n_steps)) ** 2 + 0.01
        elapsed = (steps + 1) * 0.002 * (1 + 0.1 * rng.random())
        for lo in range(0, n_steps, 200_000):  # a million steps in one call would hold them all as tuples
            hi = min(lo + 200_000, n_steps)
            store.append_steps(run_id, list(zip(steps[lo:hi].tolist(), loss[lo:hi].tolist(), elapsed[lo:hi].tolist())))
        store.finish_run(run_id, "completed", float(loss[-1]), float(loss.min()))


def build(store, out: Path) -> dict[str, float]:
    from runner import report

    options = report.Options()
    budget = {"budget": options.budget} if hasattr(options, "budget") else {}  # older code reads every step
    t0 = time.perf_counter()
    data = report.gather(store, command="benchmarks/report_build.py", **budget)
    t1 = time.perf_counter()
    figs = report.figures(data, options)
    t2 = time.perf_counter()
    report.write_html(data, out, figs)
    t3 = time.perf_counter()
    return {"gather": t1 - t0, "figures": t2 - t1, "html": t3 - t2, "total": t3 - t0, "webgl": figs.webgl}


DRAWN = "document.querySelectorAll('.js-plotly-plot .main-svg').length >= Object.keys(FIGURES).length * 2"
ZOOM = """(function () {
  var gd = document.getElementById("fig-loss"), range = gd._fullLayout.xaxis.range, t = performance.now();
  return Plotly.relayout(gd, {"xaxis.range": [range[0], range[0] + (range[1] - range[0]) / 4]})
    .then(function () { return performance.now() - t; });
})()"""
LEGEND = """(function () {
  var gd = document.getElementById("fig-loss"), t = performance.now();
  var hidden = gd.data.map(function (d, i) { return d.visible === "legendonly" ? i : -1; })
    .filter(function (i) { return i >= 0; });
  var index = hidden.length ? hidden[0] : gd.data.length - 1;
  return Plotly.restyle(gd, {visible: hidden.length ? true : "legendonly"}, [index])
    .then(function () { return performance.now() - t; });
})()"""


def browse(chromium: str, page: Path, profile: Path, limit: float) -> dict[str, float]:
    """Seconds until every figure is drawn (inf: not within ``limit``); milliseconds of a zoom and of a legend click."""
    with Browser(chromium, profile, SWIFTSHADER) as browser:
        browser.ws.settimeout(limit)  # a big page keeps Chromium busy, and silent, for longer than the usual minute
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable")
        browser.call("Page.navigate", url=page.as_uri())
        deadline = time.monotonic() + limit
        while not browser.evaluate(f"typeof FIGURES !== 'undefined' && {DRAWN}"):  # the time read below is the page's
            if time.monotonic() > deadline:
                return {"render": float("inf"), "zoom": float("nan"), "legend": float("nan")}
            time.sleep(0.02)
        drawn = browser.evaluate("performance.now()") / 1000
        zoom = browser.evaluate(ZOOM)
        legend = browser.evaluate(LEGEND)
        if browser.errors():
            raise RuntimeError(f"{page}: {browser.errors()[:3]}")
    return {"render": drawn, "zoom": zoom, "legend": legend}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x500", "100x10000", "1000x10000", "10x1000000"], help="RUNSxSTEPS")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the databases and reports in this folder (and reuse its databases).")
    parser.add_argument("--code", type=Path, default=ROOT, help="Benchmark the runner checked out here.")
    parser.add_argument("--no-browser", action="store_true", help="Do not open the pages in Chromium.")
    parser.add_argument("--browser-limit", type=float, default=300, help="Give up on drawing a page after this many s.")
    args = parser.parse_args()
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    from runner.store import open_store

    chromium = None if args.no_browser else find_chromium()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"runner from {code}")
    print(f"{'size':>12}  {'steps stored':>12}  {'build s':>8}  {'gather':>7}  {'figures':>7}  {'html':>6}  "
          f"{'command s':>9}  {'file MB':>7}  webgl  {'render s':>8}  {'zoom ms':>7}  {'legend ms':>9}")
    for size in args.sizes:
        n_runs, n_steps = map(int, size.lower().split("x"))
        db = folder / f"{size}.db"
        if not (args.keep and db.exists()):
            db.unlink(missing_ok=True)
            with open_store(f"sqlite:///{db}") as store:
                synthesize(store, n_runs, n_steps)
        out = folder / f"report-{size}-{code.name}.html"
        with open_store(f"sqlite:///{db}", create=False) as store:
            best = min((build(store, out) for _ in range(args.repeat)), key=lambda t: t["total"])
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "runner", "report", "--db", f"sqlite:///{db}", "-o", str(out)],
                       check=True, cwd=code, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(code)})
        command = time.perf_counter() - start
        mb = out.stat().st_size / 1e6
        seen = None
        if chromium:
            with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
                seen = browse(chromium, out, Path(profile), args.browser_limit)
        shown = (f"{seen['render']:>8.2f}  {seen['zoom']:>7.0f}  {seen['legend']:>9.0f}" if seen
                 else f"{'-':>8}  {'-':>7}  {'-':>9}")
        print(
            f"{size:>12}  {n_runs * n_steps:>12,}  {best['total']:>8.2f}  {best['gather']:>7.2f}  "
            f"{best['figures']:>7.2f}  {best['html']:>6.2f}  {command:>9.2f}  {mb:>7.1f}  "
            f"{'yes' if best['webgl'] else 'no ':<5}  {shown}",
            flush=True,
        )
    print(f"(reports in {folder})")


if __name__ == "__main__":
    main()
