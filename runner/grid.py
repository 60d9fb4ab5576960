"""Expanding lists and ranges on the command line into a grid of run configs.

``--model numpy,dynamic --lr 1e-4,1e-3 --seed 0-4 --set hidden=50,100``
is the product of every axis. Values are split at commas; a tuple-valued
setting is listed in parentheses: ``--set betas=(0.9,0.999),(0.8,0.99)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence

from runner.config import Resolved, resolve
from runner.environment import positive
from runner.errors import ConfigError, OptionError
from runner.kinds import KINDS
from runner.registry import Registry
from runner.request import SHARED, RunChoice, RunRequest
from runner.training.devices import check_device_syntax

__all__ = ["MAX_GRID_VARIABLE", "DEFAULT_MAX_GRID", "GRID_CEILING", "split", "IntRanges", "parse_ints",
    "parse_floats", "set_axis", "sequence_settings", "expand", "max_grid", "check_ceiling", "check_grid_size",
    "check_every_set_is_used"]

MAX_GRID_VARIABLE = "RUNNER_MAX_GRID"
DEFAULT_MAX_GRID = 100_000  # a grid is built in memory, a config per run, before any is stored
GRID_CEILING = 1_000_000  # $RUNNER_MAX_GRID may not go above: 100,000 runs take 0.3 GB to build


def split(text: str) -> list[str]:
    """Split at commas outside parentheses and brackets; blanks dropped."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


class IntRanges(Sequence[int]):
    """Whole numbers given as ranges, counted and bounded without being listed (``0-4294967295`` is 4e9 runs)."""

    def __init__(self, ranges: Iterable[range]):
        self.ranges = tuple(ranges)

    def __len__(self) -> int:
        return sum(len(r) for r in self.ranges)

    def __iter__(self) -> Iterator[int]:
        return itertools.chain.from_iterable(self.ranges)

    def __getitem__(self, index):  # ints only: no caller slices
        for r in self.ranges:
            if 0 <= index < len(r):
                return r[index]
            index -= len(r)
        raise IndexError(index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and list(self) == list(other)

    def bounds(self) -> tuple[int, int] | None:
        """The smallest and largest value, or None when there is none."""
        filled = [r for r in self.ranges if r]
        return (min(r[0] for r in filled), max(r[-1] for r in filled)) if filled else None


def parse_ints(text: str, what: str) -> IntRanges:
    """``0-4`` or ``1,3,7`` or both: ``0-2,10``."""
    ranges: list[range] = []
    for part in split(text):
        low, dash, high = part.partition("-")
        try:
            ranges.append(range(int(low), int(high) + 1) if dash and low else range(int(part), int(part) + 1))
        except ValueError:
            raise ConfigError(f"{what}: {part!r} is not a whole number or a range like 0-4") from None
        if not ranges[-1]:  # 5-3 beside 0-2 would otherwise vanish from the grid without a word
            raise ConfigError(f"{what}: {part!r} is an empty range; write {high.strip()}-{low.strip()}")
    values = IntRanges(ranges)
    if not values:
        raise ConfigError(f"{what}: give at least one value")
    return values


def parse_floats(text: str, what: str) -> list[float]:
    values = []
    for part in split(text):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{what}: {part!r} is not a positive number (try 1e-4)")
        values.append(value)
    return values


def set_axis(assignment: str, sequence_keys: set[str]) -> list[str]:
    """The ``key=value`` choices one ``--set`` contributes to the grid."""
    key, sep, raw = assignment.partition("=")
    bare = key.strip().rpartition(".")[2]
    if not sep:
        return [assignment]  # resolve() reports the malformed assignment
    parts = split(raw)
    listed = len(parts) > 1 and (bare not in sequence_keys or all(p.startswith(("(", "[")) for p in parts))
    return [f"{key}={p}" for p in parts] if listed else [assignment]


def sequence_settings(registry: Registry) -> set[str]:
    """Names of settings whose defaults are tuples or lists (values that contain commas)."""
    names: set[str] = set()
    for kind in KINDS:
        for entry in registry.table(kind).values():
            names.update(k for k, v in getattr(entry.spec, kind.settings).items() if isinstance(v, (tuple, list)))
    return names


def expand(registry: Registry, request: RunRequest) -> list[Resolved]:
    """Every run of the grid (seeds innermost), validated; a ConfigError names the first bad value."""
    for device in request.devices:
        check_device_syntax(device)
    sequence_keys = sequence_settings(registry)
    set_axes = [set_axis(s, sequence_keys) for s in request.sets]
    axes = (request.models, request.optimizers, request.lrs, request.steps, request.devices, request.datasets,
            request.batch_sizes, request.schedules)  # in the grid's order; then the --set axes, and the seeds innermost
    check_grid_size([*axes, *set_axes, request.seeds])
    mixed = any(len(axis) > 1 for axis in (request.models, request.optimizers, request.datasets, request.schedules))
    shared = {name: getattr(request, name) for name in SHARED}
    runs = [
        resolve(registry, RunChoice(model=m, optimizer=o, lr=lr, steps=n, seed=s, device=d, dataset=ds, batch_size=b,
                                    sets=chosen_sets, schedule=sc, **shared), skip_unknown_sets=mixed)
        for m, o, lr, n, d, ds, b, sc, chosen_sets, s in itertools.product(
            *axes, itertools.product(*set_axes), request.seeds
        )
    ]
    if mixed:
        check_every_set_is_used(registry, runs, request.sets)
    return runs


def max_grid() -> int:
    """The most runs one grid may have: $RUNNER_MAX_GRID, else DEFAULT_MAX_GRID; never above GRID_CEILING."""
    limit = positive(MAX_GRID_VARIABLE, DEFAULT_MAX_GRID, int, "a positive whole number", str(DEFAULT_MAX_GRID))
    check_ceiling(limit)
    return limit


def check_ceiling(limit: int) -> None:
    """A limit above GRID_CEILING would let a grid exhaust memory while it is built: a usage error."""
    if limit > GRID_CEILING:
        raise OptionError(f"${MAX_GRID_VARIABLE}={limit} is above the most runs a grid may have, {GRID_CEILING:,}; "
                          f"set it to at most {GRID_CEILING}, and run a larger grid in parts (--sweep NAME --add)")


def check_grid_size(axes: Sequence[Sequence[object]]) -> None:
    """Refuse a grid larger than max_grid() from its axes' lengths, before any run of it is built."""
    size, limit = math.prod(len(axis) for axis in axes), max_grid()
    if size > limit:
        raise OptionError(f"the grid has {size:,} runs, more than the limit of {limit:,}; "
                          f"give shorter lists or ranges, or raise ${MAX_GRID_VARIABLE}")


def check_every_set_is_used(registry: Registry, runs: Sequence[Resolved], sets: Iterable[str]) -> None:
    """A setting that no run of a mixed grid takes is a typo: report it as a single run would."""
    configs = [r.config for r in runs]
    for assignment in sets:
        bare = assignment.partition("=")[0].strip().rpartition(".")[2]
        if not any(bare in getattr(c, kind.config_key) for c in configs for kind in KINDS):
            first = configs[0]
            resolve(registry, RunChoice(first.model, first.optimizer, sets=(assignment,),
                                        schedule=first.schedule))  # raises the usual message
