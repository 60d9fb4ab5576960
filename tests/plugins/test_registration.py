"""What the built-in plugins register, and that registering them stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
REGISTRATION_MODULES = [
    "runner_plugins.numpy_net",
    "runner_plugins.tensor_net",
    "runner_plugins.autograd_net",
    "runner_plugins.myrelu_net",
    "runner_plugins.sequential_net",
    "runner_plugins.module_net",
    "runner_plugins.dynamic_net",
    "runner_plugins.optimizers",
    "runner_plugins.datasets",
]

EXPECTED_MODELS = {
    # name: (backend, optimizer, lr, optimizer_options)
    "numpy": ("numpy", "gd", 1e-6, {}),
    "tensor": ("torch", "gd", 1e-6, {}),
    "autograd": ("torch", "gd", 1e-6, {}),
    "myrelu": ("torch", "gd", 1e-6, {}),
    "sequential": ("torch", "gd", 1e-4, {}),
    "module": ("torch", "sgd", 1e-4, {}),
    "dynamic": ("torch", "sgd", 1e-4, {"momentum": 0.9}),
}


def test_registering_imports_neither_torch_nor_numpy():
    code = (
        "import sys, runner.registry\n"
        "reg = runner.registry.load_registry(extra_modules=())\n"
        f"import {', '.join(REGISTRATION_MODULES)}\n"
        "assert not reg.errors, reg.errors\n"
        "heavy = sorted(m for m in ('torch', 'numpy') if m in sys.modules)\n"
        "assert not heavy, f'registration imported {heavy}'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_model_specs(registry):
    assert set(EXPECTED_MODELS) <= set(registry.models)
    for name, (backend, optimizer, lr, options) in EXPECTED_MODELS.items():
        entry = registry.models[name]
        spec = entry.spec
        assert (spec.backend, spec.optimizer, spec.lr, dict(spec.optimizer_options)) == (backend, optimizer, lr, options)
        assert spec.params == {"hidden": 100}
        assert spec.description
        assert entry.origin.package == "runner"


def test_the_models_resolve_to_the_tutorials_recipes(registry):
    from runner.config import resolve
    from runner.request import RunChoice

    module = resolve(registry, RunChoice(model="module")).config
    assert module.optimizer_options == {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
    dynamic = resolve(registry, RunChoice(model="dynamic")).config
    assert (dynamic.optimizer, dynamic.lr, dynamic.optimizer_options["momentum"]) == ("sgd", 1e-4, 0.9)
    assert dynamic.dataset_params == {"batch": 64, "d_in": 1000, "d_out": 10}
    assert dynamic.model_params == {"hidden": 100}


def test_dataset_draws_x_then_y(registry):
    spec = registry.datasets["random"].spec
    assert spec.params == {"batch": 64, "d_in": 1000, "d_out": 10}

    np.random.seed(0)
    x, y = spec.build("numpy", batch=4, d_in=3, d_out=2)
    np.random.seed(0)
    assert x.dtype == y.dtype == np.float64 and x.shape == (4, 3) and y.shape == (4, 2)
    np.testing.assert_array_equal(x, np.random.randn(4, 3))
    np.testing.assert_array_equal(y, np.random.randn(4, 2))

    torch.manual_seed(0)
    x, y = spec.build("torch", batch=4, d_in=3, d_out=2)
    torch.manual_seed(0)
    assert x.dtype == y.dtype == torch.float32 and x.device.type == "cpu"
    assert torch.equal(x, torch.randn(4, 3)) and torch.equal(y, torch.randn(4, 2))

    with pytest.raises(ValueError, match="backend"):
        spec.build("jax", batch=4, d_in=3, d_out=2)


def test_builders_draw_on_the_cpu_in_the_tutorials_order(registry):
    """Raw-tensor models draw w1 then w2 from torch's global generator, as torch.randn would."""
    for name in ("tensor", "autograd", "myrelu"):
        torch.manual_seed(0)
        model = registry.models[name].spec.build(6, 2, torch.device("cpu"), hidden=4)
        torch.manual_seed(0)
        w1, w2 = torch.randn(6, 4), torch.randn(4, 2)
        p1, p2 = model.parameters()
        assert torch.equal(p1.detach(), w1) and torch.equal(p2.detach(), w2)
        assert p1.requires_grad == p2.requires_grad == (name != "tensor")
        assert p1.is_leaf and p2.is_leaf
    np.random.seed(0)
    model = registry.models["numpy"].spec.build(6, 2, "cpu", hidden=4)
    np.random.seed(0)
    w1, w2 = np.random.randn(6, 4), np.random.randn(4, 2)
    np.testing.assert_array_equal(model.parameters()[0], w1)
    np.testing.assert_array_equal(model.parameters()[1], w2)
