"""Holding losses between the training loop and the store.

The loop hands every step's loss to a buffer. On the CPU the value is read
at once (cheap, and divergence is seen on the step it happens). On a GPU
the loss stays on the device, in a preallocated block, and is copied to the
host one block at a time, so the loop never waits on the GPU per step.
"""

from __future__ import annotations

import math
from typing import Any

Row = tuple[int, float, float]  # (step, loss, seconds since start)


class HostLossBuffer:
    """Losses read to Python floats as they come (CPU and NumPy)."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.diverged = False

    def add(self, step: int, loss: Any, elapsed: float) -> None:
        value = float(loss)
        self.rows.append((step, value, elapsed))
        if not math.isfinite(value):
            self.diverged = True

    def latest(self) -> float | None:
        """The newest loss already on the host, if any, without waiting on a device."""
        return self.rows[-1][1] if self.rows else None

    def drain(self) -> list[Row]:
        """Every row added since the last drain; the buffer is then empty."""
        rows, self.rows = self.rows, []
        return rows


class DeviceLossBuffer(HostLossBuffer):
    """Losses kept on the device and copied to the host in blocks."""

    def __init__(self, device: Any, block: int = 1024) -> None:
        import torch

        super().__init__()
        # float64 holds a float32 loss exactly; MPS has no float64, and its losses are float32 anyway.
        dtype = torch.float32 if getattr(device, "type", "") == "mps" else torch.float64
        self._values = torch.empty(block, dtype=dtype, device=device)
        self._steps: list[tuple[int, float]] = []
        self._block = block

    def add(self, step: int, loss: Any, elapsed: float) -> None:
        self._values[len(self._steps)] = loss  # a device-side copy: no sync
        self._steps.append((step, elapsed))
        if len(self._steps) == self._block:
            self._copy_block()

    def drain(self) -> list[Row]:
        self._copy_block()
        return super().drain()

    def _copy_block(self) -> None:
        if not self._steps:
            return
        values = self._values[: len(self._steps)].tolist()  # the one sync per block
        for (step, elapsed), value in zip(self._steps, values):
            self.rows.append((step, value, elapsed))
            if not math.isfinite(value):
                self.diverged = True
                break  # the steps after a divergence are not kept
        self._steps = []


def make_buffer(device: Any) -> HostLossBuffer:
    if getattr(device, "type", "cpu") in ("cuda", "mps"):
        return DeviceLossBuffer(device)
    return HostLossBuffer()
