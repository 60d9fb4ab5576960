"""Adapting autograd models to the ``Model`` protocol.

Imported by torch model plugins only, so it may import torch freely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch


class AutogradModel:
    """A model whose gradients come from ``loss.backward()``.

    ``loss_fn(x, y)`` must return a scalar tensor that depends on
    ``params``. Gradients are cleared (set to None, as
    ``optimizer.zero_grad()`` does) before each backward pass.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        loss_fn: Callable[[Any, Any], torch.Tensor],
        module: torch.nn.Module | None = None,
    ):
        self._params = list(params)
        self._loss_fn = loss_fn
        self.module = module  # kept for plugins and tests that want the nn.Module

    def parameters(self) -> Sequence[torch.Tensor]:
        return self._params

    def loss_and_grads(self, x: Any, y: Any) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
        for p in self._params:
            p.grad = None
        loss = self._loss_fn(x, y)
        loss.backward()
        return loss.detach(), [p.grad for p in self._params]


def module_model(module: torch.nn.Module, criterion: Callable[[Any, Any], torch.Tensor]) -> AutogradModel:
    """Wrap an ``nn.Module`` and a loss criterion, as the tutorial's nn sections use them."""
    return AutogradModel(module.parameters(), lambda x, y: criterion(module(x), y), module=module)
