"""Choosing the device a run trains on."""

from __future__ import annotations

import re
from typing import Any

from runner.errors import ConfigError

__all__ = ["DEVICE_PATTERN", "check_device_syntax", "resolve_device", "gpu_count"]

DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def check_device_syntax(device: str) -> str:
    """Reject a device string that can never be valid, without importing torch."""
    if not DEVICE_PATTERN.match(device):
        raise ConfigError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    return device


def resolve_device(device: str, backend: str) -> Any:
    """The device to train on: ``"cpu"`` for NumPy models, a ``torch.device`` otherwise.

    ``auto`` picks cuda, then mps, then the CPU. An absent device is a
    ConfigError, raised before anything is written.
    """
    check_device_syntax(device)
    if backend == "numpy":
        if device not in ("auto", "cpu"):
            raise ConfigError(f"NumPy models run on the CPU only; use --device cpu, not {device!r}")
        return "cpu"

    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available(torch):
            return torch.device("mps")
        return torch.device("cpu")
    if device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.partition(":")[2] or 0)
        if count == 0:
            raise ConfigError(f"device {device!r} is not available: no CUDA GPU found; use --device cpu or auto")
        if index >= count:
            raise ConfigError(f"device {device!r} is not available: this machine has cuda:0 to cuda:{count - 1}")
        return torch.device("cuda", index)
    if device == "mps" and not _mps_available(torch):
        raise ConfigError("device 'mps' is not available on this machine; use --device cpu or auto")
    return torch.device(device)


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def gpu_count() -> int:
    """The CUDA GPUs this process sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0
