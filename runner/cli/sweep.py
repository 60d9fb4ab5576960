"""Running a sweep from the command line: queue checks, the live view, the summary.

Shared by ``runner run`` (a grid) and ``runner resume``.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from runner.formatting import format_loss

ORDER = ("completed", "diverged", "failed", "interrupted", "lost", "queued", "running")


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_devices(configs, registry) -> None:
    """Every explicit device must exist; auto and cuda are placed later (cuda needs a GPU)."""
    from runner.devices import resolve_device
    from runner.errors import ConfigError

    for config in configs:
        if config.device == "mps":
            raise ConfigError("sweeps place runs on the CPU and CUDA GPUs; run an mps run on its own")
        if config.device != "auto":
            resolve_device(config.device, registry.get("model", config.model).spec.backend)


def db_url(db: str | None) -> str:
    from runner.store import DEFAULT_URL

    return db or os.environ.get("RUNNER_DB") or DEFAULT_URL


def run_sweep(store, url: str, sweep: str, options, show: bool) -> int:
    """Work through ``sweep``'s queue with ``options`` (a PoolOptions); print the summary; return the exit status."""
    from runner.scheduler import Scheduler, plan_slots

    queued = store.list_runs(sweep=sweep, status="queued")
    slots = plan_slots(options.jobs, options.per_device, gpu_count(), os.cpu_count() or 1, {r.device for r in queued})
    slots = slots[: len(queued)]
    click.echo(f"sweep {sweep}: {len(queued)} runs queued, {len(slots)} worker{'s' if len(slots) != 1 else ''} "
               f"({', '.join(s.device for s in slots)})", err=True)
    total = sum(store.sweep_counts(sweep).values())
    try:
        with live_view(total, show) as on_tick:
            result = Scheduler(store, url, sweep, slots, options, on_tick).run()
    except KeyboardInterrupt:
        click.echo(f"Stopped at once. Resume with: runner resume {sweep}", err=True)
        return 130
    counts = result.counts
    click.echo(f"sweep {sweep}: {sum(counts.values())} runs · "
               + " · ".join(f"{counts[s]} {s}" for s in ORDER if counts.get(s)))
    if result.interrupted:
        click.echo(f"Interrupted: {counts.get('interrupted', 0)} runs interrupted, {counts.get('queued', 0)} still queued. "
                   f"Resume with: runner resume {sweep}", err=True)
        return 130
    if options.fail_fast and counts.get("queued"):
        click.echo(f"Stopped at the first failure (--fail-fast); {counts['queued']} runs still queued. "
                   f"Resume with: runner resume {sweep}", err=True)
    return 1 if counts.get("failed") or counts.get("lost") else 0


@contextmanager
def live_view(total: int, enabled: bool):
    """One bar for the sweep and a line per running run (on a terminal only)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[loss]}"), TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        overall = bar.add_task("sweep", total=total, loss="")
        lines: dict[int, int] = {}

        def on_tick(counts, running) -> None:
            bar.update(overall, completed=sum(n for s, n in counts.items() if s not in ("queued", "running")))
            for run in running:
                if run.id not in lines:
                    label = f"  run {run.id} · {run.model} · {run.optimizer} · {run.device}"
                    lines[run.id] = bar.add_task(label, total=run.steps, loss="")
                bar.update(lines[run.id], completed=run.steps_done, loss=f"loss {format_loss(run.final_loss)}")
            for run_id in set(lines) - {r.id for r in running}:
                bar.remove_task(lines.pop(run_id))

        yield on_tick
