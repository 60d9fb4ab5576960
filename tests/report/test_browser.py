"""The report in a real browser: headless Chromium opens the file from disk with no network.

It checks that every figure drew the traces it should, that no JavaScript
error was logged, that no request left the file, and that a hostile run name
stayed text. Skipped where Chromium or websocket-client is missing, except
under CI (CI set), where .ci/run installs both and a skip would hide a gap.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from runner.report import Options, figures, gather, write_html
from tests.report.cdp import Browser, ci, find_chromium, open_page, wait_drawn
from tests.report.conftest import HOSTILE, add_run, decay, evaluations, rising

pytestmark = pytest.mark.slow


def need(thing: str, why: str):
    if ci():
        pytest.fail(f"{thing} is required under CI: {why}")
    pytest.skip(f"{thing} is not available: {why}")


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        need("chromium", "install it with `apt-get install chromium` (.ci/run does)")
    if importlib.util.find_spec("websocket") is None:
        need("websocket-client", "pip install -e '.[dev]'")
    return path


COUNTS = """
JSON.stringify(Array.prototype.map.call(document.querySelectorAll(".js-plotly-plot"), function (gd) {
  return {
    id: gd.id,
    data: gd.data.length,
    drawn: gd.querySelectorAll(".scatterlayer .trace, .barlayer .trace").length,
    legend: gd.querySelectorAll(".legend .traces").length,
    gl: gd._fullData.filter(function (t) { return t.visible === true && t.type === "scattergl"; }).length,
    canvas: gd.querySelectorAll("canvas").length
  };
}))
"""

HOSTILE_CHECK = """
JSON.stringify({
  images: document.querySelectorAll("img").length,
  alerts: window.__alerts,
  cells: Array.prototype.filter.call(document.querySelectorAll("td"), function (td) {
    return td.textContent.indexOf(%(name)s) >= 0;
  }).length,
  legend: Array.prototype.filter.call(document.querySelectorAll(".legendtext"), function (t) {
    return t.textContent.indexOf(%(name)s) >= 0;
  }).length,
  title: document.title
})
""".replace("%(name)s", json.dumps(HOSTILE))


def expected_counts(figs):
    out = {}
    for name, fig in figs.items():
        visible = [t for t in fig.data if t.visible in (None, True)]
        out[f"fig-{name}"] = {
            "data": len(fig.data),
            "drawn": sum(1 for t in visible if t.type in ("scatter", "bar")),
            "legend": sum(1 for t in fig.data if t.showlegend is not False and t.type != "bar"),
            "gl": sum(1 for t in visible if t.type == "scattergl"),
        }
    return out


def test_the_report_renders_offline_with_no_errors(chromium, store, tmp_path):
    group = [add_run(store, decay(300, seed=s), seed=s) for s in range(3)]
    add_run(store, decay(300, rate=0.98), model="tensor", optimizer="adam", lr=1e-2)
    add_run(store, decay(40) + [float("nan")], model="explode", name=HOSTILE, steps=300)
    add_run(store, decay(20), model="crash", status="failed", error="RuntimeError: boom", steps=300)
    add_run(store, decay(100), model="autograd", status="lost", steps=300)
    data = gather(store)
    figs = figures(data)
    assert not figs.webgl
    path = write_html(data, tmp_path / "report.html", figs, title=HOSTILE)

    with Browser(chromium, tmp_path / "profile") as browser:
        open_page(browser, path.as_uri())
        wait_drawn(browser)
        counts = {c.pop("id"): c for c in json.loads(browser.evaluate(COUNTS))}
        for c in counts.values():
            c.pop("canvas")
        assert counts == expected_counts(figs)
        assert counts["fig-loss"]["drawn"] == 2 + 4 + 3  # the group's band and mean, four single runs, three marks

        # the group's seeds are one click away: clicking "↳ seed 1" in the legend draws that run
        before = counts["fig-loss"]["drawn"]
        browser.evaluate(
            "Array.prototype.filter.call(document.querySelectorAll('#fig-loss .legend .traces'), function (t) {"
            "  return t.textContent.indexOf('seed 1') >= 0; })[0].querySelector('.legendtoggle')"
            ".dispatchEvent(new MouseEvent('mouseup', {bubbles: true}))"
        )
        browser.wait_until(f"document.querySelectorAll('#fig-loss .scatterlayer .trace').length === {before + 1}", timeout=10)

        # the summary sorts by a column when its heading is clicked
        browser.evaluate("document.querySelectorAll('#table-summary th')[6].click()")
        finals = browser.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('#table-summary tbody tr'), function (r) {"
            " return r.cells[6].getAttribute('data-v'); })"
        )
        numbers = [float(v) for v in finals if v]
        assert numbers == sorted(numbers) and finals[-1] == ""  # the diverged run's nan sorts last

        hostile = json.loads(browser.evaluate(HOSTILE_CHECK))
        # as text in the summary, every-run and config tables, and in the legends of both line figures
        assert hostile == {"images": 0, "alerts": [], "cells": 3, "legend": 2, "title": HOSTILE}

        assert browser.errors() == []
        assert [url for url in browser.requests() if url != path.as_uri()] == []
    assert group  # the seed group exists (its traces are counted above)


def test_webgl_lines_render_when_the_threshold_is_passed(chromium, store, tmp_path):
    for s in range(2):
        add_run(store, decay(3000, rate=0.999, seed=s), seed=s, lr=10.0 ** -s)
    data = gather(store)
    figs = figures(data, Options(webgl_threshold=100, max_points=500))
    assert figs.webgl
    path = write_html(data, tmp_path / "gl.html", figs)
    with Browser(chromium, tmp_path / "profile", ("--use-angle=swiftshader", "--enable-unsafe-swiftshader")) as browser:
        open_page(browser, path.as_uri())
        wait_drawn(browser)
        counts = {c.pop("id"): c for c in json.loads(browser.evaluate(COUNTS))}
        assert counts["fig-loss"]["gl"] == 2 and counts["fig-loss"]["canvas"] > 0
        assert browser.errors() == []
        assert [url for url in browser.requests() if url != path.as_uri()] == []


def test_a_report_with_metrics_renders_each_metric_figure(chromium, store, tmp_path):
    for s in range(3):
        add_run(store, decay(300, seed=s), seed=s, metrics={
            "val_accuracy": evaluations(rising(30, seed=s), 10), "grad_norm": decay(300, rate=0.99, seed=s)})
    add_run(store, decay(300), lr=1e-2, metrics={"val_accuracy": evaluations(rising(30, end=0.99), 10)})
    add_run(store, decay(40) + [float("nan")], lr=1.0, name=HOSTILE, steps=300,
            metrics={"val_accuracy": evaluations([0.2, 0.3, 0.4, float("nan")], 10)})
    data = gather(store, metrics=["val_accuracy", "grad_norm"], best="val_accuracy")
    figs = figures(data)
    path = write_html(data, tmp_path / "metrics.html", figs)

    with Browser(chromium, tmp_path / "profile") as browser:
        open_page(browser, path.as_uri())
        wait_drawn(browser)
        counts = {c.pop("id"): c for c in json.loads(browser.evaluate(COUNTS))}
        for c in counts.values():
            c.pop("canvas")
        assert counts == expected_counts(figs)
        # the group's band and mean, the two single runs, the diverged run's mark; the group's seeds one click away
        assert counts["fig-metric-val_accuracy"]["drawn"] == 2 + 2 + 1
        assert counts["fig-metric-grad_norm"]["drawn"] == 2  # only the group's runs recorded it
        # the single run at lr=1e-2 has one seed: no interval tells it from the group, so the two are tied
        starred = browser.evaluate(
            "Array.prototype.filter.call(document.querySelectorAll('#fig-metric-val_accuracy .legendtext'),"
            " function (t) { return t.textContent.indexOf('\u2605') === 0; }).length"
        )
        assert starred == 0 and not data.best.clear
        heads = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('#table-summary th'),"
                                 " function (th) { return th.textContent; }).join('|')")
        assert "val_accuracy final|val_accuracy best ↑|grad_norm final|Steps/s" in heads  # grad_norm is tracked: no best
        assert browser.errors() == []
        assert [url for url in browser.requests() if url != path.as_uri()] == []


VISIBLE = "JSON.stringify(document.getElementById('fig-loss')._fullData.map(function (t) { return t.visible; }))"


def legend_click(label: str, clicks: int = 1) -> str:
    """JavaScript for a click (or a double-click) on the loss figure's legend entry whose text holds ``label``."""
    one = "t.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); t.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));"
    return (
        "(function () { var t = Array.prototype.filter.call(document.querySelectorAll('#fig-loss .legend .traces'),"
        f" function (e) {{ return e.textContent.indexOf({json.dumps(label)}) >= 0; }})[0].querySelector('.legendtoggle');"
        f" {one * clicks} }})()"
    )


