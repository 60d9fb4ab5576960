"""The register_optimizers hook: its documented example works with every model, as documented."""

import json
import re

import pytest

from runner import OptimizerSpec, hookimpl
from runner.config import resolve
from runner.errors import ConfigError
from runner.registry import load_registry, make_plugin_manager
from runner.request import RunChoice
from runner.testing import assert_conforms
from tests.support.docs import load_example


def test_the_documented_example_conforms_and_runs(tmp_path, monkeypatch, cli, store):
    registry, module = load_example("register_optimizers", tmp_path, monkeypatch)
    assert registry.optimizers["clipped"].origin.plugin == module
    assert_conforms("clipped", kind="optimizer", registry=registry)

    monkeypatch.setenv("RUNNER_PLUGINS", module)
    cli("run", "--model", "sequential", "--optimizer", "clipped", "--steps", "5", "--set", "limit=0.5",
        "--set", "batch=8", "--set", "d_in=20", "--set", "d_out=3", "--set", "hidden=5", "-q")
    record = store.get_run(1)
    assert (record.status, record.optimizer) == ("completed", "clipped")
    assert record.config["optimizer_options"] == {"limit": 0.5}


def test_a_rule_for_one_backend_is_refused_for_the_other_before_the_run():
    class Plugin:
        @hookimpl
        def register_optimizers(self, register):
            register(OptimizerSpec(name="torch_only", torch=lambda params, lr: None))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="torch-only")
    registry = load_registry(pm, extra_modules=[])
    with pytest.raises(ConfigError, match="optimizer 'torch_only' has no numpy implementation, so it cannot train model 'numpy'"):
        resolve(registry, RunChoice(model="numpy", optimizer="torch_only"))


def test_an_optimizer_spec_needs_a_builder():
    with pytest.raises(TypeError, match="needs a torch or a numpy builder"):
        OptimizerSpec(name="nothing")


def test_a_declared_lr_is_listed_and_taken_by_a_run_given_none(cli, monkeypatch):
    """OptimizerSpec(lr=...): see docs/plugins.md, 'Which learning rate a run uses'."""
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.optimizer_lr")
    listed = json.loads(cli("plugins", "--json").output)
    lrs = {o["name"]: o["lr"] for o in listed["optimizers"]}
    assert lrs["lion_like"] == 3e-4 and lrs["adam"] is None
    assert re.search(r"^lion_like\s+torch,numpy\s+0\.0003\s", cli("plugins").output, re.M)
    planned = cli("run", "--model", "dynamic,own_lion", "--optimizer", "lion_like", "--dry-run").output
    assert re.search(r"^1\s+dynamic\s+lion_like\s+0\.0003\s", planned, re.M)  # the optimizer's own lr
    assert re.search(r"^2\s+own_lion\s+lion_like\s+0\.02\s", planned, re.M)  # the model's recipe
