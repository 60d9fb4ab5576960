"""The built-in rmsprop: NumPy's rule takes torch.optim.RMSprop's steps, given the same gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

SHAPES = [(7, 5), (5,), ()]  # () : a 0-d parameter, as the sine example's a, b, c, d
STEPS = 12
LR = 0.01
CASES = [
    {},
    {"momentum": 0.9},
    {"centered": True},
    {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
    {"alpha": 0.5, "eps": 1e-6},
    {"alpha": 0.3},  # 1 - alpha >= 0.5: the other branch of torch's lerp, when centered
    {"alpha": 0.3, "centered": True},
]


@pytest.mark.parametrize("overrides", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
def test_numpy_rmsprop_follows_torch(registry, overrides):
    spec = registry.optimizers["rmsprop"].spec
    options = {**spec.options, **overrides}
    rng = np.random.default_rng(0)
    start = [np.asarray(rng.standard_normal(s)) for s in SHAPES]
    np_params = [p.copy() for p in start]
    np_opt = spec.numpy(list(np_params), lr=LR, **options)
    torch_params = [torch.tensor(p, dtype=torch.float64) for p in start]
    torch_opt = spec.torch(list(torch_params), lr=LR, **options)
    assert isinstance(torch_opt, torch.optim.RMSprop)

    grads_rng = np.random.default_rng(1)
    for step in range(STEPS):
        grads = [grads_rng.standard_normal(s) * grads_rng.uniform(0.1, 10.0) for s in SHAPES]
        grads = [None if (i + step) % 4 == 0 else g for i, g in enumerate(grads)]  # some parameters unused
        np_opt.step([None if g is None else np.array(g) for g in grads])
        for p, g in zip(torch_params, grads):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float64)
        torch_opt.step()
        for a, t in zip(np_params, torch_params):
            np.testing.assert_allclose(a, t.numpy(), rtol=1e-10, atol=1e-12)


def test_rmsprop_is_registered_with_torchs_defaults(registry):
    spec = registry.optimizers["rmsprop"].spec
    assert spec.options == {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}
    with pytest.raises(ValueError):
        spec.numpy([np.zeros(2)], lr=0.1, **{**spec.options, "alpha": -1.0})
