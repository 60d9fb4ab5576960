"""Small pieces the commands share: options, error translation, formatting."""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from runner.errors import ConfigError, OptionError, RunnerError
from runner.formatting import printable

if TYPE_CHECKING:
    from runner.registry import Registry
    from runner.store import Store

__all__ = ["DbOption", "LazyGroup", "domain_errors", "InputError", "open_store", "mark_lost", "warn_unmarked",
    "load_registry", "jsonable", "format_table"]


class DbOption(click.Option):
    """``--db``. When it is not given, runner.store.resolve_url picks the database; its help
    says what that default is, read from the store only when the help is shown."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from runner.store import DEFAULT_URL, URL_VARIABLE

        self.help = f"Database URL or SQLite file path.  [default: ${URL_VARIABLE}, else {DEFAULT_URL}]"
        return super().get_help_record(ctx)


db_option = click.option("--db", cls=DbOption, metavar="URL", default=None)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
class LazyGroup(click.Group):
    """A group whose commands (``name: "module:attribute"`` in ``lazy_commands``) are
    imported only when called or listed, so that start-up stays light."""

    lazy_commands: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy_commands:
            return None
        module, _, attr = self.lazy_commands[name].partition(":")
        return getattr(importlib.import_module(module), attr)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the core's errors into click's one-line errors: the user's input at fault (a ConfigError) is
    a usage error, exit status 2; a plugin's or the database's fault exits 1."""
    try:
        yield
    except OptionError as exc:
        raise click.UsageError(str(exc), click.get_current_context(silent=True)) from exc
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    except RunnerError as exc:
        raise click.ClickException(str(exc)) from exc


class InputError(click.ClickException):
    """A name, setting or device that cannot work: the user's to fix, so exit status 2 (its message says how)."""

    exit_code = 2


def open_store(db: str | None, create: bool = True, must_exist: bool = False) -> Store:
    """The store at ``db`` (see runner.store.resolve_url), errors as one line; use it in a ``with`` block.
    Commands that only read pass ``create=False``: they never create or upgrade a schema. Commands that work
    on stored runs pass ``must_exist``: a database file that is not there is refused (exit 2), not created."""
    from runner.store import open_store as _open

    with domain_errors():
        return _open(db, create=create, must_exist=must_exist)


def mark_lost(store: Store) -> None:
    """``store.mark_lost()`` for a command that shows runs: if the database takes no writes (a full
    disk), a warning on stderr, and the command goes on (the next one marks them)."""
    from runner.errors import StorageError

    try:
        store.mark_lost()
    except StorageError as exc:
        warn_unmarked(str(exc))


def warn_unmarked(reason: str) -> None:
    """One line on stderr: dead runs may still show as running, until a command can mark them lost."""
    click.echo(f"warning: runs whose process died are not marked lost yet: {reason}", err=True)


def load_registry() -> Registry:
    """The plugin registry; skipped plugins are reported as warnings on stderr."""
    from runner.registry import load_registry as _load

    registry = _load()
    for fault in registry.errors:
        click.echo(f"warning: {fault}", err=True)
    return registry


def jsonable(value: Any) -> Any:
    """Plain JSON: non-finite floats become the strings 'nan', 'inf', '-inf'."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain, aligned text table (stable in pipes and tests, unlike a TTY renderer)."""
    cells = [[str(c) for c in headers]] + [[("-" if c is None else printable(str(c))) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)
