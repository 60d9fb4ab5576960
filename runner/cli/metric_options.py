"""What ls, show and export share about metrics: the --metric option, checking its names, and summaries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from runner.metrics import declared_directions, direction, unknown_metric_message

if TYPE_CHECKING:
    from runner.store import MetricSummary, RunRecord, Store



def split_names(ctx: click.Context, param: click.Parameter, value: Iterable[str]) -> tuple[str, ...]:
    """``--metric a,b --metric c`` as ("a", "b", "c"), each once, in order."""
    names = (name.strip() for option in value for name in option.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def metric_option(help: str) -> Any:
    return click.option("--metric", "metrics", multiple=True, metavar="NAME[,NAME]", callback=split_names, help=help)


def check_metric_names(store: Store, run_ids: Sequence[int], names: Sequence[str]) -> dict[int, list[str]]:
    """Each run's metric names; a usage error (exit 2) for a name that none of ``run_ids`` recorded."""
    recorded = store.metric_names(run_ids) if names else {}
    known = {name for run_names in recorded.values() for name in run_names}
    for name in names:
        if name not in known:
            raise click.UsageError(unknown_metric_message(name, known), ctx=click.get_current_context(silent=True))
    return recorded



def summaries(store: Store, record: RunRecord, names: Iterable[str]) -> dict[str, MetricSummary]:
    """The run's summary of each metric in ``names``, best by the metric's direction."""
    declared = declared_directions([record.config])
    return {name: store.metric_summary(record.id, name, direction(name, declared)) for name in names}
