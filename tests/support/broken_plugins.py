"""Test-only plugins that break in the ways runner must contain, loaded with RUNNER_PLUGINS.

- ``not_a_model``: build returns None instead of a Model;
- ``vector_loss``: loss_and_grads returns one loss per sample, not a scalar;
- ``hangs``: the third step (step 2) never returns, unless --step-timeout ends it;
- ``sine_shaped``: takes (n,)-shaped data only, so the random dataset does not fit.
"""

import time

import numpy as np

from runner import ModelSpec, hookimpl
from runner.shapes import BATCH_OF_SCALARS, BATCH_OF_VECTORS


class Linear:
    def __init__(self, d_in, d_out, hang_at=-1, per_sample=False):
        self.w = np.zeros((d_in, d_out))
        self.t, self.hang_at, self.per_sample = 0, hang_at, per_sample

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        t, self.t = self.t, self.t + 1
        if t == self.hang_at:
            while True:  # a plugin stuck in pure Python: the timeout's signal handler gets to run
                time.sleep(0.05)
        residual = x @ self.w - y
        loss = (residual**2).sum(axis=1) if self.per_sample else (residual**2).sum()
        return loss, [2 * x.T @ residual]


@hookimpl
def register_models(register):
    register(ModelSpec(name="not_a_model", build=lambda d_in, d_out, device: None, backend="numpy", optimizer="gd"))
    register(ModelSpec(name="vector_loss", build=lambda d_in, d_out, device: Linear(d_in, d_out, per_sample=True),
                       backend="numpy", optimizer="gd", lr=1e-3))
    register(ModelSpec(name="hangs", build=lambda d_in, d_out, device, hang_at=2: Linear(d_in, d_out, hang_at),
                       backend="numpy", optimizer="gd", lr=1e-3, params={"hang_at": 2}, shapes=BATCH_OF_VECTORS))
    register(ModelSpec(name="sine_shaped", build=lambda d_in, d_out, device: Linear(d_in, d_out),
                       backend="numpy", optimizer="gd", shapes=BATCH_OF_SCALARS))
