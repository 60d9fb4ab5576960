"""The live page in a real browser, against a real sweep: `runner run --sweep` and `runner watch` as processes,
headless Chromium reading the page through the DevTools protocol (tests/report/cdp.py).

Skipped where Chromium or websocket-client is missing, except under CI.
"""

from __future__ import annotations

import json
import os
import threading

import pytest

from runner.report import Options
from runner.report.data import Selection
from runner.store import open_store
from runner.watch.feed import Feed
from runner.watch.live import Settings, Watch
from runner.watch.server import WatchServer
from tests.report.cdp import Browser, open_page, wait_drawn
from tests.report.test_browser import chromium, legend_click  # noqa: F401 (a fixture)
from tests.watch.conftest import LOOPBACK, config, start_sweep, start_watch, steps, wait_for

pytestmark = pytest.mark.slow

LINE = """(function (id) {  // the points drawn of run `id`'s loss line (Plotly's decoded copy of its data)
  var gd = document.getElementById("fig-loss");
  var line = gd._fullData.filter(function (t) { return t.meta && t.meta.run === id && t.meta.status === undefined; })[0];
  return line ? line.x.length : -1;
})(%d)"""

STATUS = """(function (label) {
  var cell = document.querySelector('#table-summary td[data-t="' + label + '"]');
  return cell ? cell.parentNode.querySelector("td[data-s]").getAttribute("data-s") : null;
})(%s)"""


def test_the_page_follows_a_running_sweep_without_reloading(chromium, db_url, processes, tmp_path):  # noqa: F811
    # three runs one after the other, about 3 s of training each; the page follows the last one
    processes.append(start_sweep(db_url, "s", "--steps", "250", "--set", "delay=0.012", "--lr", "1e-3,2e-3,3e-3"))
    with open_store(db_url) as store:
        ids = wait_for(lambda: sorted(r.id for r in store.list_runs(sweep="s")), what="the sweep's runs")
    watch, url = start_watch(db_url, "s", "--interval", "0.3")
    processes.append(watch)
    assert url.startswith("http://127.0.0.1:")
    last = json.dumps(f"#{ids[-1]}")

    with Browser(chromium, tmp_path / "profile", LOOPBACK) as browser:
        open_page(browser, url)
        browser.evaluate("window.__loaded = 'once'")  # gone if the page reloads
        browser.wait_until("window.WATCH_STATE && WATCH_STATE.polls > 0", timeout=30)
        assert browser.evaluate(STATUS % last) in ("queued", "running")
        browser.wait_until(STATUS % last + " === 'running'", timeout=60)
        drawn = browser.wait_until(f"{LINE % ids[-1]} > 0 && {LINE % ids[-1]}", timeout=30)
        # the user zooms in on the first steps
        browser.evaluate('Plotly.relayout("fig-loss", {"xaxis.range": [0, 40]}).then(function () { return true; })')

        # new steps are appended to the line ...
        grown = browser.wait_until(f"{LINE % ids[-1]} > {drawn} && {LINE % ids[-1]}", timeout=30)
        assert grown > drawn
        # ... and when the run ends its row says so
        browser.wait_until(STATUS % last + " === 'completed'", timeout=60)
        state = json.loads(browser.evaluate("JSON.stringify(WATCH_STATE)"))
        assert state["deltas"] > 0 and state["snapshots"] > 0 and state["error"] is None
        # the page was updated in place: never reloaded, and the zoom outlived every redraw
        assert browser.evaluate("window.__loaded") == "once"
        assert browser.evaluate('document.getElementById("fig-loss").layout.xaxis.range') == [0, 40]
        assert browser.evaluate("document.getElementById('watch-bar').getAttribute('data-state')") == "live"

        # the database goes away: the page says so, keeps what it drew, and goes on when it is back
        assert processes[0].wait(timeout=30) == 0  # the sweep has ended: nothing writes any more
        path = db_url.removeprefix("sqlite:///")
        os.rename(path, path + ".aside")
        bar = "document.getElementById('watch-bar')"
        browser.wait_until(f"{bar}.getAttribute('data-state') === 'db-error'", timeout=30)
        assert "is gone" in browser.evaluate(f"{bar}.textContent") and browser.evaluate(LINE % ids[-1]) > 0
        os.rename(path + ".aside", path)
        browser.wait_until(f"{bar}.getAttribute('data-state') === 'live'", timeout=30)
        assert browser.evaluate("window.__loaded") == "once"
        assert browser.errors() == []
        assert [u for u in browser.requests() if not u.startswith(url)] == []  # plotly.js is in the page


