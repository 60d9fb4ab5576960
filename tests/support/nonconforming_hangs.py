"""Test-only plugins that hang, for the conformance suite's time limits; loaded with RUNNER_PLUGINS.

Kept apart from the other nonconforming plugins: every check of another
plugin that trains with these waits out its time limit, so only tests
that set a short one load them. ``ok_quick`` is a healthy NumPy model on a
tiny dataset of its own, so that checking it beside them takes
milliseconds besides the waits, and a short limit is still generous.
"""

import time

import numpy as np

from runner import DatasetSpec, ModelSpec, OptimizerSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS
from tests.support.nonconforming import NumpyLinear


def _forever():
    while True:
        time.sleep(1)


class Hangs:
    def __init__(self, d_in, d_out):
        self.w = np.zeros((d_in, d_out))

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        _forever()


class HangingRule:
    def __init__(self, params, lr):
        self.params = list(params)

    def step(self, grads=None):
        _forever()

    def zero_grad(self):
        pass


@hookimpl
def register_models(register):
    common = dict(backend="numpy", optimizer="gd", shapes=BATCH_OF_VECTORS)
    register(ModelSpec(name="nc_hangs", build=lambda d_in, d_out, device: Hangs(d_in, d_out), lr=1e-4, **common))
    register(ModelSpec(name="ok_quick", build=lambda d_in, d_out, device: NumpyLinear(d_in, d_out), lr=1e-2,
                       dataset="quick", **common))


@hookimpl
def register_datasets(register):
    def build(backend, n=8):
        if backend != "numpy":
            raise ValueError("numpy only")
        x = np.random.randn(n, 3)
        return x, x @ np.ones((3, 1))

    register(DatasetSpec(name="quick", build=build, params={"n": 8}, shapes=lambda n=8: ((n, 3), (n, 1))))


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="nc_hanging_rule", numpy=HangingRule, torch=HangingRule))
