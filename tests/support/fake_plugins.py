"""Test-only plugins, loaded with RUNNER_PLUGINS=tests.support.fake_plugins.

NumPy models, so that they are fast and need no torch:
- ``explode`` returns a finite loss until step ``at``, then ``value`` (inf or nan);
- ``crash`` raises at step ``at``;
- ``sleepy`` sleeps ``delay`` seconds per step (for signal tests).
"""

import time

import numpy as np

from runner import ModelSpec, hookimpl


class Scripted:
    def __init__(self, d_in, d_out, at=3, value=float("nan"), delay=0.0, crash=False):
        self.w = np.zeros((d_in, d_out))
        self.t, self.at, self.value, self.delay, self.crash = 0, at, value, delay, crash

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        t, self.t = self.t, self.t + 1
        if self.delay:
            time.sleep(self.delay)
        if self.crash and t == self.at:
            raise RuntimeError(f"boom at step {t}")
        loss = self.value if (not self.crash and 0 <= self.at <= t) else 100.0 / (t + 1)
        return np.float64(loss), [np.ones_like(self.w)]


def build(crash=False):
    def make(d_in, d_out, device, **params):
        return Scripted(d_in, d_out, crash=crash, **params)

    return make


@hookimpl
def register_models(register):
    register(ModelSpec(name="explode", build=build(), backend="numpy", optimizer="gd", lr=1e-3,
                       params={"at": 3, "value": float("nan")}))
    register(ModelSpec(name="crash", build=build(crash=True), backend="numpy", optimizer="gd", lr=1e-3,
                       params={"at": 3}))
    register(ModelSpec(name="sleepy", build=build(), backend="numpy", optimizer="gd", lr=1e-3,
                       params={"at": -1, "delay": 0.01}))
