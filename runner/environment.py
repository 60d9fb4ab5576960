"""Settings read from environment variables: a bad value is one line naming the variable, not a traceback."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

from runner.errors import OptionError

__all__ = [
    "BUSY_VARIABLE", "DEFAULT_BUSY_SECONDS", "DEFAULT_HEARTBEAT_SECONDS", "DEFAULT_LOST_AFTER", "HEARTBEAT_SECONDS",
    "HEARTBEAT_VARIABLE", "LOST_AFTER_SECONDS", "LOST_VARIABLE", "at_import", "check_environment", "heartbeat_seconds",
    "lost_after_seconds", "positive", "sqlite_busy_seconds", "THREADS_VARIABLE", "MAX_THREADS", "omp_threads",
]

T = TypeVar("T", int, float)


def positive(variable: str, default: T, parse: Callable[[str], T], what: str, example: str) -> T:
    """$VARIABLE parsed by ``parse`` and above zero, else ``default`` when unset; OptionError names a bad value."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        value = None
    if value is None or not (math.isfinite(value) and value > 0):
        raise OptionError(f"{variable}={raw!r} is not {what}; set it to e.g. {example}")
    return value


BUSY_VARIABLE = "RUNNER_SQLITE_BUSY_SECONDS"
DEFAULT_BUSY_SECONDS = 30.0


def sqlite_busy_seconds() -> float:
    """$RUNNER_SQLITE_BUSY_SECONDS: how long a SQLite write waits for another process's lock before it
    fails (default 30; runner.store.db reads it); OptionError names a bad value."""
    return positive(BUSY_VARIABLE, DEFAULT_BUSY_SECONDS, float, "a positive number of seconds", "30, or unset it")


def at_import(read: Callable[[], T], default: T) -> T:
    """``read()``, or ``default`` if its variable holds a bad value: importing must not fail (a traceback before
    click runs), and the CLI refuses a bad value up front (runner.cli.main calls check_environment), so the
    default stands in only until then."""
    try:
        return read()
    except OptionError:
        return default


# Liveness: how often a running run beats, and how long another host's run may stay silent before it is lost.
HEARTBEAT_VARIABLE = "RUNNER_HEARTBEAT_SECONDS"
DEFAULT_HEARTBEAT_SECONDS = 5.0  # a stale run shows within seconds, at one small UPDATE per run per beat
LOST_VARIABLE = "RUNNER_LOST_AFTER_SECONDS"
DEFAULT_LOST_AFTER = 60.0  # a dozen beats: a busy database or a slow flush missing a few loses no run


def heartbeat_seconds() -> float:
    """$RUNNER_HEARTBEAT_SECONDS, a positive number of seconds (default 5); OptionError names a bad value."""
    return positive(HEARTBEAT_VARIABLE, DEFAULT_HEARTBEAT_SECONDS, float, "a positive number of seconds", "5, or unset it")


def lost_after_seconds() -> float:
    """$RUNNER_LOST_AFTER_SECONDS (default 60): how old another host's run's heartbeat may grow before the
    run is lost. It must exceed the heartbeat interval; OptionError names a bad value."""
    beat = heartbeat_seconds()
    lost_after = positive(LOST_VARIABLE, DEFAULT_LOST_AFTER, float, "a positive number of seconds", "60, or unset it")
    if lost_after <= beat:
        shown = f"={lost_after:g}" if os.environ.get(LOST_VARIABLE, "").strip() else f" (unset: {lost_after:g})"
        raise OptionError(
            f"{LOST_VARIABLE}{shown} is not longer than the heartbeat interval ({HEARTBEAT_VARIABLE}={beat:g}); "
            f"set it to several intervals, e.g. {max(DEFAULT_LOST_AFTER, 6 * beat):g}"
        )
    return lost_after


HEARTBEAT_SECONDS = at_import(heartbeat_seconds, DEFAULT_HEARTBEAT_SECONDS)
LOST_AFTER_SECONDS = at_import(lost_after_seconds, max(DEFAULT_LOST_AFTER, 6 * HEARTBEAT_SECONDS))


THREADS_VARIABLE = "OMP_NUM_THREADS"  # OpenMP's own: torch and the BLAS libraries read it as they load
MAX_THREADS = 1024  # the most --threads takes


def omp_threads() -> int | None:
    """$OMP_NUM_THREADS as a thread count (its first level, "4,2" is 4), or None where it is unset or no count
    from 1 to MAX_THREADS: OpenMP ignores such a value too, so runner does not refuse it."""
    first = os.environ.get(THREADS_VARIABLE, "").split(",")[0].strip()
    return int(first) if first.isdigit() and 1 <= int(first) <= MAX_THREADS else None


def check_environment() -> None:
    """Raise OptionError for a bad value of any variable here (the CLI's first check, before any command runs)."""
    lost_after_seconds()  # reads $RUNNER_HEARTBEAT_SECONDS too
    sqlite_busy_seconds()
