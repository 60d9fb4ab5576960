"""How a run is executed, as one bundle that goes from the command line to the training loop.

``runner run`` builds an ``ExecOptions``; ``runs``, the engine and the
sweep workers take it whole. A sweep's worker is another process, so the
options that travel become its command-line arguments (``to_args``) and
come back on the other side (``add_arguments`` and ``from_namespace``),
all derived from the fields: a new option is one field here, and sweeps
honour it with no pass-through code. So every field is a plain value that
can travel; what belongs to one process (the stop flag, the progress bar,
taking checkpoints) is a handler given to the loop beside these
(runner.training.handlers).

A run records the travelling options it was started with (``recorded``,
kept in ``runs.options``), and ``runner resume`` continues it with them,
less those given again on its command line (``under``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from collections.abc import Collection, Mapping
from dataclasses import Field, dataclass, fields
from typing import Any

from runner.checkpoints.every import DEFAULT as CHECKPOINT_EVERY
from runner.checkpoints.every import parse_every
from runner.training.patience import DEFAULT_DEADLINE
from runner.training.threads import check_threads

__all__ = ["ExecOptions", "DEFAULTS", "travelling", "flag"]


@dataclass(frozen=True)
class ExecOptions:
    """Everything about executing a run that is not part of its recorded config."""

    flush_seconds: float = 1.0  # hand losses to the store at least this often
    step_timeout: float | None = None  # seconds a step may take before the run fails (runner.training.timeouts)
    db_deadline: float = DEFAULT_DEADLINE  # seconds a run rides out a failing database before it fails (runner.training.patience)
    # How often a checkpoint is taken: "300s" (by time: a short run pays nothing) or "500 steps".
    checkpoint_every: str = CHECKPOINT_EVERY
    keep_checkpoints: int = 1  # how many of a run's newest checkpoints are kept
    artifacts: str | None = None  # a directory for checkpoints and weights, instead of the database
    weights: bool | None = None  # keep the final weights: None up to runner.training.keeper's limit, True always
    # torch's (and a NumPy model's BLAS) threads; None: $OMP_NUM_THREADS, else torch's default (1 in a sweep's
    # worker: runner.execution.slots.worker_threads). runner.training.threads applies it.
    threads: int | None = None

    def __post_init__(self) -> None:
        parse_every(self.checkpoint_every)  # an OptionError here, not when the loop first needs it
        check_threads(self.threads)
        if self.artifacts is not None:  # absolute: a sweep's workers and the rows must name the same folder
            object.__setattr__(self, "artifacts", os.path.abspath(self.artifacts))

    def to_args(self) -> list[str]:
        """The travelling options that differ from their defaults, as ``--name VALUE`` (VALUE in JSON)."""
        args: list[str] = []
        for f in travelling():
            value = getattr(self, f.name)
            if value != f.default:
                args += [flag(f.name), json.dumps(value)]
        return args

    def recorded(self) -> dict[str, Any]:
        """Every travelling option, defaults too, as JSON-able values: what a run records (``runs.options``),
        so that a later change of a default does not change how a resumed run goes on."""
        return {f.name: getattr(self, f.name) for f in travelling()}

    def under(self, recorded: Mapping[str, Any] | None, given: Collection[str]) -> ExecOptions:
        """These options with each travelling one that was not ``given`` (on the command line) taken from
        ``recorded`` (``runs.options``) where it holds it; an OptionError if a recorded value cannot be one."""
        from runner.errors import OptionError

        if not isinstance(recorded, Mapping):
            return self
        taken = {f.name: recorded[f.name] for f in travelling() if f.name in recorded and f.name not in given}
        try:
            return dataclasses.replace(self, **taken)
        except (TypeError, ValueError) as exc:
            raise OptionError(f"the options the run recorded cannot be used ({exc}); give them on the command line") from None

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """Declare on ``parser`` the arguments that ``to_args`` writes."""
        for f in travelling():
            # The default as JSON too: argparse runs ``type`` on a default that is a string ("300s").
            parser.add_argument(flag(f.name), dest=f.name, type=json.loads, default=json.dumps(f.default), metavar="JSON")

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace) -> ExecOptions:
        """The options parsed by a parser that ``add_arguments`` set up."""
        return cls(**{f.name: getattr(namespace, f.name) for f in travelling()})


DEFAULTS = ExecOptions()  # frozen, so one instance serves as every default argument


def travelling() -> list[Field[Any]]:
    """The fields of ExecOptions that go to a worker process: all of them."""
    return list(fields(ExecOptions))


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")
