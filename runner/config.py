"""Turning what the user asked for into a complete, validated run config.

A run's settings come from its plugins: the model's ``params``, the
optimizer's ``options``, the dataset's ``params`` and the lr schedule's
``params``. ``--set key=value`` overrides any of them; ``model.key``,
``optimizer.key``, ``dataset.key`` or ``schedule.key`` picks one when a key is ambiguous. Values are parsed to the type of the
default they replace.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from runner.contracts import plugin_label
from runner.errors import ConfigError, OptionError, PluginError
from runner.formatting import format_settings
from runner.kinds import NAMES
from runner.registry import Origin, Registry, unknown_name_message
from runner.request import RunChoice
from runner.shapes import check_fit, dataset_shapes
from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec, ScheduleSpec

__all__ = ["DEFAULT_STEPS", "DEFAULT_SEED", "DEFAULT_DATASET", "SECTIONS", "RunConfig", "Resolved", "specs_for",
    "LR_FROM_OPTIMIZER", "lr_is_the_optimizers",
    "Plugins", "resolve", "look_up", "check_backend", "settings", "check_plugin_settings", "check_batch_size_fits",
    "default_lr", "check_lr", "probe_optimizer", "check_steps", "check_seed", "check_eval_every", "check_track",
    "check_batch_size", "check_settings", "apply_set", "parse_value", "describe_type", "DEFAULT_PATIENCE",
    "evaluated_metrics", "check_stopping", "DEFAULT_SCHEDULE", "check_warmup", "check_schedule"]

DEFAULT_STEPS = 500
DEFAULT_SEED = 0
DEFAULT_DATASET = "random"
DEFAULT_PATIENCE = 3  # evaluations without improvement that end a run with --early-stop (Lightning's default)
DEFAULT_SCHEDULE = "constant"  # the lr never changes: a run stores no schedule (RunConfig.training_options)
SECTIONS = NAMES  # the --set prefixes: model.KEY, optimizer.KEY, dataset.KEY, schedule.KEY


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run, after defaults are applied."""

    model: str
    optimizer: str
    dataset: str
    lr: float
    steps: int
    seed: int
    device: str = "auto"
    name: str | None = None
    # LR_FROM_OPTIMIZER when no --lr was given and lr is the optimizer's declared one (default_lr): part of
    # the optimizer's setting, so a report compares two such runs as differing in optimizer alone. None otherwise.
    lr_source: str | None = None
    model_params: dict[str, Any] = field(default_factory=dict)
    optimizer_options: dict[str, Any] = field(default_factory=dict)
    dataset_params: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None  # None: every step trains on the whole training split
    eval_every: int | None = None  # None: no held-out evaluation
    track: tuple[str, ...] = ()  # runner-computed metrics (runner.metrics.TRACKED)
    # The model's declared metric directions, kept with the run so that "best" is right
    # wherever the run is read, even where the plugin is not installed.
    metric_directions: dict[str, str] = field(default_factory=dict)
    early_stop: str | None = None  # the evaluation metric that ends the run when it stops improving
    patience: int | None = None  # evaluations without improvement that end it (with early_stop)
    min_delta: float | None = None  # the least change that is an improvement (None: 0)
    keep_best: str | None = None  # the evaluation metric whose best evaluation's weights are kept
    schedule: str = DEFAULT_SCHEDULE  # the lr schedule plugin (--schedule)
    schedule_params: dict[str, Any] = field(default_factory=dict)
    warmup: int = 0  # steps of linear lr warm-up before the schedule (--warmup)

    def __post_init__(self) -> None:
        object.__setattr__(self, "track", tuple(self.track))  # a stored run's JSON gives a list

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def training_options(self) -> dict[str, Any]:
        """The options that change what a run trains or records, JSON-ready, left out when off.

        The store keeps them in the run's ``config`` JSON, so a run made
        without them is stored exactly as before they existed.
        """
        chosen = {"batch_size": self.batch_size, "eval_every": self.eval_every, "track": list(self.track),
                  "metric_directions": dict(self.metric_directions), "lr_source": self.lr_source,
                  "early_stop": self.early_stop, "patience": self.patience, "min_delta": self.min_delta,
                  "keep_best": self.keep_best,
                  "schedule": self.schedule if self.schedule != DEFAULT_SCHEDULE else None,
                  "schedule_params": dict(self.schedule_params), "warmup": self.warmup}
        return {key: value for key, value in chosen.items() if value}


