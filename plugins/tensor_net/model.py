"""The tutorial's tensor network: forward and backward by hand, autograd never involved."""

import torch


class TensorNet:
    """``y_pred = relu(x.mm(w1)).mm(w2)``; the weights do not require grad.

    The loss is returned as a 0-d tensor on the device (no ``.item()``),
    so a training loop on a GPU never waits for it.
    """

    def __init__(self, D_in, H, D_out, device="cpu"):
        # Randomly initialize weights, on the CPU, then move them
        self.w1 = torch.randn(D_in, H).to(device)
        self.w2 = torch.randn(H, D_out).to(device)

    def parameters(self):
        return [self.w1, self.w2]

    def loss_and_grads(self, x, y):
        w1, w2 = self.w1, self.w2

        # Forward pass: compute predicted y
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)

        # Compute loss (left on the device: no .item())
        loss = (y_pred - y).pow(2).sum()

        # Backprop to compute gradients of w1 and w2 with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)

        return loss, [grad_w1, grad_w2]


def build(D_in, D_out, device, hidden):
    """Draw ``w1`` then ``w2`` on the CPU with torch's global generator, then move them to ``device``."""
    return TensorNet(D_in, hidden, D_out, device)
