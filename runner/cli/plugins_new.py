"""runner plugins new NAME: scaffold an installable plugin package."""

from __future__ import annotations

from pathlib import Path

import click

from runner.cli.common import domain_errors, load_registry


@click.command()
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["model", "optimizer", "dataset"]), default="model", show_default=True,
              help="What the plugin provides.")
def new(name, directory, kind):
    """Write a new plugin package NAME into DIRECTORY (default: ./runner-NAME).

    The package has a pyproject.toml with the `runner` entry point, the
    plugin module and a test that runs runner's conformance suite. Right
    after `pip install -e DIRECTORY`, its test passes and runner uses it.

    \b
    Examples:
      runner plugins new tiny
      runner plugins new signsgd --kind optimizer
      runner plugins new spiral --kind dataset plugins/spiral
    """
    from runner.scaffold import ROLES, RUN_COMMAND, names_for, scaffold

    registry = load_registry()
    taken = {n for kind_ in ("model", "optimizer", "dataset") for n in registry.table(kind_)}
    directory = directory or Path(names_for(name)["dist"])
    with domain_errors():
        written = scaffold(name, kind, directory, taken)
    click.echo(f"Created the {kind} plugin {name!r} in {directory}/")
    width = max(len(str(p)) for p in written)
    for path in written:
        role = ROLES.get(path.name, "runs runner's conformance suite on it" if path.parent.name == "tests" else "")
        click.echo(f"  {str(path).ljust(width)}  {role}".rstrip())
    click.echo("Next:")
    for step in (f"pip install -e {directory}", f"pytest {directory}", f"runner plugins check {name}",
                 RUN_COMMAND[kind].format(name=name)):
        click.echo(f"  {step}")
