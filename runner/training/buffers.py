"""Holding each step's loss and metric values between the training loop and the store.

The loop hands every step's loss, and the values of the run's metrics, to
a buffer. On the CPU they are read at once (cheap, and divergence is seen
on the step it happens). On a GPU they stay on the device, in one
preallocated block of ``(block, 1 + K)`` values (the loss, then the K
metrics), copied to the host one block at a time, so the loop never waits
on the GPU per step. Evaluation values, read on the host once per
evaluation, join the metric rows as they come.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["HostStepBuffer", "DeviceStepBuffer", "make_buffer"]

Row = tuple[int, float, float]  # (step, loss, seconds since start)
MetricRow = tuple[str, int, float]  # (name, step, value)


class HostStepBuffer:
    """Values read to Python floats as they come (CPU and NumPy)."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.names = tuple(names)  # the per-step metrics, in the order their values come
        self.rows: list[Row] = []
        self.metric_rows: list[MetricRow] = []
        self.latest_metrics: dict[str, float] = {}  # the newest value of each metric on the host
        self.diverged = False

    def add(self, step: int, loss: Any, elapsed: float, values: Sequence[Any] = ()) -> None:
        value = float(loss)
        self.rows.append((step, value, elapsed))
        if values:
            self._add_values(step, [float(v) for v in values])
        if not math.isfinite(value):
            self.diverged = True

    def add_metrics(self, step: int, values: Mapping[str, float]) -> None:
        """Values already on the host, such as an evaluation's, recorded at ``step``."""
        self.metric_rows.extend((name, step, float(v)) for name, v in values.items())
        self.latest_metrics.update(values)

    def _add_values(self, step: int, values: list[float]) -> None:
        self.metric_rows.extend(zip(self.names, [step] * len(values), values))
        self.latest_metrics.update(zip(self.names, values))

    def latest(self) -> float | None:
        """The newest loss already on the host, if any, without waiting on a device."""
        return self.rows[-1][1] if self.rows else None

    def drain(self) -> tuple[list[Row], list[MetricRow]]:
        """Every row added since the last drain; the buffer is then empty."""
        rows, self.rows = self.rows, []
        metric_rows, self.metric_rows = self.metric_rows, []
        return rows, metric_rows


class DeviceStepBuffer(HostStepBuffer):
    """Values kept on the device and copied to the host in blocks."""

    def __init__(self, device: Any, names: Sequence[str] = (), block: int = 1024) -> None:
        import torch

        super().__init__(names)
        # float64 holds a float32 loss exactly; MPS has no float64, and its losses are float32 anyway.
        dtype = torch.float32 if getattr(device, "type", "") == "mps" else torch.float64
        self._values = torch.empty((block, 1 + len(self.names)), dtype=dtype, device=device)
        self._steps: list[tuple[int, float]] = []
        self._block = block
        self._stack = torch.stack

    def add(self, step: int, loss: Any, elapsed: float, values: Sequence[Any] = ()) -> None:
        i = len(self._steps)
        if not values:
            self._values[i, 0] = loss  # a device-side copy: no sync
        elif all(hasattr(v, "detach") for v in values):
            self._values[i] = self._stack([loss, *values])  # one kernel and one copy for the whole row
        else:  # Python numbers (a learning rate) are written as they are: still no sync
            for j, v in enumerate((loss, *values)):
                self._values[i, j] = v
        self._steps.append((step, elapsed))
        if len(self._steps) == self._block:
            self._copy_block()

    def drain(self) -> tuple[list[Row], list[MetricRow]]:
        self._copy_block()
        return super().drain()

    def _copy_block(self) -> None:
        if not self._steps:
            return
        block = self._values[: len(self._steps)].tolist()  # the one sync per block
        for (step, elapsed), (loss, *values) in zip(self._steps, block):
            self.rows.append((step, loss, elapsed))
            if values:
                self._add_values(step, values)
            if not math.isfinite(loss):
                self.diverged = True
                # The steps after a divergence are not kept, nor what an evaluation recorded after it.
                self.metric_rows = [r for r in self.metric_rows if r[1] <= step]
                break
        self._steps = []


def make_buffer(device: Any, names: Sequence[str] = ()) -> HostStepBuffer:
    if getattr(device, "type", "cpu") in ("cuda", "mps"):
        return DeviceStepBuffer(device, names)
    return HostStepBuffer(names)
