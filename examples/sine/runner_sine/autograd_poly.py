"""PyTorch: Tensors and autograd. The forward pass on tensors that require grad; autograd does the backward pass."""

import torch

from runner.autograd import AutogradModel


def build_model(d_in, d_out, device):
    dtype = torch.float
    # Create random Tensors for weights. For a third order polynomial, we need
    # 4 weights: y = a + b x + c x^2 + d x^3. Drawn on the CPU, then moved.
    a = torch.randn((), dtype=dtype).to(device).requires_grad_()
    b = torch.randn((), dtype=dtype).to(device).requires_grad_()
    c = torch.randn((), dtype=dtype).to(device).requires_grad_()
    d = torch.randn((), dtype=dtype).to(device).requires_grad_()

    def loss_fn(x, y):
        # Forward pass: compute predicted y using operations on Tensors.
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        # Compute loss using operations on Tensors.
        loss = (y_pred - y).pow(2).sum()
        return loss

    # AutogradModel calls loss.backward() and clears the gradients (a.grad = None), as the tutorial does.
    return AutogradModel([a, b, c, d], loss_fn)
