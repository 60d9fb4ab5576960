"""Running a sweep from the command line: queue checks, the live view, the summary.

Shared by ``runner run`` (a grid) and ``runner resume``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from runner.formatting import format_loss
from runner.status import ACTIVE, ENDED, FAILURES, RunStatus

if TYPE_CHECKING:
    from runner.config import Resolved
    from runner.execution.executor import PoolOptions, SweepResult
    from runner.store import RunRecord, Store

ORDER = (*ENDED, *ACTIVE)  # how the summary lists the counts


def check_devices(runs: Sequence[Resolved]) -> None:
    """Every explicit device must exist; auto and cuda are placed later (cuda needs a GPU)."""
    from runner.errors import ConfigError
    from runner.training.devices import resolve_device

    for run in runs:
        device = run.config.device
        if device == "mps":
            raise ConfigError("sweeps place runs on the CPU and CUDA GPUs; run an mps run on its own")
        if device != "auto":
            resolve_device(device, run.backend)


def run_sweep(store: Store, db: str | None, sweep: str, options: PoolOptions, show: bool, client: Any = None) -> int:
    """Work through ``sweep``'s queue with ``options``; print the summary; return the exit status.

    ``db`` is what the user gave (or None); the workers open the same database. ``client``: a
    Dask client (runner.cli.executor_options.connect) for --executor dask or slurm.
    """
    from runner.cli.common import warn_unmarked
    from runner.execution.executor import drive
    from runner.execution.executors import EXECUTORS
    from runner.store import resolve_url

    queued = store.list_runs(sweep=sweep, status=RunStatus.QUEUED)
    total = sum(store.sweep_counts(sweep).values())
    # A stop recorded for the sweep stands, even one that came while its grid was stored: only `runner resume`
    # takes it back (runner.cli.resume), so no `runner stop` is ever lost to the sweep it stops.
    executor = EXECUTORS[options.executor].load().new_executor(
        store, resolve_url(db), sweep, options, client, queued, lambda text: click.echo(text, err=True))
    try:
        with live_view(total, show and not options.detach) as on_tick:
            executor.on_tick = on_tick
            result = drive(executor)
    except KeyboardInterrupt:
        click.echo(f"Stopped at once. Resume with: {resume_command(sweep, options)}", err=True)
        return 130
    if options.detach:
        click.echo(f"sweep {sweep}: {len(queued)} runs submitted; follow it with: runner ls --sweep {sweep}")
        return 0
    if result.unmarked:
        warn_unmarked(result.unmarked)
    counts = truthful_counts(store, sweep, result)
    if result.left:
        click.echo(f"Error: {result.left}", err=True)
    click.echo(f"sweep {sweep}: {sum(counts.values())} runs · "
               + " · ".join(f"{counts[s]} {s}" for s in ORDER if counts.get(s)))
    return ending(sweep, counts, result, options, store.sweep_stopped(sweep))


def truthful_counts(store: Store, sweep: str, result: SweepResult) -> dict[RunStatus, int]:
    """The sweep's counts as they stand: where the database took no writes at the end (a full disk), runs it
    still calls running whose process is gone are counted lost, which the next command records."""
    counts = dict(result.counts)
    if result.unmarked:
        dead = len(store.dead_runs(sweep))
        if dead:
            counts[RunStatus.RUNNING] -= dead
            counts[RunStatus.LOST] = counts.get(RunStatus.LOST, 0) + dead
    return counts


def ending(sweep: str, counts: dict[RunStatus, int], result: SweepResult, options: PoolOptions, stopped: bool) -> int:
    """Why the sweep ended short, with the command that goes on with it, on stderr; returns the exit status.

    130 when runs were interrupted or the sweep was asked to stop (Ctrl-C, `runner stop`, a worker stopped by a
    signal), as Ctrl-C's convention goes; 1 when runs failed or were lost, were left queued, or the executor
    left the sweep; 0 otherwise (diverged runs included: they ran to their end)."""
    queued = counts.get(RunStatus.QUEUED, 0)
    interrupted = counts.get(RunStatus.INTERRUPTED, 0)
    lost = counts.get(RunStatus.LOST, 0)
    resume = f"Resume with: {resume_command(sweep, options)}"

    def say(line: str) -> None:
        click.echo(f"{line} {resume}", err=True)

    if result.interrupted:
        say(f"Interrupted: {interrupted} runs interrupted, {queued} still queued.")
        return 130
    if options.fail_fast and queued and any(counts.get(s) for s in FAILURES):  # (a Dask one stops by the flag too)
        say(f"Stopped at the first failure (--fail-fast); {queued} runs still queued.")
        return 1
    if stopped and (interrupted or queued):
        say(f"Stopped: the sweep was asked to stop (runner stop); {interrupted} runs interrupted, {queued} still queued.")
        return 130
    if interrupted:  # a worker stopped by a signal (SIGTERM) interrupts its run, and the sweep goes on without it
        say(f"Interrupted: {interrupted} runs interrupted (their workers were stopped by a signal), "
            f"{queued} still queued.")
        return 130
    if queued:  # every worker stopped (too many restarts, a lost scheduler) before the queue was empty
        say(f"The workers stopped with {queued} runs still queued.")
    elif lost:
        say(f"{lost} runs lost (`runner show RUN` says why).")
    failed = counts.get(RunStatus.FAILED) or lost or result.unmarked  # unmarked: a dead run
    return 1 if queued or failed or result.left else 0


def resume_command(sweep: str, options: PoolOptions) -> str:
    """The command that goes on with ``sweep`` where it was worked: on the same Dask scheduler or SLURM jobs."""
    import shlex

    from runner.execution.executors import EXECUTORS

    return shlex.join(["runner", "resume", sweep, *EXECUTORS[options.executor].load().resume_args(options)])


Tick = Callable[[dict[RunStatus, int], list["RunRecord"]], None]


@contextmanager
def live_view(total: int, enabled: bool) -> Iterator[Tick | None]:
    """One bar for the sweep and a line per running run (on a terminal only)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[loss]}"), TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        overall = bar.add_task("sweep", total=total, loss="")
        lines: dict[int, TaskID] = {}

        def on_tick(counts, running) -> None:
            bar.update(overall, completed=sum(n for s, n in counts.items() if s in ENDED))
            for run in running:
                if run.id not in lines:
                    label = f"  run {run.id} · {run.model} · {run.optimizer} · {run.device}"
                    lines[run.id] = bar.add_task(label, total=run.steps, loss="")
                bar.update(lines[run.id], completed=run.steps_done, loss=f"loss {format_loss(run.final_loss)}")
            for run_id in set(lines) - {r.id for r in running}:
                bar.remove_task(lines.pop(run_id))

        yield on_tick
