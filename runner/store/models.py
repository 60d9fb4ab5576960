"""The database schema: one row per run, one row per training step.

Changing anything here needs a new migration in ``migrations/versions``
(and ``HEAD`` below set to its revision).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from runner.status import VALUES, RunStatus

HEAD = "0003"  # the newest migration; opening a store at HEAD never imports alembic

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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(status_check(), name="status"),  # ck_runs_status
        {"sqlite_autoincrement": True},  # never reuse a deleted run's id
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(String)
    sweep: Mapped[str | None] = mapped_column(String, index=True)  # the grid it belongs to, if any
    # what was asked for
    model: Mapped[str] = mapped_column(String, index=True)
    optimizer: Mapped[str] = mapped_column(String)
    dataset: Mapped[str] = mapped_column(String)
    lr: Mapped[float] = mapped_column(Float)
    steps: Mapped[int]  # the requested count
    seed: Mapped[int]
    device: Mapped[str] = mapped_column(String)
    config: Mapped[dict[str, Any]]  # model_params, optimizer_options, dataset_params
    # how it went
    status: Mapped[RunStatus] = mapped_column(Status, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    steps_done: Mapped[int] = mapped_column(default=0, server_default="0")
    final_loss: Mapped[float | None] = mapped_column(LossFloat)
    best_loss: Mapped[float | None] = mapped_column(LossFloat)
    error: Mapped[str | None] = mapped_column(Text)  # a traceback
    # where it ran
    host: Mapped[str | None] = mapped_column(String)
    pid: Mapped[int | None]
    python_version: Mapped[str | None] = mapped_column(String)
    torch_version: Mapped[str | None] = mapped_column(String)
    numpy_version: Mapped[str | None] = mapped_column(String)
    runner_version: Mapped[str | None] = mapped_column(String)


class Step(Base):
    __tablename__ = "steps"
    __table_args__ = {"sqlite_with_rowid": False}  # the primary key is the table: smaller, faster inserts

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    loss: Mapped[float] = mapped_column(LossFloat)
    elapsed: Mapped[float] = mapped_column(Float)  # seconds since the run started
