"""A multilayer perceptron that classifies the digits: Linear, ReLU, Linear, and cross-entropy.

It follows runner's Model protocol directly: ``parameters()``,
``loss_and_grads(x, y)`` returning ``(loss, grads, metrics)``, and
``evaluate(x, y)`` for the held-out split. The batch accuracy comes out of
the same forward pass as the loss and stays a tensor on the device: runner
copies losses and metrics to the host in blocks, so no step waits for it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The fraction of rows whose highest logit is the true class: a 0-d float tensor on their device."""
    return (logits.argmax(dim=1) == y).float().mean()


class DigitsMLP:
    def __init__(self, net: torch.nn.Module):
        self.net = net
        # runner finds the torch module here: it evaluates in evaluation mode (then puts every flag and buffer
        # back), and checkpoints and weights hold the module's whole state, buffers included.
        self.module = net
        self._params = list(net.parameters())

    def parameters(self) -> list[torch.Tensor]:
        return self._params

    def loss_and_grads(self, x: torch.Tensor, y: torch.Tensor):
        for p in self._params:
            p.grad = None  # as optimizer.zero_grad() does
        logits = self.net(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        # detached, and never .item(): a metric is a value on the device, like the loss
        return loss.detach(), [p.grad for p in self._params], {"accuracy": accuracy(logits.detach(), y)}

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Loss and accuracy on held-out data; runner records them as val_loss and val_accuracy."""
        # No net.eval() here: runner switches self.module to evaluation mode around this call.
        with torch.no_grad():
            logits = self.net(x)
            return {"loss": F.cross_entropy(logits, y), "accuracy": accuracy(logits, y)}


def build_model(d_in: int, d_out: int, device, hidden: int = 64) -> DigitsMLP:
    """d_in features in, d_out = the dataset's classes out. Weights drawn on the CPU (seeded by runner), then moved."""
    net = torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, d_out))
    return DigitsMLP(net.to(device))
