"""What is new in the store since the watcher last looked, and everything it has read so far.

Each poll reads the selected runs' rows of the runs table (statuses), then,
for the runs that are running or changed since the last poll, only the steps
(and gathered metrics) after the last step read of each, through the steps'
primary key. The statuses are read first: a run seen ended has written
every step before it ended, so the steps read next are all of them, and an
ended run is not read again until it changes (``runner resume`` queues it
again: its points after the checkpoint are deleted, so it is read afresh).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from runner.errors import RunNotFound
from runner.report.data import Selection
from runner.report.metric_data import METRIC_DTYPE, MetricSeries
from runner.report.reading import STEP_DTYPE, Series
from runner.status import RunStatus
from runner.store import RunRecord, Store

__all__ = ["Feed", "Tail", "Update"]


@dataclass
class Tail:
    """One run as read so far: its row, and every step (and gathered metric) read, in step order."""

    record: RunRecord
    chunks: list[np.ndarray] = field(default_factory=list)  # STEP_DTYPE rows, in the order read
    metric_chunks: dict[str, list[np.ndarray]] = field(default_factory=dict)  # METRIC_DTYPE rows by name

    @property
    def last_step(self) -> int:
        return int(self.chunks[-1]["step"][-1]) if self.chunks else -1

    @property
    def last_metric_step(self) -> int:
        return max((int(c[-1]["step"][-1]) for c in self.metric_chunks.values() if c), default=-1)

    def add(self, rows: np.ndarray) -> None:
        self.chunks.append(rows)
        if len(self.chunks) > 64:  # keep the list short; one copy now and then
            self.chunks = [np.concatenate(self.chunks)]

    def add_metric(self, name: str, rows: np.ndarray) -> None:
        chunks = self.metric_chunks.setdefault(name, [])
        chunks.append(rows)
        if len(chunks) > 64:
            self.metric_chunks[name] = [np.concatenate(chunks)]

    def series(self) -> Series:
        if not self.chunks:
            return Series.empty()
        rows = np.concatenate(self.chunks)
        self.chunks = [rows]
        return Series(rows["step"].copy(), rows["loss"].copy(), rows["elapsed"].copy())

    def metric(self, name: str) -> MetricSeries | None:
        chunks = self.metric_chunks.get(name)
        if not chunks:
            return None
        rows = np.concatenate(chunks)
        self.metric_chunks[name] = [rows]
        return MetricSeries(rows["step"].copy(), rows["value"].copy())

    @property
    def points(self) -> int:
        return sum(len(c) for c in self.chunks)


@dataclass(frozen=True)
class Update:
    """What one poll found."""

    steps: dict[int, np.ndarray] = field(default_factory=dict)  # by run: STEP_DTYPE rows after the last read
    metrics: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # by run and name: METRIC_DTYPE rows
    statuses: dict[int, str] = field(default_factory=dict)  # runs whose status changed, and new runs
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    reset: tuple[int, ...] = ()  # runs queued again: the points drawn of them may no longer be stored
    first_points: tuple[int, ...] = ()  # runs that had no step before this poll and have some now

    @property
    def structural(self) -> bool:
        """Whether the page's traces, tables or legend must be redrawn, not only extended."""
        return bool(self.statuses or self.added or self.removed or self.reset or self.first_points)

    def __bool__(self) -> bool:
        return self.structural or bool(self.steps) or bool(self.metrics)


class Feed:
    """The selected runs as read so far; ``poll(store)`` reads what is new."""

    def __init__(self, selection: Selection, metrics: Sequence[str] = ()):
        self.selection = selection
        self.metric_names = tuple(metrics)
        self.tails: dict[int, Tail] = {}

    def records(self) -> list[RunRecord]:
        return [self.tails[i].record for i in sorted(self.tails)]

    def poll(self, store: Store) -> Update:
        """Read the selected runs' statuses, then the steps and metrics each has stored since the last poll."""
        records = {r.id: r for r in select(store, self.selection)}
        removed = tuple(i for i in self.tails if i not in records)
        for i in removed:
            del self.tails[i]
        added, reset, statuses = [], [], {}
        for run_id, record in records.items():
            tail = self.tails.get(run_id)
            if tail is None:
                self.tails[run_id] = Tail(record)
                added.append(run_id)
                statuses[run_id] = str(record.status)
                continue
            if record.status != tail.record.status:
                statuses[run_id] = str(record.status)
                if record.status == RunStatus.QUEUED:  # queued again: rows after its checkpoint were deleted
                    self.tails[run_id] = Tail(record)
                    reset.append(run_id)
            self.tails[run_id].record = record
        # Runs that may have stored something since: running ones, and those whose status just changed.
        reading = [i for i, t in self.tails.items() if t.record.status == RunStatus.RUNNING or i in statuses]
        had_none = {i for i in reading if not self.tails[i].chunks}
        steps = self._read_steps(store, reading)
        metrics = self._read_metrics(store, reading)
        first = tuple(i for i in had_none if self.tails[i].chunks)
        return Update(steps, metrics, statuses, tuple(added), removed, tuple(reset), first)

    def _read_steps(self, store: Store, run_ids: Iterable[int]) -> dict[int, np.ndarray]:
        rows = np.array(store.steps_after({i: self.tails[i].last_step for i in run_ids}), dtype=STEP_DTYPE)
        out = {}
        for run_id, chunk in split(rows):
            self.tails[run_id].add(chunk)
            out[run_id] = chunk
        return out

    def _read_metrics(self, store: Store, run_ids: Iterable[int]) -> dict[int, dict[str, np.ndarray]]:
        if not self.metric_names:
            return {}
        found = store.metrics_after({i: self.tails[i].last_metric_step for i in run_ids}, self.metric_names)
        out: dict[int, dict[str, np.ndarray]] = {}
        by_name: dict[tuple[int, str], list[tuple[int, int, float]]] = {}
        for run_id, name, step, value in found:
            by_name.setdefault((run_id, name), []).append((run_id, step, value))
        for (run_id, name), rows in by_name.items():
            chunk = np.array(rows, dtype=METRIC_DTYPE)
            self.tails[run_id].add_metric(name, chunk)
            out.setdefault(run_id, {})[name] = chunk
        return out


def split(rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Rows ordered by run id, as (run id, that run's rows)."""
    if not len(rows):
        return []
    starts = np.flatnonzero(np.diff(rows["run_id"])) + 1
    return [(int(chunk["run_id"][0]), chunk) for chunk in np.split(rows, starts)]


def select(store: Store, selection: Selection) -> list[RunRecord]:
    """The selected runs as stored now (a run deleted meanwhile is left out), by id."""
    if selection.run_ids:
        found = []
        for run_id in selection.run_ids:
            try:
                found.append(store.get_run(run_id))
            except RunNotFound:
                continue
        return found
    return sorted(store.list_runs(sweep=selection.sweep), key=lambda r: r.id)
