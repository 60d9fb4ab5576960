"""The live page in a real browser, against a real sweep: `runner run --sweep` and `runner watch` as processes,
headless Chromium reading the page through the DevTools protocol (tests/report/cdp.py).

Skipped where Chromium or websocket-client is missing, except under CI.
"""

from __future__ import annotations

import json
import os

import pytest

from runner.store import open_store
from tests.report.cdp import Browser, open_page
from tests.report.test_browser import chromium  # noqa: F401 (a fixture)
from tests.watch.conftest import LOOPBACK, start_sweep, start_watch, wait_for

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
