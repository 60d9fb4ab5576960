"""Held-out evaluation (``--eval-every N``): the model on the validation split, leaving training as it was.

Evaluation runs without gradients (``torch.no_grad()``), with the global
generators saved and restored around it (``runner.seeding.generators_kept``),
so a run with evaluation trains exactly as the same run without it. A
model's own ``evaluate(x, y)`` is used when it has one; otherwise its
``loss_and_grads`` gives the loss and metrics and the gradients are
discarded (each parameter's ``.grad`` is put back as it was). A torch
model's ``nn.Module`` is in evaluation mode meanwhile, and its modules'
training flags and its buffers are put back afterwards
(runner.training.modes), so no ``evaluate`` can leave dropout off or let
batch norm learn from held-out data. Values are read to the host in one
copy per evaluation and named ``val_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from runner.contracts import check_metrics
from runner.metrics import validation_name
from runner.seeding import generators_kept
from runner.training.modes import Watched, evaluation_mode

__all__ = ["Evaluator", "to_host"]


@dataclass
class Evaluator:
    """Evaluates ``model`` on the held-out ``x, y`` (already on the model's device)."""

    model: Any
    x: Any
    y: Any
    backend: str
    label: str = "the model"
    # The conformance suite's: called with what was saved, after the model evaluated and before runner puts
    # its flags and buffers back; ``switch=False`` leaves the module in its mode, to see what evaluate does alone.
    watch: Callable[[Watched | None], None] | None = None
    switch: bool = True

    def __call__(self) -> dict[str, float]:
        with generators_kept(), self._mode() as watched:
            values = self._own() if callable(getattr(self.model, "evaluate", None)) else self._from_training()
            if self.watch is not None:
                self.watch(watched)
        check_metrics(values, self.label, "evaluate", allow_loss=True)
        return {validation_name(name): value for name, value in zip(values, to_host(list(values.values())))}

    def _mode(self) -> Any:
        if self.backend != "torch":
            return nullcontext()
        return evaluation_mode(self.model, self.switch, record=self.watch is not None)

    def _own(self) -> Mapping[str, Any]:
        if self.backend != "torch":
            return self.model.evaluate(self.x, self.y)
        import torch

        with torch.no_grad():
            return self.model.evaluate(self.x, self.y)

    def _from_training(self) -> dict[str, Any]:
        params = list(self.model.parameters())
        saved = [getattr(p, "grad", None) for p in params]
        if self.backend == "torch":
            for p in params:
                p.grad = None  # a backward pass here must not add into the training gradients
        try:
            out = self.model.loss_and_grads(self.x, self.y)
        finally:
            if self.backend == "torch":
                for p, grad in zip(params, saved):
                    p.grad = grad
        return {"loss": out[0], **(out[2] if len(out) > 2 else {})}


def to_host(values: list[Any]) -> list[float]:
    """Python floats of ``values``; tensors on a device come over in one copy."""
    is_tensor = [hasattr(v, "detach") for v in values]
    if not any(is_tensor):
        return [float(v) for v in values]
    import torch

    tensors = [v.detach() for v, t in zip(values, is_tensor) if t]
    try:
        copied = iter(torch.stack(tensors).tolist())
    except RuntimeError:  # tensors on different devices: one copy each
        copied = iter([float(t) for t in tensors])
    return [next(copied) if t else float(v) for v, t in zip(values, is_tensor)]
