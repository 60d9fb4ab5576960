"""The live report's state: one poller reads the store, every open page reads what it published.

A tick (every ``interval`` seconds, only while some page asked within
IDLE_AFTER seconds, so that an unwatched server reads nothing) polls the
Feed. New steps become a *delta*, numbered ``seq``: a page appends them to
its lines. Now and then the whole report is redrawn from memory, a
*snapshot* (at most every ``refresh`` seconds while only steps come, soon
after a run appears, starts, ends or is queued again, never more often than
three times its own build time): a page redraws its figures with
Plotly.react and replaces its tables, keeping its zoom. Pages poll with
(seq, snap) and get the snapshot if theirs is older, and the deltas after.

A database that cannot be read (a server down, a SQLite file moved away)
is an ``error`` the pages show; the store is opened again on the next tick,
and the watch goes on from where it was when it can.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from runner.errors import StorageError
from runner.report.downsample import lttb_indices
from runner.report.figures import Options, figures
from runner.report.html import header, sections
from runner.report.templating import figure_json
from runner.store import Store
from runner.watch.feed import Feed, Update
from runner.watch.snapshot import report_data, steady
from runner.watch.stores import Reopening

LOG = logging.getLogger("runner.watch")

__all__ = ["IDLE_AFTER", "Settings", "Snapshot", "Watch"]

IDLE_AFTER = 15.0  # seconds without a page asking, after which the poller stops reading
KEPT_DELTAS = 600  # deltas kept for pages that fell behind; older pages get a snapshot
FIGURE_SECTIONS = ("loss", "final", "time")  # sections that hold a figure (and metric-NAME): never replaced


@dataclass(frozen=True)
class Settings:
    interval: float = 1.0  # seconds between polls of the database
    refresh: float = 10.0  # seconds between full redraws while only new steps come
    options: Options = field(default_factory=Options)
    best: str | None = None
    title: str | None = None
    command: str | None = None
    mark_lost_every: float = 10.0  # seconds between looks for runs whose process died


@dataclass
class Snapshot:
    seq: int
    payload: str  # JSON text: figures, sections, header
    data: Any  # ReportData
    figs: Any  # Figures


class Watch:
    """The feed, the deltas and the latest snapshot, safe to read from the server's threads."""

    def __init__(self, store: Store, url: str | None, feed: Feed, settings: Settings):
        self.stores = Reopening(store, url)
        self.feed = feed
        self.settings = settings
        self.lock = threading.Lock()
        self.seq = 0
        self.deltas: deque[tuple[int, str]] = deque(maxlen=KEPT_DELTAS)
        self.snapshot: Snapshot | None = None
        self.error: str | None = None
        self.error_since: datetime | None = None
        self.checked_at: datetime | None = None
        self.statuses = {str(i): str(t.record.status) for i, t in sorted(feed.tails.items())}  # as last read
        self.asked = time.monotonic()  # when a page last asked
        self._pending = True  # a snapshot is due (the first one, or after a structural change)
        self._dirty = False  # steps came since the last snapshot
        self._built_at = -math.inf
        self._build_seconds = 0.0
        self._marked_at = -math.inf
        self._stop = threading.Event()

    @property
    def title(self) -> str:
        n = len(self.feed.tails)
        return self.settings.title or f"runner watch: {self.feed.selection.describe()} ({n} run{'s' if n != 1 else ''})"

    # the poller

    def run(self) -> None:
        """Tick every interval until ``stop()``; the first tick at once."""
        while not self._stop.is_set():
            if time.monotonic() - self.asked < IDLE_AFTER or self.snapshot is None:
                self.tick()
            self._stop.wait(self.settings.interval)

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> Update | None:
        """One poll of the store, and a snapshot when one is due; a database error is kept for the pages."""
        try:
            store = self.stores.get()
            self._mark_lost(store)
            update = self.feed.poll(store)
        except StorageError as exc:
            self.stores.drop()
            with self.lock:
                if self.error is None:
                    self.error_since = datetime.now(timezone.utc)
                self.error = str(exc)
            return None
        statuses = {str(i): str(t.record.status) for i, t in sorted(self.feed.tails.items())}
        with self.lock:
            self.error = self.error_since = None
            self.checked_at = datetime.now(timezone.utc)
            self.statuses = statuses
            if update:
                self.seq += 1
                self.deltas.append((self.seq, delta_json(self.seq, update, self.settings.options.max_points)))
                self._pending = self._pending or update.structural
                self._dirty = True
        if self.feed.tails:  # every run deleted: the page keeps its last drawing
            try:
                self._maybe_rebuild()
            except Exception as exc:  # a bug must not stop the watch: say it, and keep serving the last drawing
                # one line on stderr where logging is not configured (logging's last resort); the traceback at DEBUG
                LOG.error("runner watch: cannot redraw the report: %s: %s", type(exc).__name__, exc,
                          exc_info=LOG.isEnabledFor(logging.DEBUG))
        return update

    def _mark_lost(self, store: Store) -> None:
        if time.monotonic() - self._marked_at >= self.settings.mark_lost_every:
            self._marked_at = time.monotonic()
            try:
                store.mark_lost()  # a dead run shows as lost, not as running (as runner report does)
            except StorageError:
                pass  # a database that takes no writes still shows; the next tick tries again

    def _maybe_rebuild(self) -> None:
        now = time.monotonic()
        gap = max(self.settings.interval, 3 * self._build_seconds)
        due = self._pending or (self._dirty and now - self._built_at >= self.settings.refresh)
        if not due or now - self._built_at < gap:
            return
        self.rebuild()

    def rebuild(self) -> Snapshot:
        """Redraw the whole report from what the feed has read."""
        started = time.monotonic()
        with self.lock:
            seq = self.seq
        s = self.settings
        data = report_data(self.feed, s.best, s.command, self.stores.url)
        figs = steady(figures(data, s.options))
        snapshot = Snapshot(seq, snapshot_json(seq, data, figs, self.title), data, figs)
        with self.lock:
            self.snapshot = snapshot
            self._pending = self._dirty = False
        self._built_at = time.monotonic()
        self._build_seconds = self._built_at - started
        return snapshot

    # what the pages read

    def answer(self, seq: int, snap: int) -> str:
        """The JSON a page gets for its (seq, snap): state, maybe a snapshot, the deltas it has not applied."""
        with self.lock:
            self.asked = time.monotonic()
            current = self.snapshot
            oldest = self.deltas[0][0] if self.deltas else self.seq + 1
            send = current is not None and (snap != current.seq or seq + 1 < oldest or seq > self.seq)
            after = current.seq if send and current is not None else seq
            deltas = [text for n, text in self.deltas if n > after]
            state = {
                "seq": self.seq,
                "snap": current.seq if current else -1,
                "error": self.error,
                "error_since": self.error_since.isoformat() if self.error_since else None,
                "checked": self.checked_at.isoformat() if self.checked_at else None,
                "statuses": self.statuses,
            }
            snapshot = current.payload if send and current is not None else "null"
        head = json.dumps(state)[:-1]
        return f'{head}, "snapshot": {snapshot}, "deltas": [{", ".join(deltas)}]}}'


