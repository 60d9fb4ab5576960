"""The database schema: one row per run, one row per training step, one row per recorded metric value,
and the events of a run's life that its status alone would hide (lost, revived).

Changing anything here needs a new migration in ``migrations/versions``
(and ``HEAD`` below set to its revision).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from runner.status import VALUES, RunStatus

__all__ = ["HEAD", "NAMING_CONVENTION", "utcnow", "LossFloat", "Status", "status_check", "UTCDateTime",
    "ARTIFACT_KINDS"]

HEAD = "0010"  # the newest migration; opening a store at HEAD never imports alembic

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class LossFloat(TypeDecorator):
    """A float that keeps NaN, inf and -inf.

    PostgreSQL stores them natively. SQLite keeps inf and -inf as REAL but
    turns a bound NaN into NULL, so NaN is bound as the text 'NaN' (which a
    REAL column keeps as TEXT) and read back as float('nan').
    """

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = float(value)
        if math.isnan(value) and dialect.name == "sqlite":
            return "NaN"
        return value

    def bind_processor(self, dialect: Any) -> Any:
        # Not chained to Float's own processor, which on SQLite would float() the 'NaN' back into NaN.
        return lambda value: self.process_bind_param(value, dialect)

    def process_result_value(self, value: Any, dialect: Any) -> float | None:
        return None if value is None else float(value)  # float("NaN") is nan


class Status(TypeDecorator):
    """A RunStatus, stored as its value (a CHECK on the column refuses any other) and read back as a RunStatus."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else RunStatus(value).value

    def process_result_value(self, value: Any, dialect: Any) -> RunStatus | None:
        return None if value is None else RunStatus(value)


def status_check(column: str = "status") -> str:
    """The CHECK that keeps a status column to the RunStatus values."""
    return f"{column} IN ({', '.join(repr(v) for v in VALUES)})"


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every dialect (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLAlchemy Core tables, not ORM classes: the store reads rows into frozen dataclasses
# anyway, and leaving out sqlalchemy.orm keeps `runner ls` start-up light.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String),
    Column("sweep", String, index=True),  # the grid it belongs to, if any
    # what was asked for
    Column("model", String, nullable=False, index=True),
    Column("optimizer", String, nullable=False),
    Column("dataset", String, nullable=False),
    Column("lr", Float, nullable=False),
    # BIGINT: every seed the CLI takes (0 to 2**32-1) fits on PostgreSQL too; steps to match
    Column("steps", BigInteger, nullable=False),  # the requested count
    Column("seed", BigInteger, nullable=False),
    Column("device", String, nullable=False),
    Column("config", JSON, nullable=False),  # model_params, optimizer_options, dataset_params
    # how it went
    Column("status", Status, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("steps_done", BigInteger, nullable=False, default=0, server_default="0"),
    Column("final_loss", LossFloat),
    Column("best_loss", LossFloat),
    Column("error", Text),  # a traceback
    # where it ran
    Column("host", String),
    Column("pid", Integer),
    Column("pid_start", BigInteger),  # the process's start time (runner.processes.start_time): a reused pid is not it
    Column("python_version", String),
    Column("torch_version", String),
    Column("numpy_version", String),
    Column("runner_version", String),
    # claims so far (each worker that took it counts one): a run whose worker died is retried while this
    # is at most --retries (runner.store.Store.retry_lost)
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("slot", String),  # the worker slot that last claimed it (runner.execution.local_pool.slot_name), for sweeps
    # how it was started: ExecOptions' travelling fields (runner.training.options), so that resume continues it alike;
    # "artifacts" is the root its artifacts' paths are relative to
    Column("options", JSON),
    Column("threads", Integer),  # the CPU threads it trained with (--threads, OMP_NUM_THREADS): they change the losses
    Column("packages", JSON),  # {distribution: {"version", "commit"}} of every plugin package it used
    Column("early_stop", JSON),  # how it stopped early (--early-stop): metric, step, best, best_step, reason; else NULL
    CheckConstraint(status_check(), name="status"),  # ck_runs_status
    sqlite_autoincrement=True,  # never reuse a deleted run's id
)

steps = Table(
    "steps",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("loss", LossFloat, nullable=False),
    Column("elapsed", Float, nullable=False),  # seconds since the run started
    sqlite_with_rowid=False,  # the primary key is the table: smaller, faster inserts
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),  # runner.metrics.MAX_LENGTH
    Column("step", Integer, primary_key=True),
    Column("value", LossFloat, nullable=False),  # NaN and inf kept, as losses are
    sqlite_with_rowid=False,  # as steps: the primary key is the table
)

run_events = Table(
    "run_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String, nullable=False),  # "lost" or "revived" (runner.store.LOST, REVIVED)
    Column("detail", Text),  # why, in words
)

# What a run keeps besides numbers: its latest checkpoint(s), its final weights and its best ones (--keep-best)
# (runner.store.artifacts).
ARTIFACT_KINDS = ("checkpoint", "weights", "best")

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("step", BigInteger, nullable=False),  # the steps done when it was saved
    Column("format", String(8), nullable=False),  # "pt" (torch) or "npz" (NumPy): how the bytes decode
    Column("size", BigInteger, nullable=False),  # bytes
    Column("sha256", String(64), nullable=False),  # of the bytes, checked on every read
    Column("data", LargeBinary),  # the bytes themselves, unless kept as a file under --artifacts
    Column("path", Text),  # that file, relative to the run's artifacts root (runs.options["artifacts"])
    Column("host", String),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    CheckConstraint(f"kind IN ({', '.join(repr(k) for k in ARTIFACT_KINDS)})", name="kind"),
    CheckConstraint("(data IS NULL) <> (path IS NULL)", name="one_place"),  # in the database or in a file, not both
)

# A sweep asked to stop (runner stop, or Ctrl-C where it was started): every worker on every host reads it
# before it claims and while it trains, and stops (runner.execution.stopping). runner resume clears it.
sweep_stops = Table(
    "sweep_stops",
    metadata,
    Column("sweep", String, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("by", Text),  # who asked, in words: "pid 12 on host-a"
)

# Every sweep by name, with how it was started (jobs, per-device, executor: runner resume works it alike).
# A name is taken once: a new grid under a name in use is refused unless asked to add to it.
sweeps = Table(
    "sweeps",
    metadata,
    Column("name", String, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("options", JSON),
)
