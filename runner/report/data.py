"""What a report shows, gathered from the store into plain frozen dataclasses.

Nothing here draws: ``gather`` selects the runs, reads their stored steps
into NumPy arrays (every one, or with a Budget about as many as are drawn:
runner.report.reading), summarises each run, and groups the runs that differ
only by seed. ``runner.report.figures`` draws the result.

A run's training time is the ``elapsed`` of its last stored step, which the
engine measures from the first step; ``started_at``/``ended_at`` also cover
the worker's start-up (importing torch, building the model), which can be
ten times longer than training a small model, so the two are kept apart.
"""

from __future__ import annotations

import platform
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

import numpy as np

from runner.config import LR_FROM_OPTIMIZER
from runner.errors import RunnerError
from runner.formatting import canonical
from runner.kinds import KINDS
from runner.metrics import Direction, declared_directions
from runner.processes import host_name
from runner.report.budget import Budget
from runner.report.metric_data import (
    LOSS,
    Best,
    GroupMetric,
    RunMetric,
    bounds_of,
    check_names,
    choose_best,
    group_metric,
    metric_direction,
    run_metric,
)
from runner.report.ranking import Side, side_of
from runner.report.reading import Sampling, Series, read_metric, read_steps
from runner.report.stats import Band, band_of, spread
from runner.store import LossSummary, RunRecord, Store
from runner.store.rows import environment

__all__ = [
    "Band",
    "Group",
    "NoRunsSelected",
    "Provenance",
    "ReportData",
    "RunData",
    "Sampling",
    "Selection",
    "Series",
    "UNSET",
    "canonical",
    "config_items",

    "entry_final",
    "gather",
    "repeated_runs",
    "schedule_items",
]

# Config keys in the order a diff lists them; model, optimizer and dataset settings follow.
BASE_KEYS = ("model", "optimizer", "dataset", "lr", "steps", "seed", "device")
SECTIONS = tuple((kind.name, kind.config_key) for kind in KINDS)  # ("model", "model_params"), ...


class NoRunsSelected(RunnerError):
    """The selection matched no run."""


@dataclass(frozen=True)
class RunData:
    """One run as a report shows it."""

    id: int
    name: str | None
    label: str  # "#12" or "#12 name"
    model: str
    optimizer: str
    dataset: str
    lr: float
    steps: int  # planned
    seed: int
    device: str
    status: str
    sweep: str | None
    params: dict[str, Any]  # "model.hidden": 100, "optimizer.momentum": 0.9, ...
    summary: LossSummary  # what store.loss_summary gives, computed from ``series`` (and the count of steps stored)
    divergence_step: int | None  # the first step whose loss is not finite
    training_time: float | None  # seconds from the first step to the last stored one (its ``elapsed``)
    startup: float | None  # the rest of started_at..ended_at: start-up before the first step (and the last write)
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None  # the last line of a failed run's traceback
    host: str | None
    versions: dict[str, str | None]  # runner, torch, numpy, python as the run recorded them
    series: Series = field(repr=False)  # every stored step, or the rows read (ReportData.sampling)
    metric_names: tuple[str, ...] = ()  # every metric the run recorded, gathered or not
    lr_implied: bool = False  # no --lr: the lr is its optimizer's declared one (RunConfig.lr_source), part of it
    metrics: dict[str, RunMetric] = field(default_factory=dict, repr=False)  # the gathered ones it recorded
    threads: int | None = None  # the CPU threads it trained with (runs.threads)
    packages: dict[str, Any] = field(default_factory=dict)  # {distribution: {"version", "commit"}} (runs.packages)
    early_stop: dict[str, Any] | None = None  # how it stopped early (runs.early_stop); None: it did not

    @property
    def config(self) -> dict[str, Any]:
        """Every setting that determines the run, flat: model, ..., seed, device, model.hidden, ..."""
        return config_items(self)


