"""runner show: one run's full record, a summary of its losses and of each of its metrics, and its events."""

from __future__ import annotations

import dataclasses
import json

import click

from runner.cli.common import db_option, domain_errors, format_table, json_option, jsonable, mark_lost, open_store
from runner.cli.metric_options import summaries
from runner.cli.params import RUN_ID
from runner.cli.run_options import as_flags, settings_flags
from runner.formatting import format_bytes, format_early_stop, format_loss, format_schedule, format_settings, printable

__all__ = ["record_lines", "show", "keeps", "metric_table"]


def record_lines(r) -> list[tuple[str, str]]:
    config = r.config or {}
    duration = (r.ended_at - r.started_at).total_seconds() if r.ended_at and r.started_at else None
    return [
        ("name", r.name or "-"),
        ("sweep", r.sweep or "-"),
        ("status", r.status + (f", {format_early_stop(r.early_stop)}" if r.early_stop else "")),
        ("model", f"{r.model}  {format_settings(config.get('model_params', {}))}".rstrip()),
        ("optimizer", f"{r.optimizer}  lr={r.lr:g} {format_settings(config.get('optimizer_options', {}))}".rstrip()),
        ("dataset", f"{r.dataset}  {format_settings(config.get('dataset_params', {}))}".rstrip()),
        *([("schedule", format_schedule(config))] if format_schedule(config) else []),
        ("seed", str(r.seed)),
        ("settings", settings_flags(r)),
        ("device", r.device),
        ("threads", threads_line(r)),
        ("steps", f"{r.steps_done} of {r.steps}"),
        ("final loss", format_loss(r.final_loss)),
        ("best loss", format_loss(r.best_loss)),
        ("started", str(r.started_at or "-")),
        ("ended", str(r.ended_at or "-")),
        ("duration", f"{duration:.2f} s" if duration is not None else "-"),
        ("host", f"{r.host} (pid {r.pid})" + (f", slot {r.slot}" if r.slot else "")),
        ("attempts", str(r.attempts)),
        ("options", as_flags(r.options)),
        ("versions", f"python {r.python_version} · torch {r.torch_version} · numpy {r.numpy_version} · "
                     f"runner {r.runner_version}"),
        ("packages", packages_line(r.packages)),
    ]


def threads_line(r) -> str:
    """The CPU threads a run trained with, and what set them."""
    if r.threads is None:
        return "-" if r.packages is None else "not known (a NumPy model's BLAS, without threadpoolctl)"
    asked = (r.options or {}).get("threads")
    return f"{r.threads}" + (" (--threads)" if asked is not None else "")


def packages_line(packages) -> str:
    """``runner 0.1.0 (0a3f972) · runner-lion 0.2.0``: what a run trained with (runs.packages), ``-`` before 0010."""
    from runner.training.provenance import describe

    if not isinstance(packages, dict) or not packages:
        return "-"
    return " · ".join(f"{name} {describe(entry)}" for name, entry in packages.items())


@click.command()
@click.argument("run_id", type=RUN_ID, metavar="RUN")
@json_option
@db_option
def show(run_id: int, as_json: bool, db: str | None) -> None:
    """Show RUN's record, its loss summary, each metric's first, final and best value, any error, and its
    events (when it was marked lost and why, and if its process turned out alive)."""
    with open_store(db, create=False, must_exist=True) as store, domain_errors():
        mark_lost(store)
        record = store.get_run(run_id)
        kept = store.artifacts([run_id])[run_id]
        summary = store.loss_summary(run_id)
        metrics = summaries(store, record, store.metric_names([run_id])[run_id])
        events = store.events(run_id)
    if as_json:
        data = {**dataclasses.asdict(record), "losses": dataclasses.asdict(summary),
                "keeps": [dataclasses.asdict(a) for a in kept],
                "metrics": {name: dataclasses.asdict(m) for name, m in metrics.items()},
                "events": [dataclasses.asdict(e) for e in events]}
        click.echo(json.dumps(jsonable(data), indent=2))
        return
    click.echo(f"run {record.id}")
    for key, value in [*record_lines(record), ("keeps", keeps(kept, (record.config or {}).get("keep_best")))]:
        click.echo(f"  {key:<11} {printable(value)}")
    click.echo("losses")
    for key, value in dataclasses.asdict(summary).items():
        shown = format_loss(value) if isinstance(value, float) else value
        click.echo(f"  {key.replace('_', ' '):<20} {shown}")
    if metrics:
        click.echo("metrics")
        click.echo("  " + metric_table(metrics.values()).replace("\n", "\n  "))
    if record.error:
        click.echo("error")
        click.echo("\n".join(f"  {printable(line)}" for line in record.error.rstrip().splitlines()))
    if events:
        click.echo("events")
        for e in events:
            click.echo(f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.kind:<8} {printable(e.detail or '')}")


def keeps(kept, best_by: str | None = None) -> str:
    """``checkpoint at step 120 (35.2 kB, in the database) · weights at step 300 (12.1 kB, /path/file.pt)``; the
    best weights (--keep-best) as ``best val_loss weights at step 240 (...)``."""
    if not kept:
        return "nothing but its numbers"

    def kind(a) -> str:
        return f"best {best_by or ''} weights".replace("  ", " ") if a.kind == "best" else a.kind

    return " · ".join(f"{kind(a)} at step {a.step} ({format_bytes(a.size)}, {a.file or 'in the database'})"
                      for a in kept)


def metric_table(metrics) -> str:
    headers = ("NAME", "VALUES", "FIRST", "FINAL", "BEST", "BEST STEP", "BETTER")
    rows = [(m.name, m.count, format_loss(m.first), format_loss(m.final), format_loss(m.best), m.best_step,
             "higher" if m.direction == "max" else "lower") for m in metrics]
    return format_table(headers, rows)
