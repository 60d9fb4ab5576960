"""runner plugins check NAME: the conformance suite (runner.testing), from the command line."""

from __future__ import annotations

import json

import click

from runner.cli.common import json_option, load_registry
from runner.kinds import NAMES


@click.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(NAMES),
              help="What NAME is, when a model, optimizer or dataset share the name.  [default: found]")
@json_option
@click.pass_context
def check(ctx, name, kind, as_json):
    """Check that plugin NAME registers, trains, reproduces and computes its gradients right.

    Runs on the CPU with the plugin's defaults, for a few steps; prints a
    pass/fail table and exits 1 if any check fails. The checks are the
    ones `runner.testing.assert_conforms` runs in a plugin's own tests.

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
    results = check_plugin(name, kind, registry)
    kind = kind or "plugin"
    ok = all(r.passed for r in results)
    if as_json:
        click.echo(json.dumps({"name": name, "kind": kind, "passed": ok,
                               "checks": [{"name": r.name, "status": r.status, "detail": r.detail} for r in results]},
                              indent=2))
    else:
        click.echo(format_results(results))
        failures = sum(not r.passed for r in results)
        summary = f"{kind} {name!r}: " + ("all checks passed" if ok else f"{failures} of {len(results)} checks failed")
        click.echo(summary, err=not ok)
    ctx.exit(0 if ok else 1)
