"""The tutorial's custom autograd Function, MyReLU, and the net that uses it."""

import torch

from runner.autograd import AutogradModel


class MyReLU(torch.autograd.Function):
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
        to stash information for backward computation.
        """
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        """
        In the backward pass we receive a Tensor containing the gradient of the loss
        with respect to the output, and we need to compute the gradient of the loss
        with respect to the input.
        """
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def build(D_in, D_out, device, hidden):
    """Draw ``w1`` then ``w2`` on the CPU, move them to ``device``, then make them require grad."""
    w1 = torch.randn(D_in, hidden).to(device).requires_grad_()
    w2 = torch.randn(hidden, D_out).to(device).requires_grad_()

    def loss_fn(x, y):
        # To apply our Function, we use Function.apply method. We alias this as 'relu'.
        relu = MyReLU.apply
        y_pred = relu(x.mm(w1)).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        return loss

    return AutogradModel([w1, w2], loss_fn)
