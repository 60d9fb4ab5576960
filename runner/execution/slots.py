"""Where a sweep's workers go: one slot per worker, each a device and the device requests it takes, planned
the same way for the local pool, a host's ``runner worker`` and each SLURM job."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from runner.processes import host_name

__all__ = ["Slot", "plan_slots", "slot_name", "cpu_slots", "slot_environment", "worker_threads", "BLAS_THREAD_VARIABLES"]

BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class Slot:
    """One worker's place: the device it trains on and the requests it takes."""

    device: str  # as recorded: "cpu" or "cuda:N"
    accepts: tuple[str, ...]
    threads: int  # its CPU threads (worker_threads), set in its environment before it imports torch or NumPy


def worker_threads(asked: int | None) -> int:
    """A worker's CPU threads: ``--threads`` if given, else $OMP_NUM_THREADS, else 1. One, not a share of the
    cores: a sweep trains a run per worker, and a run's losses then depend neither on ``--jobs`` nor on the
    machine, and a loaded machine does not slow each worker's many threads to a crawl (issue 19)."""
    from runner.training.threads import wanted

    return wanted(asked) or 1


def plan_slots(jobs: int, per_device: int, gpus: int, threads: int, requested: Iterable[str]) -> list[Slot]:
    """Up to ``jobs`` slots: ``per_device`` on each GPU first, the rest on the CPU, each with ``threads``.

    ``auto`` and ``cuda`` go to any GPU (to the CPU only when there is
    none); ``cuda:N`` to that GPU; ``cpu`` to the CPU, which always gets a
    slot when a run asks for it.
    """
    requested = set(requested)
    gpu_slots = [
        Slot(f"cuda:{i}", ("auto", "cuda", f"cuda:{i}"), threads)
        for i in range(gpus) for _ in range(per_device)
        if requested & {"auto", "cuda", f"cuda:{i}"}
    ][:jobs]
    cpu_count = jobs - len(gpu_slots)
    cpu_accepts = ("cpu",) if gpus else ("auto", "cpu")
    if not requested & set(cpu_accepts):
        cpu_count = 0
    elif cpu_count < 1:
        cpu_count = 1
    return gpu_slots + [Slot("cpu", cpu_accepts, threads)] * cpu_count


def slot_name(index: int, slot: Slot) -> str:
    """What a slot is called on the runs it takes (runs.slot) and, for ``runner worker``, as a Dask worker:
    HOST-INDEX-DEVICE, e.g. ``node7-2-cuda:1``."""
    return f"{host_name()}-{index}-{slot.device}"


def cpu_slots(gpus: int, asked: int | None) -> int:
    """How many CPU slots a host (``runner worker``) or a SLURM job starts: as asked, else 0 beside GPUs, 1 without."""
    return (0 if gpus else 1) if asked is None else asked


def slot_environment(slot: Slot) -> dict[str, str]:
    """This process's environment for a worker of ``slot``: its threads (read by torch and the BLAS as they
    load), and a GPU slot's one GPU (which torch then calls cuda:0)."""
    env = dict(os.environ)
    env.update({name: str(slot.threads) for name in BLAS_THREAD_VARIABLES})
    if slot.device != "cpu":
        index = int(slot.device.partition(":")[2])
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        env["CUDA_VISIBLE_DEVICES"] = visible.split(",")[index] if visible else str(index)
    return env
