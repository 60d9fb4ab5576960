"""runner plugins new NAME: scaffold an installable plugin package."""

from __future__ import annotations

from pathlib import Path

import click

from runner.cli.common import domain_errors, load_registry
from runner.kinds import NAMES

__all__ = ["kinds_option", "new"]


def kinds_option(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from runner.errors import ConfigError
    from runner.scaffold import parse_kinds

    try:
        return parse_kinds(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


@click.command()
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--kind", "kinds", metavar="KIND[,KIND]", default="model", show_default=True, callback=kinds_option,
              help=f"What the plugin provides: {', '.join(NAMES)}, or several of them in one package.")
def new(name: str, directory: Path | None, kinds: tuple[str, ...]) -> None:
    """Write a new plugin package NAME into DIRECTORY (default: ./runner-NAME).

    The package has a pyproject.toml with the `runner` entry point, the
    plugin module and a test that runs runner's conformance suite. Right
    after `pip install -e DIRECTORY`, its test passes and runner uses it.
    With several kinds, one package registers a model, optimizer,
    dataset or schedule called NAME of each.

    \b
    Examples:
      runner plugins new tiny
      runner plugins new signsgd --kind optimizer
      runner plugins new spiral --kind dataset plugins/spiral
      runner plugins new linear_decay --kind schedule
      runner plugins new lab --kind model,optimizer,dataset
    """
    from runner.scaffold import ROLES, in_words, names_for, next_steps, scaffold

    registry = load_registry()
    taken = {n for kind in NAMES for n in registry.table(kind)}
    directory = directory or Path(names_for(name)["dist"])
    with domain_errors():
        written = scaffold(name, kinds, directory, taken)
    click.echo(f"Created the {in_words(kinds)} plugin {name!r} in {directory}/")
    width = max(len(str(p)) for p in written)
    for path in written:
        role = ROLES.get(path.name, "runs runner's conformance suite on it" if path.parent.name == "tests" else "")
        click.echo(f"  {str(path).ljust(width)}  {role}".rstrip())
    click.echo("Next:")
    for step in next_steps(name, kinds, str(directory)):
        click.echo(f"  {step}")
