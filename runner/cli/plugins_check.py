"""runner plugins check NAME: the conformance suite (runner.testing), from the command line."""

from __future__ import annotations

import json

import click

from runner.cli.common import json_option, load_registry
from runner.cli.params import Seconds
from runner.kinds import NAMES
from runner.testing.suite import CHECK_TIMEOUT

__all__ = ["check"]


@click.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(NAMES),
              help="What NAME is, when a model, optimizer or dataset share the name.  [default: found]")
@click.option("--timeout", type=Seconds(0.0, low_open=False), default=CHECK_TIMEOUT, show_default=True, metavar="SECONDS",
              help="A check still running after this long fails, naming the plugin (0: no limit).")
@json_option
@click.pass_context
def check(ctx: click.Context, name: str, kind: str | None, timeout: float, as_json: bool) -> None:
    """Check that plugin NAME registers, trains, reproduces, computes its gradients and reports its metrics right.

    Runs on the CPU with the plugin's defaults, for a few steps; prints a
    pass/fail table and exits 1 if any check fails. The checks are the
    ones `runner.testing.assert_conforms` runs in a plugin's own tests.
    Each check is named on stderr as it starts. A check that trains with
    another installed plugin does not fail when that plugin is broken on
    its own: it warns about it.

    \b
    Examples:
      runner plugins check dynamic
      runner plugins check rmsprop
      runner plugins check random --kind dataset
    """
    from runner.testing import check_plugin, find_kind, format_results  # imported here: it is heavier than the CLI

    registry = load_registry()
    if kind is None and any(name in registry.table(k) for k in NAMES):
        try:
            kind = find_kind(registry, name)
        except ValueError as exc:
            raise click.UsageError(str(exc).replace("kind=", "--kind")) from exc
    subject = f"{kind or 'plugin'} {name!r}"

    def progress(number: int, total: int, check_name: str) -> None:
        click.echo(f"[{number}/{total}] {subject}: {check_name}", err=True)

    results = check_plugin(name, kind, registry, timeout or None, progress)
    ok = all(r.passed for r in results)
    if as_json:
        click.echo(json.dumps({"name": name, "kind": kind or "plugin", "passed": ok,
                               "checks": [{"name": r.name, "status": r.status, "detail": r.detail, "warnings": list(r.warnings)}
                                          for r in results]},
                              indent=2))
    else:
        click.echo(format_results(results))
        failures = sum(not r.passed for r in results)
        warned = sum(len(r.warnings) for r in results)
        summary = f"{subject}: " + ("all checks passed" if ok else f"{failures} of {len(results)} checks failed")
        summary += f" ({warned} warning{'s' if warned != 1 else ''} about other plugins)" if warned else ""
        click.echo(summary, err=not ok)
    ctx.exit(0 if ok else 1)
