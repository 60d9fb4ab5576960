"""runner plugins: every model, optimizer, dataset and lr schedule, and where it comes from.

``runner plugins new`` and ``runner plugins check`` live in their own
modules, loaded only when called.
"""

from __future__ import annotations

import json
from typing import Any

import click

from runner.cli.common import LazyGroup, format_table, json_option, jsonable, load_registry
from runner.formatting import format_settings
from runner.kinds import DATASET, KINDS, MODEL, OPTIMIZER, SCHEDULE, Kind
from runner.registry import Entry

__all__ = ["describe", "settings", "PluginsGroup", "plugins"]


def describe(kind: Kind[Any], entry: Entry[Any]) -> dict[str, Any]:
    spec, origin = entry.spec, entry.origin
    info = {"name": spec.name, "kind": kind.name, "plugin": origin.plugin, "package": origin.package,
            "version": origin.version, "description": spec.description}
    if kind is MODEL:
        info.update(backend=spec.backend, optimizer=spec.optimizer, lr=spec.lr,
                    optimizer_options=dict(spec.optimizer_options), params=dict(spec.params),
                    dataset=spec.dataset or "random", shapes=list(spec.shapes) if spec.shapes else None)
    elif kind is OPTIMIZER:
        info.update(backends=[b for b in ("torch", "numpy") if spec.builder(b)], lr=spec.lr, options=dict(spec.options))
    elif kind is SCHEDULE:
        info.update(params=dict(spec.params), shape=list(spec.shape), torch=spec.torch is not None)
    else:
        info.update(params=dict(spec.params))
    return info


def settings(values: dict) -> str:
    return format_settings(values) or "-"


class PluginsGroup(LazyGroup):
    lazy_commands = {
        "new": "runner.cli.plugins_new:new",
        "check": "runner.cli.plugins_check:check",
    }


@click.group(cls=PluginsGroup, invoke_without_command=True)
@json_option
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List the models, optimizers, datasets and lr schedules that plugins provide.

    \b
    Writing your own (see docs/plugins.md):
      runner plugins new NAME      scaffold an installable plugin package
      runner plugins check NAME    run the conformance checks on one plugin
    Set RUNNER_TRACE_PLUGINS=1 to see every plugin load and hook call.
    """
    if ctx.invoked_subcommand is not None:
        return
    registry = load_registry()
    listed = {kind: [describe(kind, e) for _, e in sorted(registry.table(kind).items())] for kind in KINDS}
    if as_json:
        errors = [{"plugin": f.plugin, "message": f.message} for f in registry.errors]
        click.echo(json.dumps(jsonable({**{k.plural: v for k, v in listed.items()}, "errors": errors}), indent=2))
        return
    click.echo("Models")
    click.echo(format_table(
        ("NAME", "BACKEND", "OPTIMIZER", "LR", "SETTINGS", "PLUGIN", "PACKAGE"),
        [(m["name"], m["backend"], " ".join([m["optimizer"], settings(m["optimizer_options"])]).replace(" -", ""),
          f"{m['lr']:g}", settings(m["params"]), m["plugin"], f"{m['package']} {m['version']}")
         for m in listed[MODEL]]))
    click.echo("\nOptimizers")
    click.echo(format_table(
        ("NAME", "BACKENDS", "LR", "SETTINGS", "PLUGIN", "PACKAGE"),
        [(o["name"], ",".join(o["backends"]), "-" if o["lr"] is None else f"{o['lr']:g}", settings(o["options"]),
          o["plugin"], f"{o['package']} {o['version']}")
         for o in listed[OPTIMIZER]]))
    click.echo("\nDatasets")
    click.echo(format_table(
        ("NAME", "SETTINGS", "PLUGIN", "PACKAGE"),
        [(d["name"], settings(d["params"]), d["plugin"], f"{d['package']} {d['version']}") for d in listed[DATASET]]))
    click.echo("\nSchedules")
    click.echo(format_table(
        ("NAME", "SETTINGS", "PLUGIN", "PACKAGE"),
        [(s["name"], settings(s["params"]), s["plugin"], f"{s['package']} {s['version']}") for s in listed[SCHEDULE]]))
