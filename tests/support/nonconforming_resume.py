"""Test-only plugins that keep a generator of their own, loaded with RUNNER_PLUGINS.

- ``nc_hidden_rng`` (model) drops a random feature each step, drawn from its own
  generator: reproducible from the run's seed, but a resumed run starts that
  generator over, so the "resumes" check fails;
- ``ok_hidden_rng`` is the same model with ``state_dict()``/``load_state_dict()``
  giving the generator's state: it resumes exactly;
- ``nc_noisy_rule`` and ``ok_noisy_rule`` (optimizers): plain gradient descent
  plus noise from a generator of their own, without and with the two methods.
"""

import numpy as np

from runner import ModelSpec, OptimizerSpec, hookimpl
from runner.shapes import BATCH_OF_VECTORS


class Dropping:
    """loss = sum((x * mask) @ w - y)^2, the mask dropping one feature drawn from ``self.rng`` each step."""

    def __init__(self, d_in, d_out):
        self.w = np.random.randn(d_in, d_out) * 0.01
        self.rng = np.random.default_rng(np.random.randint(2**31))  # seeded from the run's seed: reproducible

    def parameters(self):
        return [self.w]

    def loss_and_grads(self, x, y):
        mask = np.ones(x.shape[1])
        mask[self.rng.integers(x.shape[1])] = 0.0
        xm = x * mask
        residual = xm @ self.w - y
        return (residual**2).sum(), [2 * xm.T @ residual]


class DroppingWithState(Dropping):
    def state_dict(self):
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state):
        self.rng.bit_generator.state = state["rng"]


class Noisy:
    """``w -= lr * (grad + noise)``, the noise from its own generator."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr
        self.rng = np.random.default_rng(7)

    def step(self, grads):
        for p, g in zip(self.params, grads):
            if g is not None:
                p -= self.lr * (g + 0.01 * self.rng.standard_normal(p.shape))


class NoisyWithState(Noisy):
    def state_dict(self):
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state):
        self.rng.bit_generator.state = state["rng"]


@hookimpl
def register_models(register):
    common = dict(backend="numpy", optimizer="gd", lr=1e-4, shapes=BATCH_OF_VECTORS)
    register(ModelSpec(name="nc_hidden_rng", build=lambda d_in, d_out, device: Dropping(d_in, d_out), **common))
    register(ModelSpec(name="ok_hidden_rng", build=lambda d_in, d_out, device: DroppingWithState(d_in, d_out), **common))


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="nc_noisy_rule", numpy=Noisy))
    register(OptimizerSpec(name="ok_noisy_rule", numpy=NoisyWithState))
