"""The executors ``--executor`` takes, one entry each. Adding an executor is one module that implements
``ExecutorModule`` and one line in ``EXECUTORS``: the command line's choices, its help, the checks of the
options that go with each executor, connecting, building the executor and the resume hint all read from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from runner.execution.slurm_options import SLURM_OPTIONS

if TYPE_CHECKING:
    from runner.execution.executor import Executor, PoolOptions
    from runner.store import RunRecord, Store

__all__ = ["ExecutorKind", "ExecutorModule", "EXECUTORS"]

Say = Callable[[str], None]


class ExecutorModule(Protocol):
    """What an executor's module provides (module-level functions); errors are runner's one-line errors."""

    def settings(self, given: dict[str, Any]) -> dict[str, Any]:
        """Its own options' values (``ExecutorKind.options``) checked, as ``PoolOptions`` fields."""

    def check_reachable(self, options: PoolOptions) -> None:
        """What it needs answers, checked before the database is opened (so a refusal creates no file)."""

    def open_client(self, options: PoolOptions, url: str, devices: Sequence[str], say: Say) -> Any:
        """A Dask client of its workers, or None; checked against the database and ``devices`` (one per run
        about to be queued) before anything is stored."""

    def new_executor(self, store: Store, url: str, sweep: str, options: PoolOptions, client: Any,
                     queued: list[RunRecord], say: Say) -> Executor:
        """The executor that works ``sweep``'s ``queued`` runs; says on ``say`` where they go."""

    def resume_args(self, options: PoolOptions) -> list[str]:
        """The ``runner resume`` options that go on with a sweep where it was worked."""


@dataclass(frozen=True)
class ExecutorKind:
    name: str
    module: str  # imported only when the executor is used: dask and slurm import distributed
    help: str  # its part of --executor's help
    default_retries: int  # --retries when not given
    options: tuple[str, ...] = ()  # the click parameters that go with it alone: refused with another executor
    builds_here: bool = False  # its runs are built in this process's environment (resume checks them here first)
    misplaced_hint: str = ""  # said when another executor's options come with this one
    connects_after_store: bool = False  # its workers open the database: it must exist before they start

    def load(self) -> ExecutorModule:
        return cast("ExecutorModule", importlib.import_module(self.module))


EXECUTORS: dict[str, ExecutorKind] = {kind.name: kind for kind in (
    ExecutorKind("local", "runner.execution.local_pool", "worker processes on this host", 0, builds_here=True),
    ExecutorKind("dask", "runner.execution.dask_executor",
                 "the workers of a Dask scheduler (--address), on any number of hosts (`runner worker ADDRESS` on each)",
                 2, ("address", "detach")),
    ExecutorKind("slurm", "runner.execution.slurm_executor",
                 "workers started as --jobs SLURM jobs, cancelled when the sweep ends", 2, SLURM_OPTIONS,
                 misplaced_hint=" (with slurm, the scheduler lives in this command)", connects_after_store=True),
)}
