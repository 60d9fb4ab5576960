"""The tutorial's NumPy network, with its exact operations, in float64."""

import numpy as np


class NumpyNet:
    """``y_pred = relu(x @ w1) @ w2`` with the tutorial's hand-written backward pass."""

    def __init__(self, D_in, H, D_out):
        # Randomly initialize weights (the tutorial's order: w1, then w2)
        self.w1 = np.random.randn(D_in, H)
        self.w2 = np.random.randn(H, D_out)

    def parameters(self):
        return [self.w1, self.w2]

    def loss_and_grads(self, x, y):
        w1, w2 = self.w1, self.w2

        # Forward pass: compute predicted y
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)

        # Compute loss
        loss = np.square(y_pred - y).sum()

        # Backprop to compute gradients of w1 and w2 with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)

        return loss, [grad_w1, grad_w2]


def build(D_in, D_out, device, hidden):
    """Draw ``w1`` then ``w2`` from NumPy's global generator; ``device`` is always ``"cpu"``."""
    return NumpyNet(D_in, hidden, D_out)