@dataclass(frozen=True)
class Group:
    """Runs that differ only by seed (two or more, each seed once)."""

    key: str  # "g1", "g2", ... in order of their first run
    label: str
    model: str
    optimizer: str
    lr: float
    device: str
    run_ids: tuple[int, ...]
    seeds: tuple[int, ...]
    statuses: tuple[str, ...]  # per run, as run_ids
    final_mean: float | None  # over the runs whose final loss is finite
    final_std: float | None
    final_min: float | None
    final_max: float | None
    nonfinite_finals: int
    best_loss: float | None  # the lowest finite loss of any run
    steps_per_second: float | None  # mean over runs
    training_time: float | None  # mean over runs
    startup: float | None  # mean over the runs that know theirs
    band: Band = field(repr=False)
    metrics: dict[str, GroupMetric] = field(default_factory=dict, repr=False)  # the gathered ones its runs recorded

    @property
    def status(self) -> str:
        """'completed', or a count per status such as '2 completed, 1 diverged'."""
        counts: dict[str, int] = {}
        for status in self.statuses:
            counts[status] = counts.get(status, 0) + 1
        if len(counts) == 1:
            return next(iter(counts))
        return ", ".join(f"{n} {s}" for s, n in counts.items())


@dataclass(frozen=True)
class Selection:
    """What the user asked for: these runs (none: every run), of this sweep, models and statuses, each given once."""

    run_ids: tuple[int, ...] = ()
    sweep: str | None = None
    models: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("run_ids", "models", "statuses"):  # in order, once each, from any iterable the caller has
            object.__setattr__(self, name, tuple(dict.fromkeys(getattr(self, name))))

    def describe(self) -> str:
        parts = []
        if self.run_ids:
            parts.append("runs " + " ".join(map(str, self.run_ids)))
        if self.sweep is not None:
            parts.append(f"sweep {self.sweep}")
        if self.models:
            parts.append("model " + " or ".join(self.models))
        if self.statuses:
            parts.append("status " + " or ".join(self.statuses))
        return ", ".join(parts) or "all runs"


