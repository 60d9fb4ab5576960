"""The command-line options of ``runner.training.options.ExecOptions``, for ``runner run`` and ``runner resume`` alike.

One click option per field, in one table: ``@execution_options`` adds them
all to a command and ``execution(kwargs)`` takes their values back out as
an ``ExecOptions``. A new run option is a field there and a line here; the
commands, the sweep workers and the tests pick it up (tests/cli/test_execution.py
checks that every travelling field has its option).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from runner.checkpoints.every import DEFAULT as CHECKPOINT_EVERY
from runner.cli.params import SECONDS
from runner.environment import MAX_THREADS
from runner.training.patience import DEFAULT_DEADLINE

if TYPE_CHECKING:
    from runner.training.options import ExecOptions

__all__ = ["INTERNAL", "OPTIONS", "execution_options", "given", "as_flags", "DERIVED", "settings_flags", "execution"]

INTERNAL = {"flush_seconds"}  # ExecOptions fields that are no command-line option (tests set them)


def _every(value: Any) -> Any:
    """--checkpoint-every, checked as the command line is read (a usage error, exit 2)."""
    from runner.checkpoints.every import parse_every
    from runner.errors import OptionError

    try:
        parse_every(value)
    except OptionError as exc:
        raise click.BadParameter(str(exc).replace("checkpoint_every must be", "must be")) from None
    return value


OPTIONS: dict[str, Callable[[Any], Any]] = {
    "step_timeout": click.option(
        "--step-timeout", type=SECONDS, metavar="SECONDS",
        help="Fail a run whose step takes longer than this (see docs/plugins.md for the limits)."),
    "db_deadline": click.option(
        "--db-deadline", type=SECONDS, default=DEFAULT_DEADLINE, show_default=True, metavar="SECONDS",
        help="Ride out a database that fails (locked, full, unreachable) for this long, keeping the steps in memory, "
             "before failing the run."),
    "checkpoint_every": click.option(
        "--checkpoint-every", default=CHECKPOINT_EVERY, show_default=True, metavar="TIME|N steps",
        callback=lambda ctx, param, value: _every(value),
        help="Keep a checkpoint this often, e.g. 60s or '500 steps' (and always on Ctrl-C or SIGTERM): "
             "runner resume continues from it."),
    "keep_checkpoints": click.option(
        "--keep-checkpoints", type=click.IntRange(1, 1000), default=1, show_default=True, metavar="N",
        help="How many of a run's newest checkpoints to keep."),
    "artifacts": click.option(
        "--artifacts", type=click.Path(exists=True, file_okay=False, writable=True), metavar="DIR",
        help="Keep checkpoints and weights as files under DIR (the database keeps their paths and checksums) "
             "instead of in the database: better for models over about 100 MB."),
    "weights": click.option(
        "--weights/--no-weights", default=None,
        help="Keep the run's final weights (runner weights RUN).  [default: kept up to 256 MB; --weights above]"),
    "threads": click.option(
        "--threads", type=click.IntRange(1, MAX_THREADS), metavar="N",
        help="CPU threads for torch (and a NumPy model's BLAS).  [default: $OMP_NUM_THREADS; else 1 per sweep "
             "worker, torch's own for a single run]"),
}


def execution_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add every option of OPTIONS to ``command`` (in the table's order in --help)."""
    for option in reversed(OPTIONS.values()):
        command = option(command)
    return command


def given(ctx: click.Context) -> set[str]:
    """The names of OPTIONS set on the command line (or through the environment), not left at their defaults:
    those that override what a resumed run recorded."""
    from click.core import ParameterSource

    unset = (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    return {name for name in OPTIONS if ctx.get_parameter_source(name) not in unset}


def as_flags(recorded: Any) -> str:
    """A run's recorded options (runs.options) as the flags that give them, in the table's order: ``-`` for none."""
    import shlex

    if not isinstance(recorded, dict):
        return "-"
    words = []
    for name in OPTIONS:
        value = recorded.get(name)
        flag = "--" + name.replace("_", "-")
        if name == "weights":
            words += [] if value is None else ["--weights" if value else "--no-weights"]
        elif value is not None:
            words += [flag, shlex.quote(str(value))]
    return " ".join(words) or "-"


DERIVED = {"metric_directions", "schedule_params"}  # training options from its plugins, not its command line


def settings_flags(record: Any) -> str:
    """The training options a stored run was given (RunConfig.training_options: --batch-size, --eval-every,
    --track and any added since) as the flags that give them, ``-`` for none."""
    import shlex

    from runner.config import RunConfig

    try:
        config = RunConfig(model=record.model, optimizer=record.optimizer, dataset=record.dataset, lr=record.lr,
                           steps=record.steps, seed=record.seed, **(record.config or {}))
    except TypeError:  # a run recorded by a newer runner, with a training option this one does not know
        return "-"
    words = []
    for name, value in config.training_options().items():
        if name in DERIVED:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            words.append(flag)
        else:
            shown = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
            words += [flag, shlex.quote(shown)]
    return " ".join(words) or "-"


def execution(kwargs: dict[str, Any]) -> ExecOptions:
    """Take the values of OPTIONS out of a command's ``kwargs`` (removing them) as an ExecOptions."""
    from runner.training.options import ExecOptions

    values = {name: kwargs.pop(name) for name in OPTIONS}
    return ExecOptions(**{name: value for name, value in values.items() if value is not None})
