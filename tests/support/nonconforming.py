"""Test-only plugins, each failing one conformance check (runner.testing), loaded with RUNNER_PLUGINS."""

import numpy as np

from runner import DatasetSpec, ModelSpec, OptimizerSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


class NumpyLinear:
    """loss = sum((x @ w - y)^2), with the gradient scaled by ``grad_scale`` (1: right)."""

    def __init__(self, d_in, d_out, grad_scale=1.0, rng=None, learns=True):
        draw = rng.standard_normal if rng is not None else np.random.randn
        self.w = draw((d_in, d_out)) * 0.01 if rng is not None else np.random.randn(d_in, d_out) * 0.01
        self.grad_scale, self.learns = grad_scale, learns

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        residual = x @ self.w - y
        grad = 2 * x.T @ residual * self.grad_scale
        return (residual**2).sum(), [grad if self.learns else np.zeros_like(grad)]


def torch_wrong_grads(d_in, d_out, device):
    import torch

    class Model:
        def __init__(self):
            self.w = torch.randn(d_in, d_out) * 0.01

        def parameters(self):
            return [self.w]

        def loss_and_grads(self, x, y):
            residual = x.mm(self.w) - y
            return residual.pow(2).sum(), [-2 * x.t().mm(residual)]  # the sign is wrong

    return Model()


def bad_function_model(d_in, d_out, device):
    import torch

    from runner.autograd import AutogradModel

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input**3

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 2 * input**2  # should be 3 * input**2

    w = (torch.randn(d_in, d_out) * 0.01).requires_grad_()
    return AutogradModel([w], lambda x, y: (Cube.apply(x.mm(w)) - y).pow(2).sum())


def numpy_model(**kwargs):
    return lambda d_in, d_out, device: NumpyLinear(d_in, d_out, **kwargs)


@hookimpl
def register_models(register):
    common = dict(backend="numpy", optimizer="gd", lr=1e-4, shapes=BATCH_OF_VECTORS)
    register(ModelSpec(name="nc_flat", build=numpy_model(learns=False), **common))
    register(ModelSpec(name="nc_wrong_grads", build=numpy_model(grad_scale=2.0), **common))
    register(ModelSpec(name="nc_unseeded", build=lambda d_in, d_out, device: NumpyLinear(d_in, d_out, rng=np.random.default_rng()), **common))
    register(ModelSpec(name="nc_torch_wrong_grads", build=torch_wrong_grads, backend="torch", optimizer="gd", lr=1e-5,
                       shapes=BATCH_OF_VECTORS))
    register(ModelSpec(name="nc_bad_function", build=bad_function_model, backend="torch", optimizer="gd", lr=1e-6,
                       shapes=BATCH_OF_VECTORS))


class Rebinds:
    """Computes new arrays instead of updating the ones it was given."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self, grads):
        self.params = [p - self.lr * g for p, g in zip(self.params, grads)]


def raising_torch_rule(params, lr):
    class Raises:
        def step(self):
            raise RuntimeError("this rule is broken for torch")

        def zero_grad(self):
            pass

    return Raises()


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="nc_rebinds", numpy=lambda params, lr: Rebinds(params, lr)))
    register(OptimizerSpec(name="nc_torch_raises", torch=raising_torch_rule))


@hookimpl
def register_datasets(register):
    def build(backend, n=10):
        x = np.random.randn(n, 4)
        return (x, x[:, :1]) if backend == "numpy" else (_torch(x), _torch(x[:, :1]))

    def unseeded(backend, n=10):
        x = np.random.default_rng().standard_normal((n, 4))
        return (x, x[:, :1]) if backend == "numpy" else (_torch(x), _torch(x[:, :1]))

    register(DatasetSpec(name="nc_lying_shapes", build=build, params={"n": 10}, shapes=lambda n=10: ((n, 3), (n, 1))))
    register(DatasetSpec(name="nc_unseeded_data", build=unseeded, params={"n": 10}, shapes=lambda n=10: ((n, 4), (n, 1))))


def _torch(a):
    import torch

    return torch.tensor(a, dtype=torch.float32)