@dataclass(frozen=True)
class Resolved:
    """A RunConfig and the plugin specs it names, looked up once: what the engine needs to build a run."""

    config: RunConfig
    model: ModelSpec
    optimizer: OptimizerSpec
    dataset: DatasetSpec
    label: str  # who is at fault when the model misbehaves: plugin, package and model
    labels: Mapping[str, str] = field(default_factory=dict)  # the same for "dataset" and "optimizer" (their builds)
    origins: Mapping[str, Origin] = field(default_factory=dict)  # by kind: the plugin that registered each (provenance)
    schedule: ScheduleSpec | None = None  # the lr schedule; None: the constant lr, which needs no plugin

    @property
    def backend(self) -> str:
        return self.model.backend


def specs_for(registry: Registry, config: RunConfig) -> Resolved:
    """The specs ``config`` names, e.g. for a stored run; a ConfigError if one is not installed."""
    scheduled = config.schedule != DEFAULT_SCHEDULE
    return Resolved(
        config,
        registry.model(config.model),
        registry.optimizer(config.optimizer),
        registry.dataset(config.dataset),
        plugin_label(registry, "model", config.model),
        {kind: plugin_label(registry, kind, getattr(config, kind))
         for kind in ("dataset", "optimizer", *(("schedule",) if scheduled else ()))},
        {kind: registry.get(kind, name).origin for kind in NAMES
         if (name := getattr(config, kind, None)) and (kind != "schedule" or scheduled)},  # constant: no plugin
        schedule=registry.schedule(config.schedule) if scheduled else None,
    )


@dataclass(frozen=True)
class Plugins:
    """The model, optimizer and dataset one run names (their defaults applied), looked up in the registry."""

    names: Mapping[str, str]  # by kind: "model", "optimizer", "dataset", "schedule"
    model: ModelSpec
    optimizer: OptimizerSpec
    dataset: DatasetSpec
    schedule: ScheduleSpec | None = None  # None: the constant lr, without a plugin

    def checks(self, kind: str) -> Mapping[str, Any]:
        """The setting checks that the plugin of ``kind`` declares."""
        spec: ModelSpec | OptimizerSpec | DatasetSpec | ScheduleSpec | None = getattr(self, kind)
        return spec.checks if spec is not None else {}


def resolve(registry: Registry, choice: RunChoice, skip_unknown_sets: bool = False) -> Resolved:
    """A complete RunConfig with its specs, or a ConfigError (an OptionError) that says what to fix.

    Each check below raises its own one-line error, in this order. With
    ``skip_unknown_sets``, a ``--set`` key that none of this run's plugins
    has is left out instead of refused (a grid over several models may set
    what only some of them take).
    """
    plugins = look_up(registry, choice)
    check_backend(plugins)
    sections, recipe = settings(plugins, choice.sets, skip_unknown_sets)
    check_plugin_settings(registry, plugins, sections)
    lr = check_lr(default_lr(plugins.model, plugins.names["optimizer"], plugins.optimizer) if choice.lr is None
                  else choice.lr)
    implied = choice.lr is None and lr_is_the_optimizers(plugins.model, plugins.names["optimizer"], plugins.optimizer)
    probe_optimizer(plugin_label(registry, "optimizer", plugins.names["optimizer"]), plugins.optimizer,
                    plugins.model.backend, lr, sections["optimizer"], recipe)
    steps = check_steps((plugins.model.steps or DEFAULT_STEPS) if choice.steps is None else choice.steps)
    seed = DEFAULT_SEED if choice.seed is None else check_seed(choice.seed)
    # Before anything is written: a model that cannot take this dataset's shapes is a ConfigError naming both.
    check_fit(choice.model, plugins.model, plugins.names["dataset"], plugins.dataset, sections["dataset"], seed)
    check_eval_every(choice.eval_every, plugins.names["dataset"], plugins.dataset)
    warmup = check_warmup(choice.warmup, steps)
    check_schedule(registry, plugins, sections["schedule"], steps - warmup)
    track = check_track(choice.track)
    stopping = check_stopping(choice, plugins.model)
    if choice.batch_size is not None:
        check_batch_size_fits(choice.batch_size, plugins, sections["dataset"], seed)
    config = RunConfig(
        model=choice.model, optimizer=plugins.names["optimizer"], dataset=plugins.names["dataset"], lr=lr, steps=steps,
        lr_source=LR_FROM_OPTIMIZER if implied else None,
        seed=seed, device=choice.device, name=choice.name, model_params=sections["model"],
        optimizer_options=sections["optimizer"], dataset_params=sections["dataset"], batch_size=choice.batch_size,
        eval_every=choice.eval_every, track=track, metric_directions=dict(plugins.model.metrics), **stopping,
        schedule=plugins.names["schedule"], schedule_params=sections["schedule"], warmup=warmup,
    )
    return specs_for(registry, config)


