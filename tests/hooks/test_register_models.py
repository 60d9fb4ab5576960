"""The register_models hook: its documented example works, and what it registers is used as documented."""

import pytest

from runner import ModelSpec, hookimpl
from runner.config import resolve
from runner.registry import load_registry, make_plugin_manager
from runner.testing import assert_conforms
from tests.support.docs import load_example


def test_the_documented_example_conforms_and_runs(tmp_path, monkeypatch, cli, store):
    registry, module = load_example("register_models", tmp_path, monkeypatch)
    entry = registry.models["linear"]
    assert entry.origin.plugin == module and entry.origin.package == "(local)"
    assert_conforms("linear", kind="model", registry=registry)

    monkeypatch.setenv("RUNNER_PLUGINS", module)
    result = cli("run", "--model", "linear", "--steps", "50", "--set", "scale=0.1", "-q")
    assert result.output.startswith("run 1 completed · linear · sgd lr=0.05 · cpu")
    record = store.get_run(1)
    assert record.config["model_params"] == {"scale": 0.1} and record.final_loss < 0.5


def test_build_gets_the_dataset_widths_the_device_and_the_params(plugin_env):
    calls = []

    class Plugin:
        @hookimpl
        def register_models(self, register):
            def build(d_in, d_out, device, width=3):
                calls.append((d_in, d_out, device, width))
                from runner_plugins.numpy_net.model import NumpyNet

                return NumpyNet(d_in, width, d_out)

            register(ModelSpec(name="spy", build=build, backend="numpy", optimizer="gd", params={"width": 3}))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="spy-plugin")
    registry = load_registry(pm, extra_modules=[])
    from runner.training import engine

    engine.prepare(resolve(registry, model="spy", steps=1, sets=["batch=4", "d_in=6", "d_out=2", "width=5"]))
    assert calls == [(6, 2, "cpu", 5)]


def test_a_malformed_spec_fails_inside_the_hook_and_is_reported():
    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="ok", build=lambda *a: None, backend="numpy", optimizer="gd"))
            register(ModelSpec(name="bad", build=lambda *a: None, backend="jax"))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="half")
    registry = load_registry(pm, extra_modules=[])
    assert "ok" in registry.models and "bad" not in registry.models
    assert [str(f) for f in registry.errors] == [
        "plugin 'half' skipped: register_models raised TypeError: backend must be one of numpy, torch, not 'jax'"
    ]


def test_model_specs_check_their_new_fields():
    with pytest.raises(TypeError, match="a name must be a word"):
        ModelSpec(name="m", build=lambda *a: None, dataset="not a name")
    with pytest.raises(TypeError, match="shapes must be two patterns"):
        ModelSpec(name="m", build=lambda *a: None, shapes="n d_in")
