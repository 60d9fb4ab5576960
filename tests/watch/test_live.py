"""The watch's state and server in-process: snapshots and deltas by (seq, snap), a database that goes away and
comes back, and the HTTP endpoints."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.request

import psycopg2
import pytest
from plotly.offline import get_plotlyjs

from runner.report.data import Selection
from runner.status import RunStatus
from runner.store import open_store
from runner.watch.feed import Feed
from runner.watch.live import Settings, Watch, delta_json
from runner.watch.server import WatchServer, page
from tests.conftest import PG
from tests.watch.conftest import config, steps


def make_watch(url: str, **settings) -> Watch:
    store = open_store(url, create=False)
    feed = Feed(Selection(sweep="s"))
    feed.poll(store)
    watch = Watch(store, url, feed, Settings(interval=0.01, **settings))
    watch.rebuild()
    return watch


def ask(watch: Watch, seq: int, snap: int) -> dict:
    return json.loads(watch.answer(seq, snap))


def test_a_page_gets_the_snapshot_then_only_the_deltas_after_its_seq(any_store, any_url):
    run = any_store.create_run(config(), "cpu", sweep="s")
    any_store.append_steps(run, steps(0, 4))
    watch = make_watch(any_url, refresh=3600)
    try:
        first = ask(watch, -1, -1)
        assert first["snapshot"] is not None and first["error"] is None and first["statuses"] == {str(run): "running"}
        loss = first["snapshot"]["figures"]["loss"]
        assert [t["meta"] for t in loss["data"]] == [{"run": run}, {"run": run, "status": "running"}] and loss["layout"]["uirevision"] == "runner-watch"
        seq, snap = first["seq"], first["snap"]
        assert ask(watch, seq, snap) == {**first, "snapshot": None, "deltas": []}

        any_store.append_steps(run, steps(5, 7))
        watch.tick()
        answer = ask(watch, seq, snap)
        assert answer["snapshot"] is None and answer["seq"] == seq + 1  # steps only: no redraw, a delta
        (delta,) = answer["deltas"]
        assert delta["runs"][str(run)]["step"] == [5, 6, 7] and delta["runs"][str(run)]["loss"][0] == 10 / 6
        assert ask(watch, seq + 1, snap)["deltas"] == []

        any_store.append_steps(run, [(8, float("nan"), 0.09)])
        any_store.finish_run(run, RunStatus.DIVERGED, final_loss=float("nan"), best_loss=10 / 8)
        deadline = time.monotonic() + 10
        while watch.snapshot is not None and watch.snapshot.seq == snap and time.monotonic() < deadline:
            watch.tick()  # the run ended: a redraw comes once the last one is old enough
            time.sleep(0.05)
        answer = ask(watch, seq + 1, snap)
        assert answer["statuses"] == {str(run): "diverged"} and answer["snapshot"] is not None
        assert "status-diverged" in answer["snapshot"]["sections"]["summary"]
        assert all(d["seq"] > answer["snapshot"]["seq"] for d in answer["deltas"])
        assert json.loads(delta_of(watch, seq + 2))["runs"][str(run)]["loss"] == [None]  # NaN travels as null
    finally:
        watch.stores.close()


def delta_of(watch: Watch, seq: int) -> str:
    return next(text for n, text in watch.deltas if n == seq)


def test_a_sqlite_file_moved_away_is_shown_and_the_watch_recovers_when_it_returns(store, db_url, tmp_path):
    run = store.create_run(config(), "cpu", sweep="s")
    store.append_steps(run, steps(0, 4))
    watch = make_watch(db_url)
    path, aside = tmp_path / "experiments.db", tmp_path / "aside.db"
    try:
        os.rename(path, aside)
        assert watch.tick() is None
        gone = ask(watch, 0, 0)
        assert "is gone" in gone["error"] and str(path) in gone["error"] and gone["error_since"]
        os.rename(aside, path)
        store.append_steps(run, steps(5, 6))
        update = watch.tick()
        assert update is not None and update.steps[run]["step"].tolist() == [5, 6]
        assert ask(watch, 0, 0)["error"] is None
    finally:
        watch.stores.close()
    assert [s[1] for s in store.iter_steps([run])] == list(range(7))  # the watch changed nothing stored


@pytest.mark.postgres
def test_a_postgresql_database_refusing_connections_is_shown_and_the_watch_recovers(pg_url):
    with open_store(pg_url) as store:
        run = store.create_run(config(), "cpu", sweep="s")
        store.append_steps(run, steps(0, 4))
    watch = make_watch(pg_url)
    name = pg_url.rsplit("/", 1)[1]
    admin = psycopg2.connect(dbname="test", connect_timeout=3, **PG)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        assert watch.tick() is None
        assert ask(watch, 0, 0)["error"]
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        with open_store(pg_url) as store:
            store.append_steps(run, steps(5, 6))
        update = watch.tick()
        assert update is not None and update.steps[run]["step"].tolist() == [5, 6]
        assert ask(watch, 0, 0)["error"] is None
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        watch.stores.close()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_the_server_serves_the_page_and_the_feed(store, db_url):
    run = store.create_run(config(name="<b>x</b>"), "cpu", sweep="s")
    store.append_steps(run, steps(0, 4))
    server = WatchServer(("127.0.0.1", 0), make_watch(db_url))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        status, kind, page = get(server.url)
        assert status == 200 and kind == "text/html; charset=utf-8"
        assert "var WATCH = {" in page and 'id="watch-bar"' in page and "Plotly.extendTraces" in page
        assert "<script src=" not in page and "<b>x</b>" not in page  # plotly.js inside; a run's name as text
        status, kind, body = get(server.url + "feed?seq=0&snap=0")
        assert status == 200 and kind == "application/json" and json.loads(body)["statuses"] == {str(run): "running"}
        assert get(server.url + "feed?seq=x")[0] == 400
        assert get(server.url + "nothing")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_the_watch_page_shows_hostile_names_and_settings_only_as_text(store, db_url):
    sweep = '</script><script>alert(1)</script>"onmouseover='
    hostile = {"name": "<script>alert(2)</script>", "model_params": {'"onmouseover=x': "</script><b>v</b>"}}
    for seed in (0, 1):
        run = store.create_run(config(seed=seed, **hostile), "cpu", sweep=sweep)
        store.append_steps(run, steps(0, 4))
    feed = Feed(Selection(sweep=sweep))
    feed.poll(store)
    watch = Watch(store, db_url, feed, Settings(interval=0.01, title="<i>t</i>"))
    html = page(watch).replace(get_plotlyjs(), "/* plotly.js */")
    outside = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1", html, flags=re.DOTALL)
    assert html.count("<script") == html.count("</script>") == 4  # config, plotly.js, figures, WATCH
    for raw in ("<script>alert", "</script><", '"onmouseover', "<b>v", "<i>t"):
        assert raw not in outside, raw
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in outside and "&lt;/script&gt;&lt;b&gt;v&lt;/b&gt;" in outside
    watching = json.loads(re.search(r"var WATCH = (.*);", html).group(1))["watching"]
    assert sweep in watching  # the sweep's name, whole, in the script's JSON


def test_a_delta_is_thinned_and_carries_the_metrics(any_store):
    run = any_store.create_run(config(), "cpu", sweep="s")
    feed = Feed(Selection(sweep="s"), ["val_loss"])
    feed.poll(any_store)
    any_store.append_steps(run, steps(0, 999), metrics=[("val_loss", 499, 0.5), ("val_loss", 999, float("inf"))])
    update = feed.poll(any_store)
    delta = json.loads(delta_json(7, update, max_points=100))  # at most about a tenth of a line's points a tick
    points = delta["runs"][str(run)]
    assert delta["seq"] == 7 and 10 <= len(points["step"]) <= 12 and points["step"][0] == 0 and points["step"][-1] == 999
    assert points["metrics"] == {"val_loss": {"step": [499, 999], "value": [0.5, None]}}
    assert len(feed.tails[run].series()) == 1000  # the watch keeps every step for the next redraw


def test_a_redraw_that_fails_is_logged_and_the_watch_goes_on(store, db_url, monkeypatch, caplog):
    run = store.create_run(config(), "cpu", sweep="s")
    store.append_steps(run, steps(0, 4))
    watch = make_watch(db_url, refresh=3600)

    def broken():
        raise ValueError("a bug")

    monkeypatch.setattr(watch, "_maybe_rebuild", broken)
    store.append_steps(run, steps(5, 7))
    try:
        assert watch.tick() is not None  # the delta is still served
    finally:
        watch.stores.close()
    (record,) = [r for r in caplog.records if r.name == "runner.watch"]
    assert record.levelname == "ERROR" and record.getMessage() == "runner watch: cannot redraw the report: ValueError: a bug"
