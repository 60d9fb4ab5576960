"""The tutorial's autograd network: raw weight tensors that require grad."""

import torch

from runner.autograd import AutogradModel


def build(D_in, D_out, device, hidden):
    """Draw ``w1`` then ``w2`` on the CPU, move them to ``device``, then make them require grad."""
    w1 = torch.randn(D_in, hidden).to(device).requires_grad_()
    w2 = torch.randn(hidden, D_out).to(device).requires_grad_()

    def loss_fn(x, y):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        return loss

    return AutogradModel([w1, w2], loss_fn)