def look_up(registry: Registry, choice: RunChoice) -> Plugins:
    """The plugins ``choice`` names, the model's optimizer and dataset where it names none; a ConfigError
    naming the first that is not installed."""
    model = registry.get("model", choice.model).spec
    optimizer_name = choice.optimizer or model.optimizer
    optimizer = registry.get("optimizer", optimizer_name).spec
    dataset_name = choice.dataset or model.dataset or DEFAULT_DATASET
    dataset = registry.get("dataset", dataset_name).spec
    schedule_name = choice.schedule or DEFAULT_SCHEDULE
    # The constant lr needs no plugin unless named: runs without a schedule work as before schedules existed.
    schedule = registry.get("schedule", schedule_name).spec if choice.schedule is not None else None
    names = {"model": choice.model, "optimizer": optimizer_name, "dataset": dataset_name, "schedule": schedule_name}
    return Plugins(names, model, optimizer, dataset, schedule)


def check_backend(plugins: Plugins) -> None:
    """The optimizer must be written for the model's backend."""
    backend = plugins.model.backend
    if plugins.optimizer.builder(backend) is None:
        raise ConfigError(
            f"optimizer {plugins.names['optimizer']!r} has no {backend} implementation, "
            f"so it cannot train model {plugins.names['model']!r}"
        )


def settings(
    plugins: Plugins, sets: Iterable[str], skip_unknown_sets: bool
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The run's settings by section (the plugins' defaults, then ``sets`` in order), and the optimizer's
    before ``sets``: what it is built with unless --set changes it."""
    options = dict(plugins.optimizer.options)
    if plugins.names["optimizer"] == plugins.model.optimizer:  # the model's recipe, e.g. momentum=0.9
        options.update(plugins.model.optimizer_options)
    sections = {"model": dict(plugins.model.params), "optimizer": options, "dataset": dict(plugins.dataset.params),
                "schedule": dict(plugins.schedule.params) if plugins.schedule is not None else {}}
    recipe = dict(options)
    for assignment in sets:
        apply_set(sections, assignment, skip_unknown_sets)
    return sections, recipe


def check_plugin_settings(registry: Registry, plugins: Plugins, sections: Mapping[str, Mapping[str, Any]]) -> None:
    """Before anything is stored: a value outside a plugin's declared range is refused (check_settings)."""
    for kind in SECTIONS:
        check_settings(registry, kind, plugins.names[kind], plugins.checks(kind), sections[kind])


def check_batch_size_fits(batch_size: int, plugins: Plugins, dataset_params: Mapping[str, Any], seed: int) -> None:
    """--batch-size: a positive whole number, at most the rows of the dataset's training split."""
    rows = dataset_shapes(plugins.dataset, plugins.model.backend, dataset_params, seed)[0][0]
    check_batch_size(batch_size, rows, plugins.names["dataset"])


LR_FROM_OPTIMIZER = "optimizer"  # RunConfig.lr_source of a run whose lr is its optimizer's declared one


def default_lr(model_spec: ModelSpec, optimizer_name: str, optimizer_spec: OptimizerSpec) -> float:
    """The learning rate of a run given no --lr.

    The model's lr with its own default optimizer (the two are its recipe);
    with another optimizer, that optimizer's declared lr; the model's lr
    when the optimizer declares none.
    """
    if not lr_is_the_optimizers(model_spec, optimizer_name, optimizer_spec):
        return model_spec.lr
    assert optimizer_spec.lr is not None  # lr_is_the_optimizers says it declares one
    return optimizer_spec.lr


def lr_is_the_optimizers(model_spec: ModelSpec, optimizer_name: str, optimizer_spec: OptimizerSpec) -> bool:
    """Whether a run given no --lr takes the optimizer's declared lr (default_lr's second case)."""
    return optimizer_name != model_spec.optimizer and optimizer_spec.lr is not None


def check_lr(lr: Any) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ConfigError(f"the learning rate must be a positive number, not {lr!r}")
    return float(lr)


# Optimizer settings already probed in this process (a grid resolves the same ones once per seed and model).
_PROBED: set[tuple[int, str, float, str]] = set()