@dataclass(frozen=True)
class Provenance:
    """Where and how the report was built."""

    runner_version: str | None
    torch_version: str | None
    numpy_version: str | None
    python_version: str | None
    host: str
    created_at: datetime
    command: str | None
    database: str


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows."""

    selection: Selection
    runs: tuple[RunData, ...]  # by id
    groups: tuple[Group, ...]
    varying: tuple[str, ...]  # config keys whose values differ between the runs
    constant: dict[str, Any]  # the other config keys, with their one value
    provenance: Provenance
    metrics: tuple[str, ...] = ()  # the metrics gathered, as asked for
    directions: dict[str, Direction] = field(default_factory=dict)  # of each gathered metric: "min" or "max"
    best: Best | None = None  # the entry --best marks, or those tied (None: not asked for, or no finite value)
    sampling: Sampling = field(default_factory=Sampling)  # how the steps were read: every one, or some of long runs
    metric_sampling: dict[str, Sampling] = field(default_factory=dict)  # how each gathered metric was read
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # of each bounded metric (accuracy: 0 to 1)

    def run(self, run_id: int) -> RunData:
        return self._by_id[run_id]

    @cached_property
    def _by_id(self) -> dict[int, RunData]:
        return {r.id: r for r in self.runs}

    def group_of(self, run_id: int) -> Group | None:
        for g in self.groups:
            if run_id in g.run_ids:
                return g
        return None

    @property
    def singles(self) -> tuple[RunData, ...]:
        """The runs in no group."""
        grouped = {i for g in self.groups for i in g.run_ids}
        return tuple(r for r in self.runs if r.id not in grouped)

    def entries(self) -> list[Group | RunData]:
        """Groups and ungrouped runs, in order of their first run id."""
        return entries_of(self.runs, self.groups)

    @property
    def recorded(self) -> tuple[str, ...]:
        """Every metric some run recorded, gathered or not, sorted."""
        return tuple(sorted({name for r in self.runs for name in r.metric_names}))


def gather(
    store: Store,
    selection: Selection | None = None,
    *,
    metrics: Iterable[str] = (),
    best: str | None = None,
    command: str | None = None,
    now: datetime | None = None,
    budget: Budget | None = None,
) -> ReportData:
    """The report data for the selected runs.

    The runs that ``selection`` names (None: every run). ``metrics`` are read at every stored
    step; ``best`` (a metric, gathered with them, or ``"loss"``) picks the
    entry with the best final value. Raises NoRunsSelected when nothing is
    left, UnknownMetric for a metric no selected run recorded (before
    reading any step), RunNotFound for an absent run id, StorageError as
    the store does. With a ``budget``, a long run's steps are read in part,
    about as many as its line draws (``data.sampling`` says which and how);
    its summary stays exact.
    """
    selection = selection or Selection()
    records = select_runs(store, selection)
    if not records:
        raise NoRunsSelected(f"no runs match the selection ({selection.describe()}) in {store.url}; see `runner ls`")
    recorded = store.metric_names([r.id for r in records])
    names = tuple(dict.fromkeys([*metrics, *([best] if best not in (None, LOSS) else [])]))
    check_names(names, best, {name for found in recorded.values() for name in found})
    declared = declared_directions(r.config for r in records)
    directions = {name: metric_direction(name, declared) for name in names}
    points = None
    if budget is not None:  # the points each line draws: a seed group's mean and band take their share
        bare = tuple(run_data(r, Series.empty()) for r in records)
        points = budget.per_line(len(records), len(group_by_seed(bare)))
    runs, sampling, metric_sampling = read_runs(store, records, recorded, directions, points)
    return assemble(selection, tuple(runs), directions, declared, best, provenance(command, store.url, now), sampling,
                    metric_sampling)


def assemble(
    selection: Selection,
    runs: tuple[RunData, ...],
    directions: dict[str, Direction],  # of each metric gathered, in the order asked
    declared: dict[str, str],  # the directions the runs' models declare (runner.metrics.declared_directions)
    best: str | None,
    made: Provenance,
    sampling: Sampling | None = None,
    metric_sampling: dict[str, Sampling] | None = None,
) -> ReportData:
    """The report of ``runs`` (read whole or in part): what varies, the seed groups and the best entry.
    ``gather`` and runner.watch, which reads the runs as they grow, both end here."""
    names, sampling, metric_sampling = tuple(directions), sampling or Sampling(), metric_sampling or {}
    varying, constant = config_diff(runs)
    parted = {LOSS: set(sampling.sampled), **{name: set(s.sampled) for name, s in metric_sampling.items()}}
    groups = group_by_seed(runs, directions, parted)
    chosen = None
    if best is not None:
        way = directions.get(best) or metric_direction(best, declared)
        by_id = {r.id: r for r in runs}
        chosen = choose_best(best, way, [(e, final_side(e, by_id, best if best == LOSS or best in names else None))
                                         for e in entries_of(runs, groups)])
    bounds = {name: bound for name in names
              if (bound := bounds_of(name, (r.metrics[name].series.value for r in runs if name in r.metrics)))}
    return ReportData(selection, runs, groups, varying, constant, made, names, directions, chosen,
                      sampling, metric_sampling, bounds)


def final_side(entry: Group | RunData, by_id: Mapping[int, RunData], name: str | None) -> Side:
    """The entry's final values of the loss or metric ``name`` by seed (None: not gathered), for the ranking."""
    members = [by_id[i] for i in entry.run_ids] if isinstance(entry, Group) else [entry]
    return side_of(entry.label, entry.key if isinstance(entry, Group) else f"#{entry.id}",
                   ((r.seed, r.status, run_final(r, name)) for r in members))


def run_final(run: RunData, name: str | None) -> float | None:
    if name == LOSS:
        return run.summary.final_loss
    return run.metrics[name].summary.final if name is not None and name in run.metrics else None


def provenance(command: str | None, database: str, now: datetime | None = None) -> Provenance:
    """Who made a report, where, when and with what."""
    env = environment()
    return Provenance(
        runner_version=env["runner_version"],
        torch_version=env["torch_version"],
        numpy_version=env["numpy_version"],
        python_version=env["python_version"] or platform.python_version(),
        host=host_name(),
        created_at=now or datetime.now(timezone.utc),
        command=command,
        database=database,
    )


