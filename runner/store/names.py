"""Sweep names: each is taken once (the ``sweeps`` table), so that a new grid never merges silently into an
older sweep of the same name; it is added to only when asked (``runner run --add``), and freed when the
sweep's last run is removed.

The module-level half of runner.store's Store: each function works inside a transaction it is given.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, select

from runner.errors import SweepNameTaken
from runner.store.models import runs, sweep_stops, sweeps, utcnow

__all__ = ["take_name", "register", "taken", "free_names"]


def take_name(conn: Connection, sweep: str, add: bool) -> None:
    """Register ``sweep`` for a new grid; with ``add``, use it as it is (registering it if new).

    SweepNameTaken if another sweep has the name and ``add`` is not given: nothing is written then."""
    registered = conn.scalar(select(sweeps.c.name).where(sweeps.c.name == sweep)) is not None
    held = conn.scalar(select(func.count()).select_from(runs).where(runs.c.sweep == sweep)) or 0
    if (registered or held) and not add:
        raise taken(sweep, held)
    if registered:
        return
    if not held:  # a new sweep: a stop left from an earlier sweep of the name (before names were freed) is not its own
        conn.execute(delete(sweep_stops).where(sweep_stops.c.sweep == sweep))
    if not register(conn, sweep) and not add:  # another process took it this moment
        raise taken(sweep, held)


def register(conn: Connection, sweep: str) -> bool:
    """Insert ``sweep``'s row unless it is there (INSERT ... ON CONFLICT DO NOTHING, which both SQLite and
    PostgreSQL take: a race is no error that would abort the transaction); whether this call inserted it."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(sweeps).values(name=sweep, created_at=utcnow()).on_conflict_do_nothing(index_elements=["name"])
    return bool(conn.execute(statement).rowcount)


def taken(sweep: str, held: int) -> SweepNameTaken:
    runs_held = f" ({held} run{'s' if held != 1 else ''})" if held else ""
    return SweepNameTaken(f"sweep {sweep!r} already exists{runs_held}; pick another --sweep name, add these runs to it "
                          f"with --add, or free the name with `runner rm {sweep}`")


def free_names(conn: Connection, names: Iterable[str | None]) -> None:
    """Free the names among ``names`` whose sweep has no run left (its runs were removed), with its stop flag."""
    for name in {n for n in names if n is not None}:
        if conn.scalar(select(runs.c.id).where(runs.c.sweep == name).limit(1)) is None:
            conn.execute(delete(sweeps).where(sweeps.c.name == name))
            conn.execute(delete(sweep_stops).where(sweep_stops.c.sweep == name))