def probe_optimizer(label: str, spec: OptimizerSpec, backend: str, lr: float, options: Mapping[str, Any],
                    recipe: Mapping[str, Any]) -> None:
    """Refuse (OptionError) optimizer settings the optimizer itself refuses, before anything is stored: torch.optim
    raises ValueError for nesterov without momentum, say, which each check of one setting alone cannot see.

    The optimizer is built once on a one-element parameter, and only when --set changed its settings: its own
    defaults (and a model's recipe) are taken to work, so the common path imports and builds nothing here. Any
    other exception is the plugin's fault, left for the run to report as it always has.
    """
    changed = {key: value for key, value in options.items() if recipe.get(key, object()) != value}
    builder = spec.builder(backend)
    key = (id(builder), backend, lr, repr(sorted(options.items())))
    if not changed or builder is None or key in _PROBED:
        return
    try:
        builder(_one_parameter(backend), lr=lr, **options)
    except ValueError as exc:
        raise OptionError(f"--set {format_settings(changed)}: {label} refuses these settings ({exc})") from None
    except Exception:
        return
    _PROBED.add(key)


def _one_parameter(backend: str) -> list[Any]:
    if backend == "numpy":
        import numpy

        return [numpy.zeros(1)]
    import torch

    return [torch.zeros(1, requires_grad=True)]


def check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
        raise ConfigError(f"steps must be a positive whole number, not {steps!r}")
    return steps


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ConfigError(f"the seed must be a whole number from 0 to 2**32-1, not {seed!r}")
    return seed


def check_eval_every(eval_every: Any, dataset: str, dataset_spec: DatasetSpec) -> None:
    if eval_every is None:
        return
    if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1:
        raise OptionError(f"--eval-every must be a positive whole number of steps, not {eval_every!r}")
    if dataset_spec.validation is None:
        raise OptionError(f"--eval-every needs a validation split, and dataset {dataset!r} has none; "
                          "choose a --dataset that has one, or leave out --eval-every")


def check_track(track: Iterable[str]) -> tuple[str, ...]:
    from runner.metrics import TRACKED

    names = tuple(dict.fromkeys(track))  # in order, once each
    for name in names:
        if name not in TRACKED:
            raise OptionError("--track: " + unknown_name_message("tracked metric", name, TRACKED))
    return names


def evaluated_metrics(model: ModelSpec) -> list[str]:
    """The metrics each evaluation records for sure: val_loss and val_<name> of the model's declared metrics."""
    from runner.metrics import validation_name

    return [validation_name(name) for name in ("loss", *model.metrics)]


def check_stopping(choice: RunChoice, model: ModelSpec) -> dict[str, Any]:
    """--early-stop, --patience, --min-delta and --keep-best, checked (OptionError): the RunConfig fields they set."""
    from runner.metrics import unknown_metric_message

    if choice.early_stop is None:
        for flag, value in (("--patience", choice.patience), ("--min-delta", choice.min_delta)):
            if value is not None:
                raise OptionError(f"{flag} applies to --early-stop METRIC; give --early-stop, or leave out {flag}")
    patience, min_delta = choice.patience, choice.min_delta
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise OptionError(f"--patience must be a positive whole number of evaluations, not {patience!r}")
    if min_delta is not None and (isinstance(min_delta, bool) or not isinstance(min_delta, (int, float))
                                  or not math.isfinite(min_delta) or min_delta < 0):
        raise OptionError(f"--min-delta must be a finite number of at least 0, not {min_delta!r}")
    known = evaluated_metrics(model)
    for flag, name in (("--early-stop", choice.early_stop), ("--keep-best", choice.keep_best)):
        if name is None:
            continue
        if choice.eval_every is None:
            raise OptionError(f"{flag} {name} decides at evaluations; give --eval-every N too")
        if name not in known:
            message = unknown_metric_message(name, known).partition("; ")[0]
            raise OptionError(f"{flag}: {message}; this run's evaluations record {', '.join(known)} (a model's "
                              "metric is named here once its ModelSpec.metrics declares it)")
    if choice.early_stop is None:
        return {"keep_best": choice.keep_best}
    return {"early_stop": choice.early_stop, "patience": DEFAULT_PATIENCE if patience is None else patience,
            "min_delta": None if not min_delta else float(min_delta), "keep_best": choice.keep_best}
