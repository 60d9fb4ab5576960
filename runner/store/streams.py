"""Reading a run's steps and metrics in bulk: streamed, sampled for a page, or only what is new."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import CompoundSelect, Select, and_, or_, select

from runner.store.base import StoreBase
from runner.store.models import metrics as metrics_table
from runner.store.models import steps
from runner.store.sampling import StepExtent, metric_extents, per_run, sampled_form, sampled_metric, sampled_steps, step_extents

__all__ = ["STREAM_BATCH", "Streams"]

STREAM_BATCH = 10_000  # rows fetched at a time by iter_steps and iter_metrics


class Streams(StoreBase):
    """runner.store.Store's bulk reads: what reports, ``runner export`` and ``runner watch`` read."""

    def iter_steps(self, run_ids: list[int] | None = None) -> Iterator[tuple[int, int, float, float]]:
        """(run_id, step, loss, elapsed) for the given runs (all if None), by run then step, streamed."""
        ids = None if run_ids is None else sorted(set(run_ids))
        if ids:
            with self._transaction(read_only=True) as conn:
                self._require(conn, ids)  # raised here, not at the first next()
        query = select(steps.c.run_id, steps.c.step, steps.c.loss, steps.c.elapsed).order_by(steps.c.run_id, steps.c.step)
        if ids is not None:
            query = query.where(steps.c.run_id.in_(ids))
        # float() also reads back the text 'NaN' that SQLite stores for NaN (see LossFloat).
        return (
            (run_id, step, float(loss), elapsed)
            for batch in self._stream(query, "runner_steps")
            for run_id, step, loss, elapsed in batch
        )

    def step_extents(self, run_ids: Iterable[int]) -> dict[int, StepExtent]:
        """Each run's count of steps, first and last step, lowest and highest loss (runs with no steps left out),
        in one pass over the rows: what ``iter_sampled_steps`` needs to know first."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            return step_extents(conn, ids) if ids else {}

    def iter_sampled_steps(
        self, extents: Iterable[StepExtent], every: int
    ) -> Iterator[tuple[int, list[tuple[int, float, float]]]]:
        """(run_id, its rows) for each run of ``extents`` (as ``step_extents`` gave them): the (step, loss,
        elapsed) rows whose step is a multiple of ``every``, those holding its lowest and highest loss,
        and its first and last, by step. Each run is one query, in one read transaction (and the first
        ``next()`` runs it: a ValueError for ``every`` comes then)."""
        extents = list(extents)
        grid = {e.run_id: {"origin": 0, "spacing": 1} for e in extents}  # every step stored: its multiples of every
        return self._iter_sampled(sampled_steps(), extents, every, grid)

    def metric_extents(self, run_ids: Iterable[int], name: str) -> dict[int, StepExtent]:
        """Each run's count of values of metric ``name``, first and last step, lowest and highest value (runs
        that did not record it left out), in one pass over its rows: what ``iter_sampled_metric`` needs."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            return metric_extents(conn, ids, name) if ids else {}

    def iter_sampled_metric(
        self, name: str, extents: Iterable[StepExtent], every: int
    ) -> Iterator[tuple[int, list[tuple[int, float]]]]:
        """(run_id, its rows) for each run of ``extents`` (as ``metric_extents`` gave them): the (step, value)
        rows of metric ``name``, one in each ``every`` steps (a run recording it every k steps: in the first
        k steps of each ``every`` from its first step), those holding its lowest and highest value, and its
        first and last, by step; as ``iter_sampled_steps``."""
        extents = list(extents)
        grid = {e.run_id: {"origin": e.first_step, "spacing": e.spacing} for e in extents}
        return self._iter_sampled(sampled_metric(name), extents, every, grid)

    def _iter_sampled(
        self,
        queries: tuple[Select[Any], CompoundSelect],
        extents: list[StepExtent],
        every: int,
        grid: Mapping[int, Mapping[str, int]],
    ) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        """Each run's rows of one of ``queries`` (runner.store.sampling.sampled_rows: the one sampled_form picks
        for its grid), run by run in one transaction (runner.store.sampling.per_run)."""
        if every < 1:
            raise ValueError(f"every must be at least 1, not {every}")
        with self._transaction(read_only=True) as conn:
            self._unhurried(conn)
            calls = ((sampled_form(conn.dialect.name, every, grid[e.run_id]["spacing"]),
                      {"run_id": e.run_id, "every": every, **grid[e.run_id], "low": e.low, "high": e.high,
                       "first": e.first_step, "last": e.last_step}) for e in extents)
            for e, rows in zip(extents, per_run(conn, queries, calls)):
                # float() also reads back the text 'NaN' that SQLite stores for NaN (see LossFloat).
                yield e.run_id, [(step, float(value), *rest) for step, value, *rest in rows]

    def iter_metrics(
        self, run_ids: Iterable[int], names: Iterable[str] | None = None
    ) -> Iterator[tuple[int, str, int, float]]:
        """(run_id, name, step, value) of the given runs' metrics (those in ``names``, or all),
        by run, name, then step, streamed."""
        ids = sorted(set(run_ids))
        wanted = None if names is None else sorted(set(names))
        for name in wanted or ():
            if not (isinstance(name, str) and name.isascii() and name.replace("_", "").isalnum()):
                raise ValueError(f"{name!r} is not a metric name")  # nor ever stored: names are words
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)  # raised here, not at the first next()
        m = metrics_table.c
        query = select(m.run_id, m.name, m.step, m.value).where(m.run_id.in_(ids)).order_by(m.run_id, m.name, m.step)
        if wanted is not None:
            query = query.where(m.name.in_(wanted))
        return (
            (run_id, name, step, float(value))
            for batch in self._stream(query, "runner_metrics")
            for run_id, name, step, value in batch
        )

    def steps_after(self, after: Mapping[int, int]) -> list[tuple[int, int, float, float]]:
        """(run_id, step, loss, elapsed) of each run in ``after`` whose step is after the one given for it
        (-1: every step), by run then step: what a watcher has not seen yet, read through the primary key."""
        if not after:
            return []
        s = steps.c
        newer = or_(*(and_(s.run_id == int(i), s.step > int(last)) for i, last in after.items()))
        query = select(s.run_id, s.step, s.loss, s.elapsed).where(newer).order_by(s.run_id, s.step)
        return [(run_id, step, float(loss), elapsed) for batch in self._stream(query, "runner_tail")
                for run_id, step, loss, elapsed in batch]

    def metrics_after(self, after: Mapping[int, int], names: Iterable[str]) -> list[tuple[int, str, int, float]]:
        """(run_id, name, step, value) of the metrics in ``names`` of each run in ``after`` recorded after the
        step given for it (-1: all), by run, name, then step."""
        wanted = sorted(set(names))
        for name in wanted:
            if not (isinstance(name, str) and name.isascii() and name.replace("_", "").isalnum()):
                raise ValueError(f"{name!r} is not a metric name")  # inlined by _stream: words only
        if not after or not wanted:
            return []
        m = metrics_table.c
        newer = or_(*(and_(m.run_id == int(i), m.step > int(last)) for i, last in after.items()))
        query = (select(m.run_id, m.name, m.step, m.value).where(newer, m.name.in_(wanted))
                 .order_by(m.run_id, m.name, m.step))
        return [(run_id, name, step, float(value)) for batch in self._stream(query, "runner_tail_metrics")
                for run_id, name, step, value in batch]

    def _stream(self, query: Select, cursor_name: str) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``query``, in batches of STREAM_BATCH. Its parameters are inlined: give only ints and words."""
        with self._transaction(read_only=True) as conn:
            self._unhurried(conn)
            # The driver's own cursor: a report reads millions of rows, and SQLAlchemy's per-row
            # processing would cost several times the query. Ids are ints and names words, safe to inline.
            sql = str(query.compile(dialect=self._engine.dialect, compile_kwargs={"literal_binds": True}))
            raw: Any = conn.connection.dbapi_connection  # open inside a transaction; psycopg2's cursor() takes a name
            # On PostgreSQL a named cursor streams from the server instead of loading every row first.
            cursor = raw.cursor(cursor_name) if self._engine.dialect.name == "postgresql" else raw.cursor()
            try:
                cursor.execute(sql)
                while batch := cursor.fetchmany(STREAM_BATCH):
                    yield batch
            finally:
                cursor.close()
