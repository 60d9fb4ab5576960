"""The progress bar shown while a run trains (on a terminal only): a handler of the loop (runner.training.reporting)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from runner.formatting import format_loss, format_metrics
from runner.training.handlers import Handler
from runner.training.reporting import ReportProgress

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(total: int, label: str, enabled: bool = True) -> Iterator[list[Handler]]:
    """Yield the handlers to give the loop: one that updates the bar, or none when disabled.

    The bar shows the newest values already on the host: showing them costs no device sync.
    """
    if not enabled or not sys.stderr.isatty():
        yield []
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}{task.fields[metrics]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=total, loss="-", metrics="", rate="")

        def update(done: int, loss: float | None, metrics: Mapping[str, float]) -> None:
            speed = bar.tasks[0].speed
            rate = f"{speed:,.0f} steps/s" if speed else ""
            bar.update(task, completed=done, loss=format_loss(loss), metrics=format_metrics(metrics, " "), rate=rate)

        yield [ReportProgress(update)]
