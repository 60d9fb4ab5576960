"""Seeding the global generators that plugins draw from, and drawing without a trace.

Plugins build datasets and initial weights from Python's, NumPy's and
torch's global generators, so a run's seed is set on those. Nothing here
imports torch for a NumPy run, or at import time.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["seed_everything", "seeded_aside", "generators_kept"]


def seed_everything(seed: int, backend: str) -> None:
    """Seed the generators the tutorial's code draws from (for torch, on the CPU and every GPU)."""
    random.seed(seed)
    import numpy

    numpy.random.seed(seed)
    if backend == "torch":
        import torch

        torch.manual_seed(seed)


@contextmanager
def seeded_aside(seed: int, backend: str) -> Iterator[None]:
    """Within the block the CPU generators are seeded as ``seed_everything`` seeds them;
    afterwards they are back where they were, so what the block drew changes no later draw.

    For building a dataset on the CPU outside a run (to learn its shapes). GPU
    generators are left alone: seeding them here would seed them for later too.
    """
    import numpy

    torch = importlib.import_module("torch") if backend == "torch" else None
    saved = random.getstate(), numpy.random.get_state(), torch.get_rng_state() if torch else None
    try:
        random.seed(seed)
        numpy.random.seed(seed)
        if torch is not None:
            torch.default_generator.manual_seed(seed)
        yield
    finally:
        random.setstate(saved[0])
        numpy.random.set_state(saved[1])
        if torch is not None:
            torch.set_rng_state(saved[2])


@contextmanager
def generators_kept() -> Iterator[None]:
    """Whatever the block draws, the global generators are afterwards where they were before it.

    Python's, NumPy's, torch's CPU generator and, when CUDA is initialised,
    every GPU's: what evaluation draws (a model's random depth, dropout)
    then changes no training draw. torch is looked at only if already imported.
    """
    import sys

    import numpy

    torch: Any = sys.modules.get("torch")
    saved = random.getstate(), numpy.random.get_state()
    torch_saved = torch.get_rng_state() if torch is not None else None
    cuda_saved = torch.cuda.get_rng_state_all() if torch is not None and torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        random.setstate(saved[0])
        numpy.random.set_state(saved[1])
        if torch_saved is not None:
            torch.set_rng_state(torch_saved)
        if cuda_saved is not None:
            torch.cuda.set_rng_state_all(cuda_saved)
