"""click parameter types whose errors say what a valid value looks like.

Most options of ``runner run`` take a comma-separated list (a grid axis);
the integer ones also take ranges such as ``0-4``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, TypeVar

import click

from runner.errors import ConfigError

__all__ = ["PositiveFloats", "Ints", "Seconds", "Label", "Names", "MAX_INT", "MAX_NAME", "MAX_JOBS", "MAX_SECONDS",
    "POSITIVE_FLOATS", "STEPS", "RUN_ID", "COUNT", "JOBS", "LABEL", "WHOLE_NUMBERS", "SEEDS", "NAMES", "SECONDS", "take",
    "parse_run_id"]

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def take(cls: type[T], options: dict[str, Any]) -> T:
    """The dataclass ``cls`` made of a click command's options (its keyword arguments ``options``) named as its
    fields, which are taken out of ``options``; an option left unset (None) takes the field's default. A new
    field is then read from the command line by adding the click option of its name, nothing else."""
    values = {f.name: options.pop(f.name) for f in dataclasses.fields(cls)}
    return cls(**{name: value for name, value in values.items() if value is not None})


# runner.grid (and the registry it imports) is imported inside convert(), when a value is converted,
# so that the commands that take only run ids or counts (ls, show, rm, ...) start light.


class PositiveFloats(click.ParamType):
    name = "numbers"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        from runner.grid import parse_floats

        try:
            values = parse_floats(str(value), "")
        except ConfigError as exc:
            self.fail(str(exc).lstrip(": "), param, ctx)
        if not values:  # '' or ',' would otherwise mean "the default"
            self.fail(f"{value!r} gives no number; give one or more positive numbers (try 1e-4)", param, ctx)
        return values


class Ints(click.ParamType):
    """Whole numbers from ``low`` to ``high``, as a list: ``3``, ``1,2`` or ``0-4``."""

    name = "integers"

    def __init__(self, low: int, high: int | None, description: str, example: str):
        self.low, self.high, self.description, self.example = low, high, description, example

    def convert(self, value, param, ctx):
        from runner.grid import IntRanges, parse_ints

        if isinstance(value, (list, IntRanges)):
            return value
        try:
            values: IntRanges | None = parse_ints(str(value), "")  # counted, not listed: check_grid_size bounds the grid
        except ConfigError:
            values = None
        bounds = values.bounds() if values is not None else None
        if bounds is None or bounds[0] < self.low or (self.high is not None and bounds[1] > self.high):
            self.fail(f"{value!r} is not {self.description}, a list or a range (try {self.example})", param, ctx)
        return values


class Seconds(click.ParamType):
    """A duration in seconds: a finite number above ``low`` (or from ``low``, if ``low_open`` is False), at most
    MAX_SECONDS. nan, inf and 1e309 are refused, and so is a value that no timer could wait for (threading and
    signal.setitimer overflow near 9.2e9 s)."""

    name = "seconds"

    def __init__(self, low: float = 0.0, low_open: bool = True):
        self.low, self.low_open = low, low_open

    def convert(self, value, param, ctx):
        if isinstance(value, float) and self._fits(value):
            return value
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = math.nan
        if not self._fits(seconds):
            above = f"above {self.low:g}" if self.low_open else f"from {self.low:g}"
            self.fail(f"{value!r} is not a number of seconds {above} to 1e9 (try 60)", param, ctx)
        return seconds

    def _fits(self, seconds: float) -> bool:
        low_ok = seconds > self.low if self.low_open else seconds >= self.low
        return math.isfinite(seconds) and low_ok and seconds <= MAX_SECONDS


class Label(click.ParamType):
    """A run's or sweep's name: at most MAX_NAME characters, the same limit on SQLite and PostgreSQL."""

    name = "text"

    def convert(self, value, param, ctx):
        if len(str(value)) > MAX_NAME:
            self.fail(f"a name may have at most {MAX_NAME} characters; this one has {len(str(value))}", param, ctx)
        return str(value)


class Names(click.ParamType):
    """A comma-separated list of names."""

    name = "names"

    def convert(self, value, param, ctx):
        from runner.grid import split

        if isinstance(value, list):
            return value
        names = split(str(value))
        if not names:
            self.fail("give at least one name", param, ctx)
        return names


# runs.id and steps.step are 32-bit INTEGER columns on PostgreSQL (a run stores a row per step, so --steps
# is bounded by steps.step): refuse larger values here, for both databases alike, rather than let PostgreSQL
# reject them. runs.seed is a BIGINT, so every seed below is stored as given on either.
MAX_INT = 2**31 - 1
MAX_NAME = 200  # --name and --sweep; PostgreSQL's btree index on runs.sweep fails at about 2.7 kB
MAX_JOBS = 1024
MAX_SECONDS = 1e9  # about 31 years: any longer wait is a mistake, and timers overflow a little above 9.2e9 s

POSITIVE_FLOATS = PositiveFloats()
STEPS = Ints(1, MAX_INT, "a whole number from 1 to 2**31-1", "500")
RUN_ID = click.IntRange(1, MAX_INT)  # an argument naming a run


def parse_run_id(text: str, ctx: click.Context | None) -> int:
    """A run id given as text (a target that may also be a sweep's name), checked as RUN_ID checks one."""
    value: Any = text  # click's stubs type convert's value as the parsed type; it takes the text too
    return int(RUN_ID.convert(value, None, ctx))
COUNT = click.IntRange(1, MAX_INT)  # ls --limit
JOBS = click.IntRange(1, MAX_JOBS)  # --jobs and --per-device: checked before any run is enqueued
LABEL = Label()
WHOLE_NUMBERS = Ints(-(2**63), None, "a whole number", "32")  # resolve() says which values a setting takes
SEEDS = Ints(0, 2**32 - 1, "a whole number from 0 to 2**32-1", "0 or 0-4")
NAMES = Names()
SECONDS = Seconds()  # a timeout or a wait: more than 0
