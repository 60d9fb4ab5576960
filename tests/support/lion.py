"""Test-only: an optimizer that declares its own default lr, as the plugin guide invites ("Lion's 1e-4, say").

Lion (Chen et al., 2023): each step moves every parameter by lr times the sign of an interpolated momentum, so
its step does not shrink with the gradient. At its 1e-4 the tutorial models, tuned at 1e-6 with gd, diverge.
``heavy``: SGD with momentum 0.9 declaring lr 1e-3, at which the tutorial's tensor model diverges in 3 steps.
Loaded with RUNNER_PLUGINS=tests.support.lion.
"""

from runner import OptimizerSpec, hookimpl
from runner.specs import lazy

LR = 1e-4


class NumpyLion:
    def __init__(self, params, lr, beta1=0.9, beta2=0.99):
        import numpy as np

        self.params, self.lr, self.beta1, self.beta2 = list(params), lr, beta1, beta2
        self.moments = [np.zeros_like(p) for p in self.params]

    def step(self, grads):
        import numpy as np

        for p, g, m in zip(self.params, grads, self.moments):
            if g is None:
                continue
            p -= self.lr * np.sign(self.beta1 * m + (1 - self.beta1) * g)
            m *= self.beta2
            m += (1 - self.beta2) * g


def torch_lion(params, lr, beta1=0.9, beta2=0.99):
    import torch

    class Lion(torch.optim.Optimizer):
        def __init__(self, params, lr, beta1, beta2):
            super().__init__(params, {"lr": lr, "beta1": beta1, "beta2": beta2})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    m = self.state[p].setdefault("m", torch.zeros_like(p))
                    p -= group["lr"] * torch.sign(group["beta1"] * m + (1 - group["beta1"]) * p.grad)
                    m.mul_(group["beta2"]).add_((1 - group["beta2"]) * p.grad)

    return Lion(params, lr, beta1, beta2)


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="lion", numpy=NumpyLion, torch=torch_lion, options={"beta1": 0.9, "beta2": 0.99},
                           lr=LR, description="Lion: lr times the sign of an interpolated momentum"))
    register(OptimizerSpec(name="heavy", torch=lazy("runner_plugins.optimizers.torch_rules:sgd"),
                           numpy=lazy("runner_plugins.optimizers.numpy_rules:SGD"), options={"momentum": 0.9},
                           lr=1e-3, description="SGD with momentum 0.9 at 1e-3"))
