"""Adapting autograd models to the ``Model`` protocol.

Imported by torch model plugins only, so it may import torch freely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch

__all__ = ["AutogradModel", "module_model"]

# What a loss function returns: the loss, or the loss and its metrics computed in the same pass.
LossOutput = torch.Tensor | tuple[torch.Tensor, Mapping[str, Any]]


class AutogradModel:
    """A model whose gradients come from ``loss.backward()``.

    ``loss_fn(x, y)`` must return a scalar tensor that depends on
    ``params``, or ``(loss, metrics)`` where ``metrics`` maps names to
    scalars computed in the same forward pass (``{"accuracy": ...}``); they
    are then returned, detached, as ``loss_and_grads``'s third item.
    Gradients are cleared (set to None, as ``optimizer.zero_grad()`` does)
    before each backward pass. ``evaluate(x, y)`` computes ``loss_fn``
    without gradients, for held-out data.

    ``module``, the ``nn.Module`` that ``loss_fn`` runs, if any, is what
    runner sees of the model (runner.checkpoints.state.module_of): its
    buffers (batch norm's running statistics) are saved in checkpoints and
    weights, it is in evaluation mode while runner evaluates
    (runner.training.modes), and ``runner.load_model(run).module`` gives it
    back for inference.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        loss_fn: Callable[[Any, Any], LossOutput],
        module: torch.nn.Module | None = None,
    ):
        self._params = list(params)
        self._loss_fn = loss_fn
        self.module = module  # what runner sees of the model: buffers, evaluation mode, load_model(...).module

    def parameters(self) -> Sequence[torch.Tensor]:
        return self._params

    def loss_and_grads(self, x: Any, y: Any) -> tuple[Any, ...]:  # (loss, grads) or (loss, grads, metrics)
        for p in self._params:
            p.grad = None
        loss, metrics = _split(self._loss_fn(x, y))
        loss.backward()
        grads = [p.grad for p in self._params]
        if metrics is None:
            return loss.detach(), grads
        return loss.detach(), grads, {name: _detached(v) for name, v in metrics.items()}

    def evaluate(self, x: Any, y: Any) -> dict[str, Any]:
        """``{"loss": ..., **metrics}`` of ``loss_fn`` on ``x, y``, without gradients."""
        with torch.no_grad():
            loss, metrics = _split(self._loss_fn(x, y))
        return {"loss": loss, **(metrics or {})}


def _split(output: LossOutput) -> tuple[torch.Tensor, Mapping[str, Any] | None]:
    if isinstance(output, tuple):
        loss, metrics = output
        return loss, metrics
    return output, None


def _detached(value: Any) -> Any:
    return value.detach() if isinstance(value, torch.Tensor) else value


def module_model(module: torch.nn.Module, criterion: Callable[[Any, Any], torch.Tensor]) -> AutogradModel:
    """Wrap an ``nn.Module`` and a loss criterion, as the tutorial's nn sections use them."""
    return AutogradModel(module.parameters(), lambda x, y: criterion(module(x), y), module=module)
