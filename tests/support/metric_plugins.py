"""Test-only plugins for metrics, evaluation, mini-batches and classification.

Loaded with RUNNER_PLUGINS=tests.support.metric_plugins:
- ``heldout``: the tutorial's random x and y, plus a validation split drawn after them;
- ``blobs``: a 3-class classification dataset (class indices as targets) with a validation split;
- ``counted``: a NumPy model reporting two metrics (``half_loss``, ``w_sum``) at every step;
- ``softmax``: a torch classifier (AutogradModel) reporting batch accuracy, evaluated by its own ``evaluate``;
- ``badname``, ``nonscalar``, ``fickle``: models whose metrics break the protocol;
- ``sticky``: a torch model whose loss still requires grad;
- ``metered``: the tutorial's nn.Sequential reporting two metrics (benchmarks/steps_per_second.py).
"""

import numpy as np

from runner import DatasetSpec, ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS, CLASSES

PARAMS = {"batch": 64, "d_in": 1000, "d_out": 10, "val": 32}


def heldout(backend, batch=64, d_in=1000, d_out=10, val=32):
    from runner_plugins.datasets.random_data import build

    return build(backend, batch, d_in, d_out)


def heldout_validation(backend, batch=64, d_in=1000, d_out=10, val=32):
    from runner_plugins.datasets.random_data import build

    return build(backend, val, d_in, d_out)  # drawn from the global generators, which runner seeds apart


def blobs(backend, n=90, seed=0):
    generator = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = generator.normal(size=(n, 2)) * 0.3 + np.eye(3, 2)[y] * 2
    if backend == "torch":
        import torch

        return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    return x, y


def blobs_validation(backend, n=90, seed=0):
    return blobs(backend, n // 3, seed + 1)


class Counted:
    """w starts at zero; every gradient is ones, so each step moves w by -lr."""

    names = ("half_loss", "w_sum")

    def __init__(self, d_in, d_out, metrics=None):
        self.w = np.zeros((d_in, d_out))
        self.metrics = metrics

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        loss = np.float64(((x @ self.w - y) ** 2).sum())
        metrics = self.metrics(self) if self.metrics else {"half_loss": loss / 2, "w_sum": self.w.sum()}
        return loss, [np.ones_like(self.w)], metrics


def counted(metrics=None):
    def build(d_in, d_out, device):
        return Counted(d_in, d_out, metrics)

    return build


def fickle_metrics(model):
    model.calls = getattr(model, "calls", 0) + 1
    return {"half_loss": 1.0} if model.calls < 3 else {"other": 1.0}


def build_softmax(d_in, d_out, device):
    import torch

    from runner.autograd import AutogradModel

    assert d_out == 3, d_out  # the dataset's classes reach build
    linear = torch.nn.Linear(d_in, d_out).to(device)
    criterion = torch.nn.CrossEntropyLoss()

    def loss_fn(x, y):
        logits = linear(x)
        accuracy = (logits.argmax(1) == y).float().mean()
        return criterion(logits, y), {"accuracy": accuracy}

    return AutogradModel(linear.parameters(), loss_fn, module=linear)


def build_metered(d_in, d_out, device, hidden=100):
    """The tutorial's nn.Sequential, reporting the mean and the largest absolute error from its forward pass."""
    import torch

    from runner.autograd import AutogradModel

    model = torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, d_out)).to(device)
    criterion = torch.nn.MSELoss(reduction="sum")

    def loss_fn(x, y):
        y_pred = model(x)
        error = (y_pred - y).abs()
        return criterion(y_pred, y), {"mae": error.mean(), "max_error": error.max()}

    return AutogradModel(model.parameters(), loss_fn, module=model)


class Sticky:
    def __init__(self, d_in, d_out, device):
        import torch

        self.w = torch.zeros(d_in, d_out, requires_grad=True)

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        loss = ((x @ self.w - y) ** 2).sum()
        (grad,) = __import__("torch").autograd.grad(loss, [self.w])
        return loss, [grad]  # the loss is not detached: runner must not warn when it reads it


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="heldout", build=heldout, validation=heldout_validation, params=PARAMS,
                         shapes=lambda batch, d_in, d_out, val: ((batch, d_in), (batch, d_out))))
    register(DatasetSpec(name="blobs", build=blobs, validation=blobs_validation, classes=3,
                         params={"n": 90, "seed": 0}))


@hookimpl
def register_models(register):
    numpy_model = {"backend": "numpy", "optimizer": "gd", "lr": 1e-3, "shapes": BATCH_OF_VECTORS}
    register(ModelSpec(name="counted", build=counted(), metrics={"w_sum": "max"}, **numpy_model))
    register(ModelSpec(name="badname", build=counted(lambda m: {"Bad Name": 1.0}), **numpy_model))
    register(ModelSpec(name="nonscalar", build=counted(lambda m: {"per_row": np.ones(3)}), **numpy_model))
    register(ModelSpec(name="fickle", build=counted(fickle_metrics), **numpy_model))
    register(ModelSpec(name="softmax", build=build_softmax, optimizer="sgd", lr=0.1, shapes=CLASSES, dataset="blobs"))
    register(ModelSpec(name="sticky", build=Sticky, optimizer="sgd", lr=1e-3))
    register(ModelSpec(name="metered", build=build_metered, optimizer="gd", lr=1e-4, dataset="heldout",
                       params={"hidden": 100}, shapes=BATCH_OF_VECTORS))
