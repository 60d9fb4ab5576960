"""The ``runner`` command line.

Each command lives in its own module and is imported only when it is
called (or when ``--help`` lists it), so start-up stays light: no command
module imports torch or plotly at import time.
"""

from __future__ import annotations

import errno
import os
import sys

import click

from runner import __version__
from runner.cli.common import LazyGroup

__all__ = ["COMMANDS", "RunnerGroup", "WRITE_ERRORS", "output_failed", "stdout_broken", "written_to_stdout",
    "silence_stdout", "main"]

COMMANDS = {
    "run": "runner.cli.run:run",
    "ls": "runner.cli.ls:ls",
    "show": "runner.cli.show:show",
    "export": "runner.cli.export:export",
    "plugins": "runner.cli.plugins:plugins",
    "rm": "runner.cli.rm:rm",
    "report": "runner.cli.report:report",
    "resume": "runner.cli.resume:resume",
    "weights": "runner.cli.weights:weights",
    "watch": "runner.cli.watch:watch",
    "worker": "runner.cli.worker:worker",
    "stop": "runner.cli.stop:stop",
}


class RunnerGroup(LazyGroup):
    """The top-level group: commands loaded lazily, errors reported in one line."""

    lazy_commands = COMMANDS

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
            sys.stdout.flush()  # a full or closed standard output fails here, where it is reported, not at exit
        except OSError as exc:
            if not output_failed(exc):
                raise  # not an output's failure: a bug, with its traceback
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "runner"
            click.echo(f"Error: {exc.format_message()} (see '{command} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


WRITE_ERRORS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def output_failed(exc: OSError) -> bool:
    """An OSError that reached the top: standard output full or closed (``runner ls > /dev/full``, ``| head -1``),
    as every other failure is turned into a one-line error where it happens. A closed pipe ends the command
    quietly with exit 1, as click does for one met inside a command; anything else is one line, exit 1. Standard output
    then goes to /dev/null, so that Python's flush at exit does not fail again with a traceback."""
    broken = stdout_broken() or written_to_stdout(exc)
    if not broken and exc.errno not in WRITE_ERRORS:
        return False
    if broken:
        silence_stdout()
    if exc.errno == errno.EPIPE:
        sys.exit(1)
    where = "standard output" if broken else "output"
    try:
        click.echo(f"Error: cannot write {where}: {exc.strerror or exc}", err=True)
    except OSError:
        pass
    sys.exit(1)


def stdout_broken() -> bool:
    """Whether standard output fails: what is left in its buffer cannot be written either."""
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def written_to_stdout(exc: OSError) -> bool:
    """Whether ``exc`` was raised while writing to standard output: a function it went through was handed the
    stream (click.echo's ``file``, export's ``out``). Standard output does not always keep the bytes that
    failed, so stdout_broken cannot tell alone."""
    streams = {id(sys.stdout), id(getattr(sys.stdout, "buffer", None))}
    tb = exc.__traceback__
    while tb is not None:
        if any(id(value) in streams for value in tb.tb_frame.f_locals.values()):
            return True
        tb = tb.tb_next
    return False


def silence_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


@click.group(cls=RunnerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="runner")
def main() -> None:
    """Train model plugins with optimizer plugins and record every step's loss.

    \b
    Start with:
      runner run --model dynamic     train DynamicNet as the tutorial does
      runner ls                      list the runs in ./experiments.db
      runner plugins                 list the models and optimizers
    """
    from runner.cli.common import domain_errors
    from runner.environment import check_environment

    with domain_errors():  # a bad $RUNNER_HEARTBEAT_SECONDS, $RUNNER_LOST_AFTER_SECONDS or
        check_environment()  # $RUNNER_SQLITE_BUSY_SECONDS is a usage error, refused before any command runs