def entries_of(runs: Sequence[RunData], groups: Sequence[Group]) -> list[Group | RunData]:
    """Groups and the runs in none, in order of their first run id."""
    grouped = {i for g in groups for i in g.run_ids}
    items: list[tuple[int, Group | RunData]] = [(g.run_ids[0], g) for g in groups]
    items += [(r.id, r) for r in runs if r.id not in grouped]
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def entry_final(entry: Group | RunData, name: str) -> float | None:
    """A run's final value of the loss or a metric; a group's mean over its runs' finite ones."""
    if isinstance(entry, Group):
        if name == LOSS:
            return entry.final_mean
        return entry.metrics[name].final.mean if name in entry.metrics else None
    if name == LOSS:
        return entry.summary.final_loss
    return entry.metrics[name].summary.final if name in entry.metrics else None


def select_runs(store: Store, selection: Selection) -> list[RunRecord]:
    """The selected runs, by id."""
    if selection.run_ids:
        records = [store.get_run(i) for i in selection.run_ids]
    else:
        filters: dict[str, Any] = {}
        if len(selection.models) == 1:
            filters["model"] = selection.models[0]
        if len(selection.statuses) == 1:
            filters["status"] = selection.statuses[0]
        if selection.sweep is not None:
            filters["sweep"] = selection.sweep
        records = store.list_runs(**filters)
    if selection.models:
        records = [r for r in records if r.model in selection.models]
    if selection.statuses:
        records = [r for r in records if r.status in selection.statuses]
    if selection.sweep is not None:
        records = [r for r in records if r.sweep == selection.sweep]
    return sorted(records, key=lambda r: r.id)


def read_runs(
    store: Store,
    records: Sequence[RunRecord],
    recorded: dict[int, list[str]],
    directions: dict[str, Direction],
    points: int | None = None,
) -> tuple[tuple[RunData, ...], Sampling, dict[str, Sampling]]:
    """Each run with its steps and the metrics in ``directions`` (all, or about ``points`` of a long run),
    and how each was read."""
    ids = [r.id for r in records]
    series, sampling = read_steps(store, ids, points)
    values: dict[int, dict[str, RunMetric]] = {}
    metric_sampling = {}
    for name, way in directions.items():
        found, metric_sampling[name] = read_metric(store, ids, name, points)
        for run_id, values_read in found.items():
            stored = metric_sampling[name].stored.get(run_id)
            values.setdefault(run_id, {})[name] = run_metric(name, way, values_read, stored)
    runs = tuple(
        run_data(r, series.get(r.id, Series.empty()), tuple(recorded.get(r.id, ())), values.get(r.id, {}),
                 stored=sampling.stored.get(r.id))
        for r in records
    )
    return runs, sampling, metric_sampling


def summarize(run_id: int, series: Series, stored: int | None = None) -> LossSummary:
    """What ``Store.loss_summary`` says about these stored steps, without asking the database again.

    ``stored``: the count of steps stored, when ``series`` holds only some of them (runner.report.reading
    keeps a run's first, last and lowest rows, and reads in part only runs whose losses are all finite).
    """
    n = len(series) if stored is None else stored
    if not n:
        return LossSummary(run_id, 0, None, None, None, None, None, 0)
    finite = np.isfinite(series.loss)
    n_finite = int(finite.sum())
    best_loss = best_step = None
    if n_finite:
        losses = np.where(finite, series.loss, np.inf)
        at = int(np.argmin(losses))  # the first step with the lowest loss, as the store's ORDER BY loss, step
        best_loss, best_step = float(series.loss[at]), int(series.step[at])
    elapsed = float(series.elapsed[-1])
    return LossSummary(
        run_id=run_id,
        steps=n,
        first_loss=float(series.loss[0]),
        final_loss=float(series.loss[-1]),
        best_loss=best_loss,
        best_step=best_step,
        steps_per_second=n / elapsed if elapsed and elapsed > 0 else None,
        nonfinite=len(series) - n_finite,
    )


