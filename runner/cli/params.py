"""click parameter types whose errors say what a valid value looks like.

Most options of ``runner run`` take a comma-separated list (a grid axis);
the integer ones also take ranges such as ``0-4``.
"""

from __future__ import annotations

import click

from runner.errors import ConfigError
from runner.grid import parse_floats, parse_ints, split


class PositiveFloats(click.ParamType):
    name = "numbers"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
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
        if isinstance(value, list):
            return value
        try:
            values = parse_ints(str(value), "")
        except ConfigError:
            values = []
        bad = [v for v in values if v < self.low or (self.high is not None and v > self.high)]
        if not values or bad:
            self.fail(f"{value!r} is not {self.description}, a list or a range (try {self.example})", param, ctx)
        return values


class Names(click.ParamType):
    """A comma-separated list of names."""

    name = "names"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        names = split(str(value))
        if not names:
            self.fail("give at least one name", param, ctx)
        return names


POSITIVE_FLOATS = PositiveFloats()
STEPS = Ints(1, None, "a positive whole number", "500")
WHOLE_NUMBERS = Ints(-(2**63), None, "a whole number", "32")  # resolve() says which values a setting takes
SEEDS = Ints(0, 2**32 - 1, "a whole number from 0 to 2**32-1", "0 or 0-4")
NAMES = Names()
