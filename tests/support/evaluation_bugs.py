"""Test-only torch models whose own ``evaluate`` would disturb training, the bugs of issue 19, part 4.

Loaded with RUNNER_PLUGINS=tests.support.evaluation_bugs. Each is an ``AutogradModel(..., module=net)`` on a
small net with dropout 0.3 and batch norm, on ``evalsplit`` (a regression dataset with a validation split):

- ``eb_clean``: evaluates under ``net.eval()`` and puts back ``net.train()``: what a careful plugin does;
- ``eb_never_train``: calls ``net.eval()`` and never ``train()`` again (bug a);
- ``eb_no_eval``: AutogradModel's own evaluate, which never calls ``eval()``: batch norm and dropout run in
  training mode during evaluation (bugs b and c, as a researcher writes them);
- ``eb_forces_train``: calls ``net.train()`` inside evaluate, against runner's evaluation mode;
- ``eb_hidden``: like ``eb_never_train`` but keeps its net in a closure, where runner cannot find it.
"""

from runner import DatasetSpec, ModelSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS

D_IN, D_OUT = 6, 3


def evalsplit(backend, n=32):
    import numpy as np

    x = np.random.randn(n, D_IN)  # NumPy's global generator, which runner seeds
    y = x @ np.linspace(-1, 1, D_IN * D_OUT).reshape(D_IN, D_OUT)
    if backend == "torch":
        import torch

        return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    return x, y


def evalsplit_validation(backend, n=32):
    return evalsplit(backend, 16)


def net(d_in, d_out):
    import torch

    return torch.nn.Sequential(torch.nn.Linear(d_in, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                               torch.nn.Dropout(0.3), torch.nn.Linear(16, d_out))


def model(d_in, d_out, device, evaluating=None, expose=True):
    """An AutogradModel of ``net``; ``evaluating(net)`` runs before evaluate's forward pass, if given."""
    import torch

    from runner.autograd import AutogradModel

    module = net(d_in, d_out).to(device)

    def loss_fn(x, y):
        return torch.nn.functional.mse_loss(module(x), y)

    made = AutogradModel(module.parameters(), loss_fn, module=module if expose else None)
    if evaluating is not None:
        plain = made.evaluate

        def evaluate(x, y):
            after = evaluating(module)
            values = plain(x, y)
            if after is not None:
                after(module)
            return values

        made.evaluate = evaluate
    return made


def _eval_then_train(module):
    module.eval()
    return lambda m: m.train()


def _eval(module):
    module.eval()


def _train(module):
    module.train()


def builder(evaluating=None, expose=True):
    def build(d_in, d_out, device):
        return model(d_in, d_out, device, evaluating, expose)

    return build


MODELS = {
    "eb_clean": builder(_eval_then_train),
    "eb_never_train": builder(_eval),
    "eb_no_eval": builder(),
    "eb_forces_train": builder(_train),
    "eb_hidden": builder(_eval, expose=False),
}


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="evalsplit", build=evalsplit, validation=evalsplit_validation, params={"n": 32},
                         description="x @ a fixed matrix, 32 rows, and 16 held out"))


@hookimpl
def register_models(register):
    for name, build in MODELS.items():
        register(ModelSpec(name=name, build=build, backend="torch", optimizer="sgd", lr=0.01, dataset="evalsplit",
                           shapes=BATCH_OF_VECTORS, description="dropout 0.3 and batch norm; see the module"))
