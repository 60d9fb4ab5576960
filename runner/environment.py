"""Settings read from environment variables: a bad value is one line naming the variable, not a traceback."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

from runner.errors import OptionError

__all__ = ["T", "positive", "BUSY_VARIABLE", "DEFAULT_BUSY_SECONDS", "sqlite_busy_seconds"]

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
