"""Warm-up: numpy. The tutorial's polynomial, forward and backward by hand, in float64."""

import numpy as np


class Polynomial3:
    """y = a + b x + c x^2 + d x^3, with the tutorial's hand-written gradients."""

    def __init__(self):
        # Randomly initialize weights (the tutorial's order: a, b, c, d). 0-d arrays
        # rather than floats, so that the optimizer can update them in place.
        self.a = np.array(np.random.randn())
        self.b = np.array(np.random.randn())
        self.c = np.array(np.random.randn())
        self.d = np.array(np.random.randn())

    def parameters(self):
        return [self.a, self.b, self.c, self.d]

    def loss_and_grads(self, x, y):
        a, b, c, d = self.a, self.b, self.c, self.d

        # Forward pass: compute predicted y
        # y = a + b x + c x^2 + d x^3
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute loss
        loss = np.square(y_pred - y).sum()

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()

        return loss, [grad_a, grad_b, grad_c, grad_d]


def build_model(d_in, d_out, device):
    return Polynomial3()
