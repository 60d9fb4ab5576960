"""Test-only plugins, each failing one of the checks of metrics, evaluation and validation splits (runner.testing).

Loaded with RUNNER_PLUGINS=tests.support.nonconforming_metrics; ``ok_measured`` and ``ok_split`` conform.
"""

import numpy as np

from runner import DatasetSpec, ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


class Linear:
    """loss = sum((x @ w - y)^2) in NumPy, with ``metrics(self, residual)`` as its third item."""

    def __init__(self, d_in, d_out, metrics, decays=False):
        self.w = np.random.randn(d_in, d_out) * 0.01
        self.metrics, self.decays, self.calls = metrics, decays, 0

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        self.calls += 1
        residual = x @ self.w - y
        grads = [2 * x.T @ residual]
        if self.decays:
            self.w *= 0.999  # a weight decay inside the forward pass: evaluation then moves the weights too
        return (residual**2).sum(), grads, self.metrics(self, residual)


def numpy_linear(metrics, decays=False):
    return lambda d_in, d_out, device: Linear(d_in, d_out, metrics, decays)


def torch_linear(metric, evaluate_moves=False):
    """A torch linear model (AutogradModel) reporting ``metric(error)``, with an evaluate that may move its weights."""

    def build(d_in, d_out, device):
        import torch

        from runner.autograd import AutogradModel

        w = (torch.randn(d_in, d_out) * 0.01).to(device).requires_grad_()

        def loss_fn(x, y):
            error = x.mm(w) - y
            return error.pow(2).sum(), {"mae": metric(error.abs().mean())}

        model = AutogradModel([w], loss_fn)
        if evaluate_moves:

            def evaluate(x, y):
                w.mul_(0.5)  # "normalises" the weights in place while evaluating
                return {"loss": (x.mm(w) - y).pow(2).sum()}

            model.evaluate = evaluate
        return model

    return build


def split(backend, n=30, overlap=False, seeded=True, targets="classes", validation=False):
    """Rows i of x are [i, i, i]; the validation rows follow the training ones unless ``overlap``."""
    start = (0 if overlap else n) if validation else 0
    count = n // 3 if validation else n
    rows = np.arange(start, start + count, dtype=np.float64)
    if validation and not seeded:
        rows = rows + np.random.default_rng().random(count)  # a fresh generator: a new split every draw
    x = np.repeat(rows[:, None], 3, axis=1)
    y = {"classes": np.arange(count) % 3, "floats": (np.arange(count) % 3).astype(np.float64),
         "too_many": np.arange(count) % 4}[targets]
    if backend == "torch":
        import torch

        return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y)
    return x, y


def dataset(name, **params):
    def build(backend, **p):
        return split(backend, **p)

    def validation(backend, **p):
        return split(backend, validation=True, **p)

    return DatasetSpec(name=name, build=build, validation=validation, params={"n": 30, **params}, classes=3)


@hookimpl
def register_models(register):
    numpy = {"backend": "numpy", "optimizer": "gd", "lr": 1e-6, "shapes": BATCH_OF_VECTORS}
    torch = {"optimizer": "gd", "lr": 1e-6, "shapes": BATCH_OF_VECTORS}
    register(ModelSpec(name="ok_measured", build=numpy_linear(lambda m, r: {"mae": np.abs(r).mean()}), **numpy))
    register(ModelSpec(name="nc_metric_name", build=numpy_linear(lambda m, r: {"Mean Error": np.abs(r).mean()}), **numpy))
    register(ModelSpec(name="nc_metric_rows", build=numpy_linear(lambda m, r: {"row_error": (r**2).sum(axis=1)}), **numpy))
    register(ModelSpec(name="nc_metric_names_change", build=numpy_linear(lambda m, r: {f"step_{m.calls}": 1.0}), **numpy))
    register(ModelSpec(name="nc_metric_on_host", build=torch_linear(lambda t: t.item()), **torch))
    register(ModelSpec(name="nc_eval_moves_weights", build=torch_linear(lambda t: t, evaluate_moves=True), **torch))
    register(ModelSpec(name="nc_eval_decays", build=numpy_linear(lambda m, r: {}, decays=True), **numpy))


@hookimpl
def register_datasets(register):
    register(dataset("ok_split"))
    register(dataset("nc_overlapping_split", overlap=True))
    register(dataset("nc_unseeded_split", seeded=False))
    register(dataset("nc_float_classes", targets="floats"))
    register(dataset("nc_class_out_of_range", targets="too_many"))