def test_over_the_threshold_a_group_s_entry_draws_its_runs(chromium, store, tmp_path):
    for i in range(9):  # three seed groups of three: over a threshold of 4 runs in groups
        add_run(store, decay(20, seed=i), seed=i % 3, hidden=100 + i // 3)
    data = gather(store)
    figs = figures(data, Options(members_in_legend=4))
    path = write_html(data, tmp_path / "many.html", figs)
    runs = {key: [i for i, t in enumerate(figs.loss.data) if t.meta.get("member") == key] for key in ("g1", "g2", "g3")}
    with Browser(chromium, tmp_path / "profile") as browser:
        open_page(browser, path.as_uri())
        wait_drawn(browser)
        assert browser.evaluate("document.querySelectorAll('#fig-loss .legend .traces').length") == 3
        before = browser.evaluate(VISIBLE)
        shown = json.loads(before)
        assert [i for i, v in enumerate(shown) if v is True] == [i for i, t in enumerate(figs.loss.data) if "group" in t.meta]
        assert browser.evaluate("document.querySelectorAll('#fig-loss .scatterlayer .trace').length") == 2 * 3

        browser.evaluate(legend_click("hidden=101"))  # g2's runs are drawn; its band and mean stay
        browser.wait_until(f"{VISIBLE} !== {json.dumps(before)}", timeout=10)
        after = json.loads(browser.evaluate(VISIBLE))
        assert [i for i, v in enumerate(after) if v is True and i not in runs["g2"]] == [i for i, v in enumerate(shown) if v is True]
        assert all(after[i] is True for i in runs["g2"]) and all(after[i] is False for i in runs["g1"] + runs["g3"])
        browser.wait_until("document.querySelectorAll('#fig-loss .scatterlayer .trace').length === 2 * 3 + 3", timeout=10)

        # a double-click shows only that group (and its runs drawn), not its runs toggled twice; again: all back
        browser.evaluate(legend_click("hidden=101", clicks=2))
        browser.wait_until("document.querySelectorAll('#fig-loss .scatterlayer .trace').length === 2 + 3", timeout=10)
        browser.evaluate(legend_click("hidden=101", clicks=2))
        browser.wait_until("document.querySelectorAll('#fig-loss .scatterlayer .trace').length === 2 * 3 + 3", timeout=10)
        assert json.loads(browser.evaluate(VISIBLE)) == after

        browser.evaluate(legend_click("hidden=101"))  # and a click hides them again
        browser.wait_until(f"{VISIBLE} === {json.dumps(before)}", timeout=10)
        assert browser.errors() == []


WIDTHS = """
JSON.stringify({
  page: document.documentElement.scrollWidth,
  summary: [document.getElementById("table-summary").scrollWidth, document.getElementById("table-summary").parentElement.clientWidth],
  stars: document.body.innerText.split("\u2605").length - 1,
  axis: document.getElementById("fig-metric-val_accuracy")._fullLayout.yaxis.type,
  tied: document.querySelectorAll("p.best-line.tied").length,
  bold: document.querySelectorAll("p.best-line b").length
})
"""


def test_a_digits_like_sweep_fits_a_1400_px_window(chromium, store, tmp_path):
    """Six groups of five seeds with three optimizers' options and three metrics, as a digits sweep reports them:
    the summary fits the window (Chromium's is 1,400 px wide), accuracy is on a linear axis, and the two
    configurations that the data cannot tell apart are tied, with no star and no winner in bold."""
    options = {"adam": {"amsgrad": False, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0},
               "rmsprop": {"alpha": 0.99, "centered": False, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0},
               "sgd": {"dampening": 0.0, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}}
    top = {"adam": 0.977, "rmsprop": 0.978, "sgd": 0.25}
    for optimizer, opts in options.items():
        for lr in (0.001, 0.003):
            for seed in range(5):
                shift = len(optimizer)  # each optimizer's seeds vary their own way
                end = top[optimizer] - (0.02 if lr == 0.001 else 0.0) + 0.004 * ((seed * 7 + shift) % 5 - 2) / 2
                add_run(store, decay(300, seed=seed), model="digits_mlp", optimizer=optimizer, lr=lr, seed=seed,
                        optimizer_options=opts, metrics={
                            "val_accuracy": evaluations([0.3, 0.8, end], 100), "accuracy": rising(300, end=end, seed=seed),
                            "lr": [lr] * 300})
    data = gather(store, metrics=["val_accuracy", "accuracy", "lr"], best="val_accuracy")
    assert [g.label for g in data.groups][:2] == ["digits_mlp · adam · lr=0.001", "digits_mlp · adam · lr=0.003"]
    path = write_html(data, tmp_path / "digits.html")
    with Browser(chromium, tmp_path / "profile") as browser:
        open_page(browser, path.as_uri())
        wait_drawn(browser)
        widths = json.loads(browser.evaluate(WIDTHS))
        assert widths["page"] <= 1400 and widths["summary"][0] <= widths["summary"][1], widths
        assert widths == {**widths, "stars": 0, "axis": "linear", "tied": 1, "bold": 0}
        assert browser.errors() == []
