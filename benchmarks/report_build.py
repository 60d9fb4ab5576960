"""How long `runner report` takes to build, how big the file is, and how long Chromium takes to draw it.

    python benchmarks/report_build.py [--sizes 10x500 100x10000 1000x10000 10x1000000] [--repeat 3]
                                      [--keep DIR] [--code DIR] [--no-browser] [--metric-every 10]

The runs are written straight through ``Store.append_steps`` into a fresh
SQLite file (five seeds of each configuration, so seed groups form; each
with a metric, val_loss, every ``--metric-every`` steps; with --keep, a
database of that size already in DIR is reused); then the report is built
exactly as ``runner report`` builds it: gather (with the figures' budget of
points, where the code knows one: a long run's steps read in part),
figures, and the page with plotly.js embedded. The best of ``--repeat``
builds is reported, with the time of each stage, then the same build with
``--metric val_loss`` (its values read and drawn too), the wall-clock time
of the command itself (``python -m runner report``: Python's start-up and
imports included), the file's size, and the page in headless Chromium (if
installed; software WebGL): seconds from navigation until the first figure
(the loss) and until every figure is drawn, then the milliseconds that a
zoom of the loss figure (Plotly.relayout), showing a seed group's runs (what
a click on its legend entry does) and hiding a legend entry take.

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


def synthesize(store, n_runs: int, n_steps: int, metric_every: int) -> None:
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
            evaluated = [("val_loss", int(s), 1.1 * float(v)) for s, v in zip(steps[lo:hi], loss[lo:hi])
                         if s % metric_every == metric_every - 1]
            store.append_steps(run_id, list(zip(steps[lo:hi].tolist(), loss[lo:hi].tolist(), elapsed[lo:hi].tolist())),
                               metrics=evaluated)
        store.finish_run(run_id, "completed", float(loss[-1]), float(loss.min()))


def build(store, out: Path, metrics: tuple[str, ...] = ()) -> dict[str, float]:
    from runner import report

    options = report.Options()
    budget = {"budget": options.budget} if hasattr(options, "budget") else {}  # older code reads every step
    t0 = time.perf_counter()
    data = report.gather(store, command="benchmarks/report_build.py", metrics=metrics, **budget)
    t1 = time.perf_counter()
    figs = report.figures(data, options)
    t2 = time.perf_counter()
    report.write_html(data, out, figs)
    t3 = time.perf_counter()
    return {"gather": t1 - t0, "figures": t2 - t1, "html": t3 - t2, "total": t3 - t0, "webgl": figs.webgl}


# Before each frame the page paints, from the start: when the loss figure, then every figure, is first on screen.
FRAMES = """(function () {
  function look() {
    var svgs = document.querySelectorAll(".js-plotly-plot .main-svg").length;
    if (window.__first === undefined && document.querySelectorAll("#fig-loss .main-svg").length >= 2) {
      window.__first = performance.now();
    }
    if (typeof FIGURES !== "undefined" && svgs >= Object.keys(FIGURES).length * 2) { window.__drawn = performance.now(); }
    else { requestAnimationFrame(look); }
  }
  requestAnimationFrame(look);
})();"""
ZOOM = """(function () {
  var gd = document.getElementById("fig-loss"), range = gd._fullLayout.xaxis.range, t = performance.now();
  return Plotly.relayout(gd, {"xaxis.range": [range[0], range[0] + (range[1] - range[0]) / 4]})
    .then(function () { return performance.now() - t; });
})()"""
# A click on a seed group's legend entry: the page's showMembers (older pages: its runs' legend entries, or the
# same restyle of the traces its toggleMembers shows).
MEMBERS = """(function () {
  var gd = document.getElementById("fig-loss"), t = performance.now();
  var group = gd.data.filter(function (d) { return d.meta && d.meta.members; }).map(function (d) { return d.meta.group; })[0];
  if (group !== undefined && typeof showMembers === "function") {
    return showMembers(gd, group).then(function () { return performance.now() - t; });
  }
  var runs = gd.data.map(function (d, i) { return d.meta && d.visible !== true &&
    (group === undefined || d.meta.member === group) ? i : -1; }).filter(function (i) { return i >= 0; });
  if (group === undefined) { runs = runs.slice(0, 1); }
  return Plotly.restyle(gd, {visible: true}, runs).then(function () { return performance.now() - t; });
})()"""
HIDE = """(function () {  // what a click on a legend entry that hides it does: Plotly's restyle of its legendgroup
  var gd = document.getElementById("fig-loss"), t = performance.now();
  var first = gd._fullData.filter(function (d) { return d.showlegend; })[0];
  var same = gd._fullData.filter(function (d) { return d.legendgroup === first.legendgroup && d.visible === true; })
    .map(function (d) { return d.index; });
  return Plotly.restyle(gd, {visible: "legendonly"}, same).then(function () { return performance.now() - t; });
})()"""
UNSEEN = {"first": float("inf"), "render": float("inf"), "zoom": float("nan"), "members": float("nan"), "hide": float("nan")}


def browse(chromium: str, page: Path, profile: Path, limit: float) -> dict[str, float]:
    """Seconds until the loss figure and until every figure is drawn (inf: not within ``limit``); milliseconds of a
    zoom, of showing a seed group's runs and of hiding a legend entry."""
    with Browser(chromium, profile, SWIFTSHADER) as browser:
        browser.ws.settimeout(limit)  # a big page keeps Chromium busy, and silent, for longer than the usual minute
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable")
        browser.call("Page.addScriptToEvaluateOnNewDocument", source=FRAMES)
        browser.call("Page.navigate", url=page.as_uri())
        deadline = time.monotonic() + limit
        while browser.evaluate("window.__drawn") is None:  # the times read are the page's own
            if time.monotonic() > deadline:
                return UNSEEN
            time.sleep(0.05)
        seen = {"first": browser.evaluate("window.__first") / 1000, "render": browser.evaluate("window.__drawn") / 1000,
                "zoom": browser.evaluate(ZOOM), "members": browser.evaluate(MEMBERS), "hide": browser.evaluate(HIDE)}
        if browser.errors():
            raise RuntimeError(f"{page}: {browser.errors()[:3]}")
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x500", "100x10000", "1000x10000", "10x1000000"], help="RUNSxSTEPS")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the databases and reports in this folder (and reuse its databases).")
    parser.add_argument("--code", type=Path, default=ROOT, help="Benchmark the runner checked out here.")
    parser.add_argument("--no-browser", action="store_true", help="Do not open the pages in Chromium.")
    parser.add_argument("--browser-limit", type=float, default=300, help="Give up on drawing a page after this many s.")
    parser.add_argument("--metric-every", type=int, default=10, help="Steps between two values of the val_loss metric.")
    args = parser.parse_args()
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    from runner.store import open_store

    chromium = None if args.no_browser else find_chromium()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"runner from {code}")
    print(f"{'size':>12}  {'steps stored':>12}  {'build s':>8}  {'gather':>7}  {'figures':>7}  {'html':>6}  "
          f"{'+metric s':>9}  {'command s':>9}  {'file MB':>7}  webgl  {'first s':>7}  {'render s':>8}  "
          f"{'zoom ms':>7}  {'runs ms':>7}  {'hide ms':>7}")
    for size in args.sizes:
        n_runs, n_steps = map(int, size.lower().split("x"))
        db = folder / f"{size}-m{args.metric_every}.db"
        if not (args.keep and db.exists()):
            db.unlink(missing_ok=True)
            with open_store(f"sqlite:///{db}") as store:
                synthesize(store, n_runs, n_steps, args.metric_every)
        out = folder / f"report-{size}-{code.name}.html"
        with open_store(f"sqlite:///{db}", create=False) as store:
            best = min((build(store, out) for _ in range(args.repeat)), key=lambda t: t["total"])
            metric = min((build(store, out, ("val_loss",)) for _ in range(args.repeat)), key=lambda t: t["total"])
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "runner", "report", "--db", f"sqlite:///{db}", "-o", str(out)],
                       check=True, cwd=code, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(code)})
        command = time.perf_counter() - start
        mb = out.stat().st_size / 1e6
        seen = None
        if chromium:
            with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
                seen = browse(chromium, out, Path(profile), args.browser_limit)
        shown = (f"{seen['first']:>7.2f}  {seen['render']:>8.2f}  {seen['zoom']:>7.0f}  {seen['members']:>7.0f}  "
                 f"{seen['hide']:>7.0f}" if seen else "  ".join(f"{'-':>7}" for _ in range(5)))
        print(
            f"{size:>12}  {n_runs * n_steps:>12,}  {best['total']:>8.2f}  {best['gather']:>7.2f}  "
            f"{best['figures']:>7.2f}  {best['html']:>6.2f}  {metric['total']:>9.2f}  {command:>9.2f}  {mb:>7.1f}  "
            f"{'yes' if best['webgl'] else 'no ':<5}  {shown}",
            flush=True,
        )
    print(f"(reports in {folder})")


if __name__ == "__main__":
    main()