RUN_STATUS = """(function (id) {  // the status of run `id` in the table of every run (a group's run has no summary row)
  var row = Array.prototype.filter.call(document.querySelectorAll("#table-runs tbody tr"), function (r) {
    return r.cells[0].textContent === String(id);
  })[0];
  return row ? row.querySelector("td[data-s]").getAttribute("data-s") : null;
})(%d)"""

MEMBERS = """(function (group) {  // whether each run of seed group `group` is drawn in the loss figure, by run id
  var out = {};
  document.getElementById("fig-loss").data.forEach(function (t) {  // as given: Plotly keeps no meta of a hidden trace
    if (t.meta && t.meta.member === group && t.meta.status === undefined) { out[t.meta.run] = t.visible === true; }
  });
  return JSON.stringify(out);
})(%s)"""


def test_a_group_s_runs_shown_by_a_click_grow_and_stay_shown_through_redraws(chromium, store, db_url, tmp_path):  # noqa: F811
    # two seed groups of two runs, over a threshold of 3: each group's runs are drawn only when its entry is clicked
    runs = [store.create_run(config(seed=s, lr=lr), "cpu", sweep="s") for lr in (1e-3, 1e-2) for s in range(2)]
    for run in runs:
        store.append_steps(run, steps(0, 9))
    feed = Feed(Selection(sweep="s"))
    feed.poll(store)
    watch = Watch(store, db_url, feed, Settings(interval=0.2, refresh=3600, options=Options(members_in_legend=3)))
    server = WatchServer(("127.0.0.1", 0), watch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.start()
    try:
        with Browser(chromium, tmp_path / "profile", LOOPBACK) as browser:
            open_page(browser, server.url)
            wait_drawn(browser)
            browser.wait_until("window.WATCH_STATE && WATCH_STATE.polls > 0", timeout=30)
            g1 = json.dumps("g1")
            assert json.loads(browser.evaluate(MEMBERS % g1)) == {str(runs[0]): False, str(runs[1]): False}
            browser.evaluate(legend_click("lr=0.001"))
            shown = json.dumps({str(runs[0]): True, str(runs[1]): True}, separators=(",", ":"))
            browser.wait_until(f"{MEMBERS % g1} === {json.dumps(shown)}", timeout=10)
            assert browser.evaluate(LINE % runs[0]) == 10

            snapshots = browser.evaluate("WATCH_STATE.snapshots")
            store.append_steps(runs[0], steps(10, 29))  # new steps: appended to the run's line as it is drawn
            browser.wait_until(f"{LINE % runs[0]} === 30", timeout=30)
            assert browser.evaluate("WATCH_STATE.deltas") > 0 and browser.evaluate("WATCH_STATE.snapshots") == snapshots
            store.finish_run(runs[1], "completed", final_loss=1.0, best_loss=1.0)  # a redraw of every figure
            browser.wait_until(f"WATCH_STATE.snapshots > {snapshots}", timeout=30)
            browser.wait_until(RUN_STATUS % runs[1] + " === 'completed'", timeout=30)
            # the runs the click drew are still drawn after the redraw; the other group's still are not
            assert json.loads(browser.evaluate(MEMBERS % g1)) == {str(runs[0]): True, str(runs[1]): True}
            assert json.loads(browser.evaluate(MEMBERS % json.dumps("g2"))) == {str(runs[2]): False, str(runs[3]): False}
            assert browser.evaluate(LINE % runs[0]) == 30
            assert browser.errors() == []
    finally:
        server.shutdown()
        server.server_close()