def run_data(
    record: RunRecord,
    series: Series,
    metric_names: tuple[str, ...] = (),
    metrics: dict[str, RunMetric] | None = None,
    stored: int | None = None,
) -> RunData:
    summary = summarize(record.id, series, stored)
    nonfinite = np.flatnonzero(~np.isfinite(series.loss))
    divergence_step = int(series.step[nonfinite[0]]) if len(nonfinite) else None
    training_time, startup = timing(record, series)
    error_lines = (record.error or "").strip().splitlines()
    params = {}
    for section, key in SECTIONS:
        for name, value in sorted((record.config or {}).get(key, {}).items()):
            params[f"{section}.{name}"] = value
    params.update(schedule_items(record.config or {}))
    return RunData(
        id=record.id,
        name=record.name,
        label=f"#{record.id} {record.name}" if record.name else f"#{record.id}",
        model=record.model,
        optimizer=record.optimizer,
        dataset=record.dataset,
        lr=record.lr,
        steps=record.steps,
        seed=record.seed,
        device=record.device,
        status=record.status,
        sweep=record.sweep,
        params=params,
        summary=summary,
        divergence_step=divergence_step,
        training_time=training_time,
        startup=startup,
        started_at=record.started_at,
        ended_at=record.ended_at,
        error=error_lines[-1] if error_lines else None,
        host=record.host,
        versions={
            "runner": record.runner_version,
            "torch": record.torch_version,
            "numpy": record.numpy_version,
            "python": record.python_version,
        },
        series=series,
        metric_names=metric_names,
        lr_implied=(record.config or {}).get("lr_source") == LR_FROM_OPTIMIZER,
        metrics=metrics or {},
        threads=record.threads,
        packages=record.packages if isinstance(record.packages, dict) else {},
        early_stop=record.early_stop,
    )


def timing(record: RunRecord, series: Series) -> tuple[float | None, float | None]:
    """(training time, start-up) in seconds; either is None when the run does not tell."""
    training = float(series.elapsed[-1]) if len(series) else None
    if record.started_at is None or record.ended_at is None:
        return training, None
    wall = (record.ended_at - record.started_at).total_seconds()
    return training, max(wall - (training or 0.0), 0.0)


UNSET = {"schedule": "constant"}  # what a run that stores no such setting had (runner.config.RunConfig.training_options)


def schedule_items(config: dict[str, Any]) -> dict[str, Any]:
    """A run's lr schedule as report settings, for a run that stored one: "schedule" (a grid axis, as "optimizer"
    is: its settings follow it) and "warmup". A run without either has neither: reports without schedules
    stay as they were, and comparisons read it as UNSET."""
    items: dict[str, Any] = {}
    if config.get("schedule") or config.get("warmup"):
        items["schedule"] = config.get("schedule") or UNSET["schedule"]
    if config.get("warmup"):
        items["warmup"] = config["warmup"]
    return items


def config_items(run: RunData) -> dict[str, Any]:
    items: dict[str, Any] = {key: getattr(run, key) for key in BASE_KEYS}
    items.update(run.params)
    return items


