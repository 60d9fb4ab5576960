"""Settings read from environment variables: a bad value is one line naming the variable, not a traceback."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

from runner.errors import OptionError

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
