"""A model's final weights as a file others can read: a state-dict ``.pt`` for torch, an ``.npz`` for NumPy.

A torch model built on an ``nn.Module`` (itself, or the ``module`` that
runner.autograd keeps) is saved as that module's ``state_dict()``, which
torch code can load into the module directly; any other model as its
parameters named ``p0``, ``p1``, ... in the order of ``parameters()``.
Loading reads with ``torch.load(..., weights_only=True)`` or
``numpy.load(..., allow_pickle=False)``, so it never runs code from the
file, and puts the weights into a freshly built model of the same shapes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy

from runner.checkpoints.codec import first_line
from runner.checkpoints.state import copy_into, host_copy, module_of
from runner.errors import CheckpointError

__all__ = ["SUFFIX", "weights_of", "snapshot", "weights_bytes", "export_weights", "save_weights", "load_weights"]

SUFFIX = {"torch": ".pt", "numpy": ".npz"}


def weights_of(model: Any, backend: str) -> dict[str, Any]:
    """Name to a host copy of each weight: the module's state_dict() (torch), else ``p0``, ``p1``, ..."""
    return {name: host_copy(value) for name, value in _named(model, backend).items()}


def snapshot(model: Any, backend: str) -> dict[str, Any]:
    """The weights as ``weights_of`` names them, copied where they are: on a GPU a copy on the device, queued
    without waiting for it (``weights_bytes`` later brings it to the host)."""
    return {name: value.detach().clone() if hasattr(value, "detach") else numpy.array(value, copy=True)
            for name, value in _named(model, backend).items()}


def weights_bytes(weights: dict[str, Any], backend: str) -> bytes:
    """The bytes of the weights file of ``weights`` (name to array or tensor, anywhere): what ``torch.save`` or
    ``numpy.savez`` writes, of host copies."""
    buffer = io.BytesIO()
    host = {name: host_copy(value) for name, value in weights.items()}
    if backend == "torch":
        import torch

        torch.save(host, buffer)
    else:
        numpy.savez(buffer, **host)
    return buffer.getvalue()


def export_weights(model: Any, backend: str) -> bytes:
    """The bytes of the weights file: what ``torch.save`` or ``numpy.savez`` writes."""
    return weights_bytes(_named(model, backend), backend)


def _named(model: Any, backend: str) -> dict[str, Any]:
    """Name to each weight itself (no copy): the module's state_dict() (torch), else ``p0``, ``p1``, ..."""
    module = module_of(model) if backend == "torch" else None
    if module is not None:
        return dict(module.state_dict())
    return {f"p{i}": p for i, p in enumerate(model.parameters())}


def save_weights(model: Any, backend: str, path: str | Path) -> Path:
    """Write the weights to ``path`` (its suffix made ``.pt`` or ``.npz``); returns the path written."""
    path = Path(path).with_suffix(SUFFIX[backend])
    path.write_bytes(export_weights(model, backend))
    return path


def load_weights(model: Any, backend: str, source: bytes | str | Path, label: str = "the model") -> None:
    """Put the weights in ``source`` (bytes or a path) into ``model``; a CheckpointError if they do not fit it."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    weights = _read(data, backend)
    module = module_of(model) if backend == "torch" else None
    try:
        if module is not None:
            module.load_state_dict(weights, strict=True)
            return
        params = list(model.parameters())
        names = [f"p{i}" for i in range(len(params))]
        if sorted(weights) != sorted(names):
            raise ValueError(f"the file holds {', '.join(sorted(weights)) or 'nothing'}, the model {', '.join(names)}")
        for name, p in zip(names, params):
            if tuple(weights[name].shape) != tuple(p.shape):
                raise ValueError(f"{name} is {tuple(weights[name].shape)} in the file, {tuple(p.shape)} in the model")
        copy_into(params, [weights[name] for name in names])
    except Exception as exc:
        raise CheckpointError(f"the weights do not fit {label} ({first_line(exc)}): load them into the model "
                              "and settings they were saved from") from None


def _read(data: bytes, backend: str) -> dict[str, Any]:
    try:
        if backend == "torch":
            import torch

            weights = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
            assert isinstance(weights, dict) and all(isinstance(v, torch.Tensor) for v in weights.values())
            return dict(weights)
        with numpy.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except Exception as exc:
        raise CheckpointError(f"not a weights file that loads safely ({first_line(exc)}): it is not loaded; "
                              f"give the {SUFFIX[backend]} file runner saved") from None
