"""The register_datasets hook: its documented example works, and --dataset picks what it registers."""

import numpy as np
import pytest
import torch

from runner import DatasetSpec, hookimpl
from runner.config import resolve
from runner.registry import load_registry, make_plugin_manager
from runner.testing import assert_conforms
from tests.support.docs import load_example


def test_the_documented_example_conforms_and_runs(tmp_path, monkeypatch, cli, store):
    registry, module = load_example("register_datasets", tmp_path, monkeypatch)
    spec = registry.datasets["cubic"].spec
    assert registry.datasets["cubic"].origin.plugin == module
    assert_conforms("cubic", kind="dataset", registry=registry)

    x, y = spec.build("numpy", n=5, d_in=2)
    assert x.shape == (5, 2) and np.allclose(y[:, 0], (x**3).sum(axis=1))
    x, y = spec.build("torch", n=5, d_in=2)
    assert isinstance(x, torch.Tensor) and y.shape == (5, 1)

    monkeypatch.setenv("RUNNER_PLUGINS", module)
    cli("run", "--model", "sequential", "--dataset", "cubic", "--steps", "5", "--set", "n=16", "-q")
    record = store.get_run(1)
    assert (record.status, record.dataset, record.config["dataset_params"]) == ("completed", "cubic", {"n": 16, "d_in": 4})


def test_build_runs_after_seeding_and_before_the_model(plugin_env):
    order = []

    def build(backend):
        order.append(("dataset", float(np.random.rand())))
        return np.zeros((4, 3)), np.zeros((4, 2))

    class Plugin:
        @hookimpl
        def register_datasets(self, register):
            register(DatasetSpec(name="probe", build=build, shapes=lambda: ((4, 3), (4, 2))))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="probe-plugin")
    registry = load_registry(pm, extra_modules=[])
    from runner.training import engine

    for _ in range(2):
        engine.prepare(resolve(registry, model="numpy", dataset="probe", seed=3))
    np.random.seed(3)
    assert order == [("dataset", float(np.random.rand()))] * 2


def test_the_default_dataset_is_random_and_unknown_names_are_refused(plugin_env):
    from runner.errors import ConfigError

    registry = load_registry()
    assert resolve(registry, model="numpy").config.dataset == "random"
    with pytest.raises(ConfigError, match="unknown dataset 'randm' \\(did you mean 'random'\\?\\)"):
        resolve(registry, model="numpy", dataset="randm")
