"""The NumPy update rules take the same steps as torch's, given the same gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

SHAPES = [(7, 5), (5,), (3, 2, 4)]
STEPS = 12
LR = 0.01

CASES = [
    ("gd", {}),
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"weight_decay": 0.1}),
    ("sgd", {"momentum": 0.8, "dampening": 0.5}),
    ("sgd", {"momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    ("sgd", {"momentum": 0.7, "nesterov": True, "weight_decay": 0.02}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"amsgrad": True, "weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("adam", {"betas": (0.3, 0.5)}),  # 1 - beta1 >= 0.5: the other branch of torch's lerp
    ("adamw", {}),
    ("adamw", {"amsgrad": True}),
    ("adamw", {"weight_decay": 0.3, "betas": (0.85, 0.95)}),
]


def case_id(case):
    name, options = case
    return name + "".join(f"-{k}={v}" for k, v in options.items())


def gradient_sequence(seed):
    """Gradients that vary from step to step, in sign and scale."""
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) * rng.uniform(0.1, 10.0) for s in SHAPES] for _ in range(STEPS)]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_numpy_rule_follows_torch_rule(registry, case):
    name, overrides = case
    spec = registry.optimizers[name].spec
    options = {**spec.options, **overrides}  # as runner.config.resolve fills them in
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s) for s in SHAPES]

    np_params = [p.copy() for p in start]
    np_opt = spec.numpy(list(np_params), lr=LR, **options)
    torch_params = [torch.tensor(p, dtype=torch.float64) for p in start]
    torch_opt = spec.torch(list(torch_params), lr=LR, **options)

    for grads in gradient_sequence(1):
        np_opt.step([g.copy() for g in grads])
        for p, g in zip(torch_params, grads):
            p.grad = torch.tensor(g, dtype=torch.float64)
        torch_opt.step()
        for a, t in zip(np_params, torch_params):  # np_params: the very arrays handed in, updated in place
            np.testing.assert_allclose(a, t.numpy(), rtol=1e-10, atol=1e-12)

    for a, s in zip(np_params, start):
        assert not np.allclose(a, s)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_a_missing_gradient_is_skipped_as_torch_skips_it(registry, case):
    """A parameter without a gradient on some steps (DynamicNet's middle layer) is left alone, state included."""
    name, overrides = case
    spec = registry.optimizers[name].spec
    options = {**spec.options, **overrides}
    rng = np.random.default_rng(2)
    start = [rng.standard_normal(s) for s in SHAPES]
    np_params = [p.copy() for p in start]
    np_opt = spec.numpy(list(np_params), lr=LR, **options)
    torch_params = [torch.tensor(p) for p in start]
    torch_opt = spec.torch(list(torch_params), lr=LR, **options)

    for step, grads in enumerate(gradient_sequence(3)):
        grads = [None if (i + step) % 3 == 0 else g for i, g in enumerate(grads)]
        np_opt.step([None if g is None else g.copy() for g in grads])
        for p, g in zip(torch_params, grads):
            p.grad = None if g is None else torch.tensor(g)
        torch_opt.step()
        for a, t in zip(np_params, torch_params):
            np.testing.assert_allclose(a, t.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["gd", "sgd", "adam", "adamw"])
def test_numpy_rule_updates_in_place_and_leaves_grads_alone(registry, name):
    spec = registry.optimizers[name].spec
    params = [np.ones((3, 2)), np.ones(4)]
    ids = [id(p) for p in params]
    opt = spec.numpy(params, lr=0.1, **spec.options)
    grads = [np.full((3, 2), 2.0), np.full(4, -1.0)]
    kept = [g.copy() for g in grads]
    for _ in range(3):
        opt.step(grads)
    assert [id(p) for p in params] == ids
    assert params[0][0, 0] < 1.0 < params[1][0]
    for g, k in zip(grads, kept):
        np.testing.assert_array_equal(g, k)


def test_gd_is_the_tutorials_arithmetic(registry):
    """``p -= lr * p.grad`` on torch, ``w -= lr * g`` on NumPy: bit for bit the tutorial's update."""
    spec = registry.optimizers["gd"].spec
    torch.manual_seed(0)
    w = torch.randn(40, 30)
    grad = torch.randn(40, 30) * 1e3
    learning_rate = 1e-6

    expected = w.clone()
    expected -= learning_rate * grad
    opt = spec.torch([w], lr=learning_rate)
    w.grad = grad
    opt.step()
    assert torch.equal(w, expected)

    a, g = np.random.default_rng(0).standard_normal((40, 30)), np.random.default_rng(1).standard_normal((40, 30))
    expected_np = a.copy()
    expected_np -= learning_rate * g
    spec.numpy([a], lr=learning_rate).step([g])
    np.testing.assert_array_equal(a, expected_np)


def test_gd_torch_works_with_requires_grad_parameters(registry):
    spec = registry.optimizers["gd"].spec
    w = torch.ones(3, requires_grad=True)
    (w * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    opt = spec.torch([w], lr=0.5)
    opt.step()
    assert w.requires_grad and w.is_leaf
    assert torch.equal(w.detach(), torch.tensor([0.5, 0.0, -0.5]))
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize(
    "name, options",
    [
        ("sgd", {"momentum": 0.0, "nesterov": True}),
        ("sgd", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}),
        ("sgd", {"momentum": -0.1}),
        ("adam", {"betas": (1.0, 0.999)}),
        ("adam", {"eps": -1.0}),
        ("adamw", {"weight_decay": -0.1}),
    ],
)
def test_numpy_rules_reject_what_torch_rejects(registry, name, options):
    spec = registry.optimizers[name].spec
    options = {**spec.options, **options}
    with pytest.raises(ValueError):
        spec.torch([torch.zeros(2)], lr=0.1, **options)
    with pytest.raises(ValueError):
        spec.numpy([np.zeros(2)], lr=0.1, **options)


def test_optimizer_specs(registry):
    opts = {name: entry.spec for name, entry in registry.optimizers.items()}
    assert opts["gd"].options == {}
    assert opts["sgd"].options == {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
    assert opts["adam"].options == {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
    assert opts["adamw"].options == {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False}
    for spec in opts.values():
        assert spec.torch is not None and spec.numpy is not None
    assert isinstance(opts["sgd"].torch([torch.zeros(1)], lr=0.1, **opts["sgd"].options), torch.optim.SGD)
    assert isinstance(opts["adam"].torch([torch.zeros(1)], lr=0.1, **opts["adam"].options), torch.optim.Adam)
    assert isinstance(opts["adamw"].torch([torch.zeros(1)], lr=0.1, **opts["adamw"].options), torch.optim.AdamW)