def finite_list(values: np.ndarray) -> list[float | None]:
    """Values for JSON: non-finite ones as null (the page leaves them out of the lines)."""
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


def thin(rows: np.ndarray, value: str, most: int) -> np.ndarray:
    """At most about ``most`` of these rows (LTTB on their finite values, first and last kept)."""
    if len(rows) <= most:
        return rows
    finite = rows[np.isfinite(rows[value])]
    if len(finite) <= most:
        return finite
    return finite[lttb_indices(finite["step"], finite[value], most)]


def delta_json(seq: int, update: Update, max_points: int) -> str:
    """One tick's new points as JSON, each run's thinned to a tenth of a line's points (the next snapshot
    draws every line again, downsampled from every step)."""
    most = max(10, max_points // 10)
    runs: dict[str, dict[str, Any]] = {}
    for run_id, rows in update.steps.items():
        rows = thin(rows, "loss", most)
        runs[str(run_id)] = {"step": rows["step"].tolist(), "loss": finite_list(rows["loss"]),
                             "elapsed": rows["elapsed"].tolist()}
    for run_id, by_name in update.metrics.items():
        entry = runs.setdefault(str(run_id), {})
        entry["metrics"] = {
            name: {"step": (kept := thin(rows, "value", most))["step"].tolist(), "value": finite_list(kept["value"])}
            for name, rows in by_name.items()
        }
    return json.dumps({"seq": seq, "runs": runs}, allow_nan=False)


def snapshot_json(seq: int, data: Any, figs: Any, title: str) -> str:
    """The figures (safe inside a <script>, as the report embeds them), the non-figure sections and the header."""
    parts = sections(data, figs, "embed")
    tables = {key: content for key, _, content in parts if key not in FIGURE_SECTIONS and not key.startswith("metric-")}
    specs = ", ".join(f'"{name}": {figure_json(fig)}' for name, fig in figs.items())
    return (
        f'{{"seq": {seq}, "figures": {{{specs}}}, "order": {json.dumps([key for key, _, _ in parts])}, '
        f'"sections": {json.dumps(tables)}, "header": {json.dumps(header(data, title, parts))}}}'
    )
