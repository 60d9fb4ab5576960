"""The tutorial's autograd network: raw weight tensors that require grad."""

import torch

from runner.autograd import AutogradModel


def build_model(D_in, H, D_out, device="cpu"):
    w1 = torch.randn(D_in, H).to(device).requires_grad_()
    w2 = torch.randn(H, D_out).to(device).requires_grad_()

    def loss_fn(x, y):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        return loss

    return AutogradModel([w1, w2], loss_fn)
