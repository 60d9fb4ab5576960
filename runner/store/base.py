"""What every part of the Store stands on: its engine, one transaction at a time, and its errors.

Each of runner.store.Store's mixins (lifecycle, liveness, sweeps, requeues, keeping, lookups, streams)
subclasses StoreBase, so that the state they share is declared once, here, and mypy checks them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TypeVar

from sqlalchemy import Connection, Engine, select

from runner.errors import RunnerError, RunNotFound, RunTakenOver
from runner.store.db import READ_ONLY, check_same_file, display_url, file_identity, sqlite_path, transaction
from runner.store.models import runs

__all__ = ["StoreBase"]

S = TypeVar("S", bound="StoreBase")


class StoreBase:
    """The connection half of runner.store.Store, which each of its mixins builds on."""

    def __init__(self, engine: Engine, url: str, where: str | None = None, writable: bool = True):
        self._engine = engine
        self._writable = writable  # False: opened read-only (see open_store), so mark_lost changes nothing
        self._reader = engine.execution_options(**{READ_ONLY: True})
        self._url = display_url(url)
        self._where = where or self._url
        # A SQLite file deleted or replaced under this process must not swallow its writes unseen:
        # each write transaction first checks that the file is still the one opened here (one stat).
        self._path = sqlite_path(engine.url) if writable else None
        self._identity = file_identity(self._path) if self._path else None

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return self._url

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._url!r})"

    def _transaction(self, read_only: bool = False) -> AbstractContextManager[Connection]:
        if not read_only and self._path and self._identity:
            check_same_file(self._path, self._identity)
        return transaction(self._reader if read_only else self._engine, self._where)

    def _unhurried(self, conn: Connection) -> None:
        """Let this read transaction wait on its reader as long as it likes (``runner export | less``): on
        PostgreSQL runner's connections are otherwise ended when idle inside a transaction
        (runner.store.db.server_connect_args), and a reader holds no row lock that others could wait on."""
        if self._engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")

    def _require(self, conn: Connection, ids: list[int]) -> None:
        found = set(conn.scalars(select(runs.c.id).where(runs.c.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            raise self._not_found(missing)

    def _not_ours(self, conn: Connection, run_id: int) -> RunnerError:
        """Why this process may not write to run ``run_id``: it is gone, or another process took it over."""
        row = conn.execute(select(runs.c.status, runs.c.host, runs.c.pid).where(runs.c.id == run_id)).first()
        if row is None:
            return self._not_found([run_id])
        owner = f"pid {row.pid} on {row.host}" if row.pid else "nobody yet"
        return RunTakenOver(f"run {run_id} is no longer this process's ({row.status}, held by {owner}): "
                            "`runner resume` gave it to another; this process stops training it")

    def _not_found(self, ids: list[int]) -> RunNotFound:
        which = f"run {ids[0]}" if len(ids) == 1 else "runs " + ", ".join(map(str, ids))
        return RunNotFound(f"no {which} in {self._url}; see `runner ls`")
