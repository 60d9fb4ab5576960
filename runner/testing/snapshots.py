"""Copies of a trainer's state (parameters, optimizer state, global generators, its module's training flags and
buffers), and what changed between two.

The evaluation check takes one before and one after evaluating the model,
and the every-parameter check compares parameters before and after training.
"""

from __future__ import annotations

import copy
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["snapshot", "same", "TrainingState"]


def snapshot(p: Any) -> Any:
    """A copy of one array or tensor, detached from any graph."""
    import numpy as np

    return p.detach().clone() if hasattr(p, "detach") else np.array(p, copy=True)


def same(a: Any, b: Any) -> bool:
    """Whether two copied values are equal, through dicts, lists, tuples, arrays and tensors (NaN equals NaN)."""
    import numpy as np

    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, "detach") or hasattr(b, "detach"):
        import torch

        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape):
            return False
        a, b = a.detach(), b.detach()
        if a.is_floating_point() and b.is_floating_point():
            holes = a.isnan()
            return bool(torch.equal(holes, b.isnan()) and torch.equal(a.masked_fill(holes, 0), b.masked_fill(holes, 0)))
        return torch.equal(a, b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b, equal_nan=np.asarray(a).dtype.kind in "fc"))
    try:
        return bool(a == b)
    except Exception:  # an object that cannot be compared: judged by identity
        return a is b


def _optimizer_state(optimizer: Any, params: list[Any]) -> Any:
    """A copy of ``state_dict()`` (torch.optim), else of the optimizer's attributes (None if it has none).

    The parameters it holds are left out (each stands as its index): they are compared on their own.
    """
    if callable(getattr(optimizer, "state_dict", None)):
        return copy.deepcopy(optimizer.state_dict())
    attributes = getattr(optimizer, "__dict__", None)
    try:
        return copy.deepcopy(attributes, memo={id(p): f"parameter {i}" for i, p in enumerate(params)})
    except Exception:  # something in it cannot be copied: the optimizer state is then not compared
        return None


def _generators() -> dict[str, Any]:
    """The states of the generators training draws from: Python's, NumPy's and (when imported) torch's CPU one."""
    import numpy as np

    states = {"Python's random": random.getstate(), "NumPy's global generator": np.random.get_state()}
    torch: Any = sys.modules.get("torch")
    if torch is not None:
        states["torch's CPU generator"] = torch.get_rng_state()
    return states


def _module_state(model: Any) -> dict[str, Any]:
    """Each submodule's own training flag and a copy of each buffer of the model's nn.Module, by a description
    that names it; {} for a model runner finds no module in (runner.checkpoints.state.module_of)."""
    from runner.checkpoints.state import module_of
    from runner.training.modes import named

    module = module_of(model)
    if module is None:
        return {}
    modules = list(module.named_modules())
    state: dict[str, Any] = {f"the training flag of {named(name, m)}": m.training for name, m in modules}
    state.update({named(f"{prefix}.{key}" if prefix else key, owner, "buffer"): snapshot(b)
                  for prefix, owner in modules for key, b in owner.named_buffers(recurse=False)})
    return state


@dataclass(frozen=True)
class TrainingState:
    parameters: list[Any]
    optimizer: Any
    generators: dict[str, Any]
    modules: dict[str, Any]  # the training flags and buffers of the model's nn.Module ({} without one)

    @classmethod
    def of(cls, trainer: Any) -> TrainingState:
        params = list(trainer.model.parameters())
        return cls([snapshot(p) for p in params], _optimizer_state(trainer.optimizer, params), _generators(),
                   _module_state(trainer.model))

    def changes(self, trainer: Any) -> list[str]:
        """What differs in ``trainer`` now from this copy, each as a few words."""
        now = TrainingState.of(trainer)
        found = [f"parameter {i} (shape {tuple(p.shape)})" for i, (p, q) in enumerate(zip(self.parameters, now.parameters))
                 if not same(p, q)]
        if not same(self.optimizer, now.optimizer):
            found.append("the optimizer's state")
        found += [name for name, state in self.generators.items() if not same(state, now.generators.get(name))]
        found += [name for name, state in self.modules.items() if name not in now.modules or not same(state, now.modules[name])]
        return found