def config_diff(runs: Sequence[RunData]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The config keys whose values differ between ``runs`` (a key some runs lack differs), and the rest."""
    configs = [config_items(r) for r in runs]
    if not configs:
        return (), {}
    keys = list(BASE_KEYS) + sorted({k for c in configs for k in c} - set(BASE_KEYS))
    varying, constant = [], {}
    for key in keys:
        values = {canonical(c[key]) if key in c else "\0missing" for c in configs}
        if len(values) > 1:
            varying.append(key)
        else:
            constant[key] = configs[0][key]
    return tuple(varying), constant


def _settings_buckets(runs: Sequence[RunData]) -> list[list[RunData]]:
    """The runs split by every setting but the seed, each bucket in id order."""
    buckets: dict[str, list[RunData]] = {}
    for run in runs:
        config = config_items(run)
        config.pop("seed")
        buckets.setdefault(canonical(config), []).append(run)
    return [sorted(members, key=lambda r: r.id) for members in buckets.values()]


def repeated_runs(runs: Sequence[RunData]) -> tuple[int, ...]:
    """Ids of the runs whose settings and seed are both those of another run: re-runs, not seeds."""
    repeated = []
    for members in _settings_buckets(runs):
        seeds = Counter(r.seed for r in members)
        repeated += [r.id for r in members if seeds[r.seed] > 1]
    return tuple(sorted(repeated))


def group_by_seed(
    runs: Sequence[RunData],
    directions: dict[str, Direction] | None = None,
    parted: Mapping[str, Collection[int]] | None = None,  # by "loss" or metric: the runs read in part
) -> tuple[Group, ...]:
    """Groups of two or more runs whose configs are equal but for the seed, each seed once.

    Runs that repeat another's settings and seed are in no group: a mean over
    them would not be a mean over seeds, so each stays its own line. A group's
    label is its model, optimizer and lr, plus every other setting that tells
    it from the other groups.
    """
    repeated = set(repeated_runs(runs))
    sets = []
    for members in _settings_buckets(runs):
        distinct = [r for r in members if r.id not in repeated]
        if len(distinct) >= 2:
            sets.append(distinct)
    sets.sort(key=lambda members: members[0].id)
    firsts = [members[0] for members in sets]
    label_keys = telling_keys(firsts)
    return tuple(make_group(f"g{i}", members, label_keys, directions, parted) for i, members in enumerate(sets, 1))


def telling_keys(runs: Sequence[RunData]) -> list[str]:
    """The settings a label shows besides model, optimizer and lr: those that take two or more values among the
    runs that have them. A plugin's defaults that nobody varied (adam's ``amsgrad=False``, absent from sgd's runs)
    tell nothing the optimizer's name does not, unless without them two labels would read the same."""
    between = [k for k in config_diff(runs)[0] if k not in ("model", "optimizer", "lr", "seed")]
    configs = [config_items(r) for r in runs]
    keys = [k for k in between if len({canonical(c[k]) for c in configs if k in c}) > 1]
    labels = [group_label(r, keys) for r in runs]
    return keys if len(set(labels)) == len(labels) else between


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def group_label(run: RunData, label_keys: Sequence[str]) -> str:
    """model · optimizer · lr=… then each of ``label_keys`` that the run has, as short=value."""
    config = config_items(run)
    shorts = [k.rpartition(".")[2] for k in label_keys]
    parts = [run.model, run.optimizer, f"lr={run.lr:g}"]
    for key, short in zip(label_keys, shorts):
        if key in config:
            parts.append(f"{short if shorts.count(short) == 1 else key}={format_value(config[key])}")
    return " · ".join(parts)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def make_group(
    key: str,
    members: Sequence[RunData],
    label_keys: Sequence[str],
    directions: dict[str, Direction] | None = None,
    parted: Mapping[str, Collection[int]] | None = None,
) -> Group:
    members = sorted(members, key=lambda r: r.id)
    parted = parted or {}
    aligned = {name: any(r.id in ids for r in members) for name, ids in parted.items()}  # see stats.band_of
    first = members[0]
    finals = spread([r.summary.final_loss for r in members])
    bests = [r.summary.best_loss for r in members if r.summary.best_loss is not None]
    speeds = [r.summary.steps_per_second for r in members if r.summary.steps_per_second is not None]
    trainings = [r.training_time for r in members if r.training_time is not None]
    startups = [r.startup for r in members if r.startup is not None]
    metrics = {
        name: group_metric(name, way, [r.metrics.get(name) for r in members], aligned.get(name, False))
        for name, way in (directions or {}).items() if any(name in r.metrics for r in members)
    }
    return Group(
        key=key,
        label=group_label(first, label_keys),
        model=first.model,
        optimizer=first.optimizer,
        lr=first.lr,
        device=first.device,
        run_ids=tuple(r.id for r in members),
        seeds=tuple(r.seed for r in members),
        statuses=tuple(r.status for r in members),
        final_mean=finals.mean,
        final_std=finals.std,
        final_min=finals.low,
        final_max=finals.high,
        nonfinite_finals=finals.nonfinite,
        best_loss=min(bests) if bests else None,
        steps_per_second=_mean(speeds),
        training_time=_mean(trainings),
        startup=_mean(startups),
        band=make_band([r.series for r in members], aligned.get(LOSS, False)),
        metrics=metrics,
    )


def make_band(series: Sequence[Series], aligned: bool = False) -> Band:
    """Per step, the statistics of the finite losses of the runs that stored it (``aligned``: see band_of)."""
    return band_of([s.step for s in series], [s.loss for s in series], [s.elapsed for s in series], aligned)
