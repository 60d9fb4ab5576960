"""The four kinds of plugin, defined once: each one's name, hook and spec type.

Everything that lists the kinds (the registry, ``--set`` prefixes, the
``--kind`` choices, ``runner plugins``, the scaffold, the conformance
suite) reads them from here. Light: it imports only ``runner.specs``, so
``runner plugins`` still never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec, ScheduleSpec

__all__ = ["S", "Kind", "MODEL", "OPTIMIZER", "DATASET", "SCHEDULE", "KINDS", "NAMES", "BY_NAME", "kind_named"]

Spec = ModelSpec | OptimizerSpec | DatasetSpec | ScheduleSpec  # any registered spec
S = TypeVar("S", ModelSpec, OptimizerSpec, DatasetSpec, ScheduleSpec)


@dataclass(frozen=True)
class Kind(Generic[S]):
    """One kind of plugin."""

    name: str  # "model": what --kind takes, and the word messages use
    plural: str  # "models": the Registry table, the key in `runner plugins --json`
    hook: str  # "register_models": the hook that registers this kind
    spec_type: type[S]  # ModelSpec: what the hook's register callback takes
    settings: str  # "params": the spec field holding the settings --set overrides

    @property
    def config_key(self) -> str:
        """The RunConfig field with this kind's resolved settings: ``model_params``, ``optimizer_options``..."""
        return f"{self.name}_{self.settings}"


MODEL: Kind[ModelSpec] = Kind("model", "models", "register_models", ModelSpec, "params")
OPTIMIZER: Kind[OptimizerSpec] = Kind("optimizer", "optimizers", "register_optimizers", OptimizerSpec, "options")
DATASET: Kind[DatasetSpec] = Kind("dataset", "datasets", "register_datasets", DatasetSpec, "params")
SCHEDULE: Kind[ScheduleSpec] = Kind("schedule", "schedules", "register_schedules", ScheduleSpec, "params")

KINDS: tuple[Kind[Any], ...] = (MODEL, OPTIMIZER, DATASET, SCHEDULE)  # the order runner calls their hooks in
NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)
BY_NAME: dict[str, Kind[Any]] = {k.name: k for k in KINDS}


def kind_named(name: str) -> Kind[Any]:
    """The kind called ``name``; ValueError naming the kinds otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"kind must be one of {', '.join(NAMES)}, not {name!r}") from None
