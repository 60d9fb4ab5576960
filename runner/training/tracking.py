"""Metrics that runner computes itself, opted into per run with ``--track``.

``lr`` is the learning rate the optimizer holds for the step (its first
parameter group's), ``grad_norm`` the global L2 norm of the step's
gradients, ``param_norm`` the global L2 norm of the parameters after the
step's update. Norms are computed where the values live (a 0-d tensor on
the model's device, no host sync) and go to the host in blocks with the
loss; NumPy models get NumPy scalars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from runner.metrics import TRACKED

__all__ = ["Tracked", "learning_rate", "global_norm", "TRACKERS"]


@dataclass(frozen=True)
class Tracked:
    """One tracked metric: ``compute(optimizer, params, grads)``, before or after the optimizer's update."""

    name: str
    compute: Callable[[Any, Sequence[Any], Sequence[Any]], Any]
    after_update: bool = False


def learning_rate(optimizer: Any, params: Sequence[Any], grads: Sequence[Any]) -> float:
    groups = getattr(optimizer, "param_groups", None)
    lr = groups[0]["lr"] if groups else getattr(optimizer, "lr", float("nan"))
    return lr if hasattr(lr, "detach") else float(lr)  # a tensor lr (capturable optimizers) stays on its device


def global_norm(values: Sequence[Any]) -> Any:
    """The L2 norm of every array or tensor in ``values`` together (None entries skipped)."""
    present = [v for v in values if v is not None]
    if not present:
        return 0.0
    if hasattr(present[0], "detach"):  # torch: one norm per tensor, then the norm of those, all on the device
        import torch

        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(v.detach()) for v in present]))
    import numpy

    return numpy.sqrt(sum(float(numpy.vdot(v, v)) for v in present))


TRACKERS: dict[str, Tracked] = {
    "lr": Tracked("lr", learning_rate),
    "grad_norm": Tracked("grad_norm", lambda optimizer, params, grads: global_norm(grads)),
    "param_norm": Tracked("param_norm", lambda optimizer, params, grads: global_norm(params), after_update=True),
}
assert tuple(TRACKERS) == TRACKED, "runner.metrics.TRACKED names exactly these"