def check_warmup(warmup: Any, steps: int) -> int:
    """--warmup: a whole number of steps from 0 to fewer than the run's, so that the schedule has a step left."""
    if warmup is None:
        return 0
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise OptionError(f"--warmup must be a whole number of steps, 0 or more, not {warmup!r}")
    if warmup >= steps:
        raise OptionError(f"--warmup {warmup} leaves no step of the run's {steps} for the schedule; "
                          f"give fewer than {steps} warm-up steps, or more --steps")
    return warmup


def check_schedule(registry: Registry, plugins: Plugins, params: Mapping[str, Any], steps: int) -> None:
    """The schedule's factor at the run's first and last step (after the warm-up), before anything is stored: an
    OptionError when it cannot be computed for this many steps (one_cycle with pct_start * steps = 1 divides
    by 0) or is not a positive number; any other fault is the plugin's, left for the run to report."""
    spec = plugins.schedule
    if spec is None:
        return
    name = plugins.names["schedule"]
    for step in (0, steps - 1):
        try:
            value = spec.factor(step, steps, **params)
        except (ArithmeticError, ValueError) as exc:
            raise OptionError(f"--schedule {name}: {plugin_label(registry, 'schedule', name)} cannot schedule {steps} "
                              f"steps with these settings ({type(exc).__name__}: {exc}); change --steps, --warmup "
                              "or its settings") from None
        except Exception:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise OptionError(f"--schedule {name}: {plugin_label(registry, 'schedule', name)} gives the lr a factor of "
                              f"{value!r} at step {step} of {steps}; change --steps, --warmup or its settings")


def check_batch_size(batch_size: Any, rows: int, dataset: str) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise OptionError(f"--batch-size must be a positive whole number, not {batch_size!r}")
    if batch_size > rows:
        raise OptionError(f"--batch-size {batch_size} is larger than the {rows} rows of dataset {dataset!r}'s "
                          f"training split; choose at most {rows}")


def check_settings(registry: Registry, kind: str, name: str, checks: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """An OptionError naming the plugin and the setting when a value fails the plugin's own check."""
    for key, check in checks.items():
        try:
            problem = check(values[key])
        except Exception as exc:  # a check that raises is the plugin's fault, not the user's
            raise PluginError(f"{plugin_label(registry, kind, name)}: the check of setting {key!r} raised "
                              f"{type(exc).__name__}: {exc}") from exc
        if problem:
            raise OptionError(f"--set {key}={values[key]}: {plugin_label(registry, kind, name)}: {key} {problem}")


def apply_set(sections: Mapping[str, dict[str, Any]], assignment: str, skip_unknown: bool = False) -> None:
    """Apply one ``key=value`` (or ``section.key=value``) to ``sections``."""
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set takes key=value, not {assignment!r}")
    section_name, dot, bare = key.rpartition(".")
    if dot and section_name not in SECTIONS:
        raise ConfigError(f"--set {key}: the prefix must be one of {', '.join(SECTIONS)}")
    candidates = [s for s in ([section_name] if dot else SECTIONS) if bare in sections[s]]
    if not candidates and skip_unknown:
        return
    if not candidates:
        known = sorted({k for s in SECTIONS for k in sections[s]})
        raise ConfigError("--set: " + unknown_name_message("setting", bare, known))
    if len(candidates) > 1:
        options = " or ".join(f"{s}.{bare}" for s in candidates)
        raise ConfigError(f"--set {bare} is ambiguous: write {options}")
    section = sections[candidates[0]]
    section[bare] = parse_value(bare, raw.strip(), section[bare])


def parse_value(key: str, raw: str, default: Any) -> Any:
    """Parse ``raw`` to the type of ``default``."""
    try:
        if isinstance(default, bool):
            lowered = raw.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            number = int(raw)
            if not -(2**63) <= number < 2**63:  # no array dimension or count can be larger: refused up front
                raise ValueError
            return number
        if isinstance(default, float):
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if isinstance(default, (tuple, list)):
            parts = [p for p in raw.strip("()[] ").split(",") if p.strip()]
            if len(parts) != len(default):
                raise ValueError
            return type(default)(parse_value(key, p.strip(), d) for p, d in zip(parts, default))
        if default is None or isinstance(default, str):
            return raw
    except ValueError:
        pass
    raise ConfigError(f"--set {key}={raw}: expected {describe_type(default)}")


def describe_type(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number from -2**63 to 2**63-1"
    if isinstance(default, float):
        return "a finite number"
    if isinstance(default, (tuple, list)):
        return f"{len(default)} comma-separated values like {','.join(map(str, default))}"
    return "a value"
