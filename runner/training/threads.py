"""How many CPU threads a run trains with, set in its own process and recorded as set (runs.threads).

The rule, in order: ``--threads N``; else ``$OMP_NUM_THREADS``; else the library's default (torch's: one
per core). A sweep's worker starts with ``$OMP_NUM_THREADS`` set to its count, 1 unless asked
(runner.execution.slots.worker_threads), so that a sweep's runs neither fight over the cores nor change
their losses with the machine or ``--jobs``.

A torch model: ``torch.set_num_threads``, and the count recorded is ``torch.get_num_threads()``. A NumPy
model's BLAS reads its count as NumPy loads, long before a run starts, so it is limited through
threadpoolctl where that is installed, and the count recorded is the one the BLAS reports; without
threadpoolctl the count recorded is the one the process was started with ($OPENBLAS_NUM_THREADS,
$MKL_NUM_THREADS or $OMP_NUM_THREADS), or None (not known) where none was set.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from runner.environment import MAX_THREADS, omp_threads
from runner.errors import OptionError

__all__ = ["check_threads", "wanted", "apply_threads", "BLAS_VARIABLES"]

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")  # the order a BLAS prefers them


def check_threads(threads: Any) -> None:
    """OptionError unless ``threads`` is None or a whole number from 1 to MAX_THREADS."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or not 1 <= threads <= MAX_THREADS):
        raise OptionError(f"threads must be a whole number from 1 to {MAX_THREADS}, not {threads!r}")


def wanted(threads: int | None) -> int | None:
    """The count the rule asks for (``--threads``, else $OMP_NUM_THREADS), or None: the library's default."""
    return threads if threads is not None else omp_threads()


def apply_threads(threads: int | None, backend: str) -> int | None:
    """Set this process's threads for a run of ``backend`` ("torch" or "numpy") by the rule; returns the count
    it trains with, or None where that cannot be known."""
    count = wanted(threads)
    if backend == "torch":
        import torch

        if count is not None:
            torch.set_num_threads(count)
        return int(torch.get_num_threads())
    return _blas_threads(count)


def _blas_threads(count: int | None) -> int | None:
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        if count is not None and count != _started_with():
            print(f"warning: a NumPy model's BLAS threads cannot be set to {count} in a running process without "
                  "threadpoolctl; start runner with OMP_NUM_THREADS set (or install threadpoolctl)", file=sys.stderr)
        return _started_with()
    if count is not None:
        threadpool_limits(limits=count, user_api="blas")  # kept for the process: its next run sets its own
    counts = [int(pool["num_threads"]) for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts) if counts else None


def _started_with() -> int | None:
    """The BLAS threads this process's environment set, which the BLAS read as NumPy loaded."""
    for variable in BLAS_VARIABLES:
        first = os.environ.get(variable, "").split(",")[0].strip()
        if first.isdigit() and int(first) > 0:
            return int(first)
    return None
