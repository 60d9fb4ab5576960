"""PyTorch: Tensors. The polynomial on torch tensors, gradients by hand; autograd is never involved."""

import torch


class Polynomial3:
    """y = a + b x + c x^2 + d x^3 on 0-d tensors that do not require grad."""

    def __init__(self, device="cpu"):
        dtype = torch.float
        # Randomly initialize weights, on the CPU (runner seeds its generator), then move them
        self.a = torch.randn((), dtype=dtype).to(device)
        self.b = torch.randn((), dtype=dtype).to(device)
        self.c = torch.randn((), dtype=dtype).to(device)
        self.d = torch.randn((), dtype=dtype).to(device)

    def parameters(self):
        return [self.a, self.b, self.c, self.d]

    def loss_and_grads(self, x, y):
        a, b, c, d = self.a, self.b, self.c, self.d

        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute loss (left on the device: no .item(), so a GPU never waits)
        loss = (y_pred - y).pow(2).sum()

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()

        return loss, [grad_a, grad_b, grad_c, grad_d]


def build_model(d_in, d_out, device):
    return Polynomial3(device)
