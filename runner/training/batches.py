"""Mini-batches: which rows of the training split each step trains on (``--batch-size``).

A ``BatchSampler`` draws from its own NumPy generator, seeded from the
run's seed, so batches are reproducible and the global generators that
plugins draw from (the tutorial's) see no draw of it. Each epoch is a
fresh permutation of the rows, cut into batches in order; the last
partial batch is kept. On torch the epoch's permutation is moved to the
device once (from pinned memory on CUDA, so the copy never waits for the
GPU) and sliced per step.
"""

from __future__ import annotations

from typing import Any

import numpy

__all__ = ["SEED_TAG", "BatchSampler"]

SEED_TAG = 0x6261746368  # "batch": keeps this generator's stream apart from any other seeded from the run's seed


class BatchSampler:
    """``next(x, y)`` is the next mini-batch of ``batch_size`` rows of ``x`` and ``y``."""

    def __init__(self, rows: int, batch_size: int, seed: int, backend: str, device: Any = None):
        if not 1 <= batch_size <= rows:
            raise ValueError(f"the batch size must be from 1 to the {rows} rows of the training split, not {batch_size}")
        self.rows, self.batch_size, self.backend, self.device = rows, batch_size, backend, device
        self.generator = numpy.random.Generator(numpy.random.PCG64(numpy.random.SeedSequence([seed, SEED_TAG])))
        self.epoch = -1
        self._order: Any = None
        self._at = rows  # the first call starts an epoch

    def indices(self) -> Any:
        """The rows of the next batch: a NumPy array, or a tensor on the device for torch."""
        if self._at >= self.rows:
            self._new_epoch()
        start, self._at = self._at, min(self._at + self.batch_size, self.rows)
        return self._order[start:self._at]

    def next(self, x: Any, y: Any) -> tuple[Any, Any]:
        chosen = self.indices()
        if self.backend == "torch":
            return x.index_select(0, chosen), y.index_select(0, chosen)
        return x[chosen], y[chosen]

    def _new_epoch(self) -> None:
        self._order, self._at, self.epoch = self._placed(self.generator.permutation(self.rows)), 0, self.epoch + 1

    def _placed(self, order: Any) -> Any:
        """An epoch's permutation (a NumPy array) where ``next`` slices it: on the device for torch."""
        if self.backend == "torch":
            import torch

            order = torch.from_numpy(order)
            if getattr(self.device, "type", "cpu") == "cuda":  # pinned, the copy does not wait for the GPU
                order = order.pin_memory()
            order = order.to(self.device, non_blocking=True)  # once per epoch, not per step
        return order

    def state(self) -> dict[str, Any]:
        """Where the sampler is: its generator's state, the epoch, its permutation (a NumPy copy) and the position in it.

        For a checkpoint (runner.checkpoints); copying a permutation on a GPU to the host waits for the device.
        """
        order = self._order
        if order is not None and hasattr(order, "detach"):
            order = order.detach().cpu().numpy()
        return {"rows": self.rows, "batch_size": self.batch_size, "generator": self.generator.bit_generator.state,
                "epoch": self.epoch, "order": None if order is None else numpy.array(order, copy=True), "at": self._at}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from ``state()``'s result: the same batches follow as followed it."""
        self.generator.bit_generator.state = state["generator"]
        order = state["order"]
        self.epoch, self._at = state["epoch"], state["at"]
        self._order = None if order is None else self._placed(numpy.array(order, copy=True))
