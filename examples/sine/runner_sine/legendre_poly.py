"""PyTorch: Defining new autograd Functions. y = a + b P3(c + d x), with P3 a custom autograd Function."""

import torch

from runner.autograd import AutogradModel


class LegendrePolynomial3(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        """
        In the forward pass we receive a Tensor containing the input and return
        a Tensor containing the output. ctx is a context object that can be used
        to stash information for backward computation. You can cache arbitrary
        objects for use in the backward pass using the ctx.save_for_backward method.
        """
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        """
        In the backward pass we receive a Tensor containing the gradient of the loss
        with respect to the output, and we need to compute the gradient of the loss
        with respect to the input.
        """
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def build_model(d_in, d_out, device):
    dtype = torch.float
    # Create Tensors for weights. For this example, we need
    # 4 weights: y = a + b * P3(c + d * x), these weights need to be initialized
    # not too far from the correct result to ensure convergence.
    a = torch.full((), 0.0, dtype=dtype).to(device).requires_grad_()
    b = torch.full((), -1.0, dtype=dtype).to(device).requires_grad_()
    c = torch.full((), 0.0, dtype=dtype).to(device).requires_grad_()
    d = torch.full((), 0.3, dtype=dtype).to(device).requires_grad_()

    def loss_fn(x, y):
        # To apply our Function, we use Function.apply method. We alias this as 'P3'.
        P3 = LegendrePolynomial3.apply

        # Forward pass: compute predicted y using operations; we compute
        # P3 using our custom autograd operation.
        y_pred = a + b * P3(c + d * x)

        # Compute loss
        loss = (y_pred - y).pow(2).sum()
        return loss

    return AutogradModel([a, b, c, d], loss_fn)
