"""More test-only plugins for the conformance suite (runner.testing), loaded with RUNNER_PLUGINS.

Each ``nc_`` plugin fails one check that every earlier check let through;
each ``ok_`` plugin is correct and must pass the check named beside it.
``nc_raises`` is broken on its own: checks of other plugins that train with
it must warn about it, not fail.
"""

import numpy as np

from runner import ModelSpec, OptimizerSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS

TORCH = dict(backend="torch", optimizer="gd", lr=1e-6, shapes=BATCH_OF_VECTORS)


def _weights(d_in, d_out, hidden=5):
    import torch

    return (torch.randn(d_in, hidden) * 0.1).requires_grad_(), (torch.randn(hidden, d_out) * 0.1).requires_grad_()


def detached_layer(d_in, d_out, device):
    """every parameter: the first layer's output is detached, so w1 never gets a gradient; the loss still falls."""
    from runner.autograd import AutogradModel

    w1, w2 = _weights(d_in, d_out)
    return AutogradModel([w1, w2], lambda x, y: (x.mm(w1).detach().clamp(min=0).mm(w2) - y).pow(2).sum())


class CopiedParameter:
    """every parameter: parameters() hands out a copy of b, so b gets gradients but never changes."""

    def __init__(self, d_in, d_out):
        self.w, self.b = np.random.randn(d_in, d_out) * 0.01, np.zeros(d_out)

    def parameters(self):
        return [self.w, self.b.copy()]

    def loss_and_grads(self, x, y):
        residual = x @ self.w + self.b - y
        return (residual**2).sum(), [2 * x.T @ residual, 2 * residual.sum(0)]


def hand_written(d_in, d_out, device, detach=False):
    """hand-written gradients: right ones; with ``detach`` the loss comes back detached, leaving no reference."""
    import torch

    class Model:
        def __init__(self):
            self.w = torch.randn(d_in, d_out) * 0.01

        def parameters(self):
            return [self.w]

        def loss_and_grads(self, x, y):
            residual = x.mm(self.w) - y
            loss = residual.pow(2).sum()
            return (loss.detach() if detach else loss), [2 * x.t().mm(residual)]

    return Model()


def autograd_grad(d_in, d_out, device, detach=False):
    """hand-written gradients (correct): computed with torch.autograd.grad, which frees the graph."""
    import torch

    w1, w2 = _weights(d_in, d_out)

    class Model:
        def parameters(self):
            return [w1, w2]

        def loss_and_grads(self, x, y):
            loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
            grads = torch.autograd.grad(loss, [w1, w2])
            return (loss.detach() if detach else loss), list(grads)

    return Model()


def bound_grad(d_in, d_out, device):
    """hand-written gradients: a grad bound by name frees the graph unseen; the check must say so, not crash."""
    import torch
    from torch.autograd import grad

    w = (torch.randn(d_in, d_out) * 0.01).requires_grad_()

    class Model:
        def parameters(self):
            return [w]

        def loss_and_grads(self, x, y):
            loss = (x.mm(w) - y).pow(2).sum()
            return loss, list(grad(loss, [w]))

    return Model()


class Raises:
    def __init__(self, d_in, d_out):
        self.w = np.zeros((d_in, d_out))

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        raise RuntimeError("nc_raises is broken")


def numpy_model(cls):
    return lambda d_in, d_out, device: cls(d_in, d_out)


@hookimpl
def register_models(register):
    numpy = dict(backend="numpy", optimizer="gd", lr=1e-4, shapes=BATCH_OF_VECTORS)
    register(ModelSpec(name="nc_detached_layer", build=detached_layer, **TORCH))
    register(ModelSpec(name="nc_copied_parameter", build=numpy_model(CopiedParameter), **numpy))
    register(ModelSpec(name="nc_detached_loss", build=lambda d_in, d_out, device: hand_written(d_in, d_out, device, detach=True), **TORCH))
    register(ModelSpec(name="ok_autograd_grad", build=autograd_grad, **TORCH))
    register(ModelSpec(name="ok_autograd_grad_detached", build=lambda d_in, d_out, device: autograd_grad(d_in, d_out, device, detach=True), **TORCH))
    register(ModelSpec(name="nc_bound_grad", build=bound_grad, **TORCH))
    register(ModelSpec(name="nc_raises", build=numpy_model(Raises), **numpy))


class FixedStep:
    """scales with lr: steps by 1e-2 * gradient whatever lr it is given (in place, skipping None)."""

    def __init__(self, params, lr):
        self.params = list(params)

    def step(self, grads):
        for p, g in zip(self.params, grads):
            if g is not None:
                p -= 1e-2 * g


def fixed_step_torch(params, lr):
    import torch

    return torch.optim.SGD(params, lr=1e-2)


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="nc_ignores_lr", numpy=FixedStep, torch=fixed_step_torch))
