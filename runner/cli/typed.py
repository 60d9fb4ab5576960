"""A command's line as the user could type it again: what the report's and the watch's provenance show."""

from __future__ import annotations

import shlex
from collections.abc import Collection
from typing import Any

import click
from click.core import ParameterSource

__all__ = ["GIVEN", "as_typed"]

GIVEN = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def as_typed(ctx: click.Context, leave_out: Collection[str] = ("db",)) -> str:
    """``runner COMMAND`` with its arguments and the options given on the command line or through the
    environment, in the command's order; an option left at its default is not repeated (click says which
    were given). ``leave_out``: parameters shown elsewhere (the database has its own row, its password hidden)."""
    words = []
    for param in ctx.command.params:
        name = param.name
        if name is None or name in leave_out or name not in ctx.params or ctx.get_parameter_source(name) not in GIVEN:
            continue
        words += _words(param, ctx.params[name])
    commands: list[str] = []
    at = ctx
    while at.parent is not None:  # the root's own name is how it was started (runner, python -m runner, a test's)
        commands.insert(0, at.info_name or "")
        at = at.parent
    return shlex.join(["runner", *commands, *words])


def _words(param: click.Parameter, value: Any) -> list[str]:
    """How ``param`` gives ``value``: its first declared flag (``-o``, ``--model``) with each value."""
    values = list(value) if param.multiple or (isinstance(param, click.Argument) and param.nargs != 1) else [value]
    if isinstance(param, click.Argument):
        return [str(v) for v in values]
    assert isinstance(param, click.Option)
    if param.is_flag and isinstance(param.type, click.types.BoolParamType):
        # by the value, not flag_value: click 8.5 leaves a plain flag's flag_value unset
        if value:
            return [param.opts[0]]
        return [param.secondary_opts[0]] if param.secondary_opts else []  # --no-weights
    if param.is_flag:
        return [param.opts[0]] if value == param.flag_value else []
    words = []
    for v in values:
        words += [param.opts[0], *(map(str, v) if isinstance(v, tuple) else [str(v)])]
    return words
