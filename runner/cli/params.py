"""click parameter types whose errors say what a valid value looks like."""

from __future__ import annotations

import math

import click


class PositiveFloat(click.ParamType):
    name = "number"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value!r} is not a positive number (try 1e-4)", param, ctx)
        return number


class PositiveInt(click.ParamType):
    name = "integer"

    def convert(self, value, param, ctx):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if number <= 0:
            self.fail(f"{value!r} is not a positive whole number (try 500)", param, ctx)
        return number


POSITIVE_FLOAT = PositiveFloat()
POSITIVE_INT = PositiveInt()
SEED = click.IntRange(0, 2**32 - 1)
