"""A test-only plugin that changes between two commands, as a plugin being worked on does; loaded with
RUNNER_PLUGINS=tests.support.changing_plugins (tests.cli.test_resume).

``changing`` reads its environment each time it is registered or built:

- CHANGING_LAYERS: how many linear layers its torch net stacks (default 2), named ``layer0``, ``layer1``, ...;
- CHANGING_NAMES: another prefix for those names (the same shapes under other names);
- CHANGING_BACKEND=numpy: a NumPy model (one matrix) instead of the torch net;
- CHANGING_BROKEN=1: its build raises.

Each step sleeps ``delay`` seconds; with $RUNNER_TEST_GATE set, a step waits at tests.support.gates' gate,
so that a test's Ctrl-C lands mid-run however fast the run would otherwise end.
"""

import os
import time

import numpy as np

from runner import ModelSpec, hookimpl
from tests.support.gates import install


def build(d_in, d_out, device, delay):
    if os.environ.get("CHANGING_BROKEN"):
        raise RuntimeError("the plugin is being rewritten")
    if os.environ.get("CHANGING_BACKEND") == "numpy":
        return install(Matrix(d_in, d_out, delay))
    import torch

    from runner.autograd import module_model

    layers, prefix = int(os.environ.get("CHANGING_LAYERS", "2")), os.environ.get("CHANGING_NAMES", "layer")
    net = torch.nn.Sequential()
    for i in range(layers):
        net.add_module(f"{prefix}{i}", torch.nn.Linear(d_in, d_out if i == layers - 1 else d_in))

    def loss(prediction, y):
        time.sleep(delay)
        return ((prediction - y) ** 2).sum()

    return install(module_model(net.to(device), loss))


class Matrix:
    def __init__(self, d_in, d_out, delay):
        self.w, self.delay = np.random.randn(d_in, d_out) * 0.01, delay

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        time.sleep(self.delay)
        residual = x @ self.w - y
        return (residual**2).sum(), [2 * x.T @ residual]


@hookimpl
def register_models(register):
    backend = "numpy" if os.environ.get("CHANGING_BACKEND") == "numpy" else "torch"
    register(ModelSpec(name="changing", build=build, backend=backend, optimizer="adam", lr=1e-3,
                       params={"delay": 0.002}))
