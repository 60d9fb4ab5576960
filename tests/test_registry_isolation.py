"""$RUNNER_PLUGIN_PACKAGES: a user's installed plugin package is loaded for the user, never for runner's tests.

The package here is a real installed distribution, without pip: a ``.dist-info`` with its entry_points.txt
and the plugin's module, in a site directory under tmp_path that is put on sys.path (or on PYTHONPATH for a
subprocess). Its optimizer is torch-only, which is what a user's own optimizer may well be, and what fails the
built-ins' "every optimizer has both rules" check when the suite sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.registry import PACKAGES_VARIABLE, load_registry
from tests.conftest import ROOT, runner_command

PACKAGE = "runner-users-extra"
PLUGIN = """\
import torch

from runner import OptimizerSpec, hookimpl


@hookimpl
def register_optimizers(register):
    register(OptimizerSpec(name="users_sgd", torch=lambda params, lr: torch.optim.SGD(params, lr=lr)))
"""


def install_extra_package(site: Path) -> Path:
    """Install PACKAGE into the directory ``site`` as pip would lay it out, and return ``site``."""
    info = site / "runner_users_extra-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[runner]\nusers_extra = runner_users_extra\n")
    (site / "runner_users_extra.py").write_text(PLUGIN)
    return site


@pytest.fixture
def extra_site(tmp_path, monkeypatch) -> Path:
    site = install_extra_package(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_the_suite_loads_only_runner_s_own_entry_points(extra_site):
    assert os.environ[PACKAGES_VARIABLE] == "runner"  # tests/conftest.py, for the whole session
    registry = load_registry(extra_modules=())
    assert "users_sgd" not in registry.optimizers and registry.errors == []
    assert {entry.origin.package for kind in ("model", "optimizer", "dataset") for entry in registry.table(kind).values()} \
        == {"runner"}


def test_unset_every_installed_package_is_loaded(extra_site, monkeypatch):
    monkeypatch.delenv(PACKAGES_VARIABLE)
    entry = load_registry(extra_modules=()).optimizers["users_sgd"]
    assert (entry.origin.plugin, entry.origin.package, entry.origin.version) == ("users_extra", PACKAGE, "0.1")


@pytest.mark.parametrize("named", ["runner,runner-users-extra", " Runner , runner_users.EXTRA "])
def test_named_packages_are_loaded_by_pip_s_spelling_of_their_names(extra_site, monkeypatch, named):
    monkeypatch.setenv(PACKAGES_VARIABLE, named)
    registry = load_registry(extra_modules=())
    assert registry.optimizers["users_sgd"].origin.package == PACKAGE and "adam" in registry.optimizers


def test_a_package_of_its_own_is_loaded_alone(extra_site, monkeypatch):
    """How a plugin author tests a package with nothing else installed in the way, the built-ins included."""
    monkeypatch.setenv(PACKAGES_VARIABLE, PACKAGE)
    registry = load_registry(extra_modules=())
    assert set(registry.optimizers) == {"users_sgd"} and registry.models == {}


def test_a_named_package_that_is_not_installed_is_a_warning_not_silence(extra_site, monkeypatch, cli):
    monkeypatch.setenv(PACKAGES_VARIABLE, "runner,runner-users-extar")
    registry = load_registry(extra_modules=())
    (fault,) = registry.errors
    assert str(fault) == ("plugin 'runner-users-extar' skipped: $RUNNER_PLUGIN_PACKAGES names it, but no installed package "
                          "of that name has runner plugins; check the name against `pip list`")
    assert "adam" in registry.optimizers and "users_sgd" not in registry.optimizers
    result = cli("run", "--model", "numpy", "--optimizer", "users_sgd", "--dry-run", code=2)
    assert "unknown optimizer 'users_sgd'" in result.stderr and "skipped plugin: 'runner-users-extar'" in result.stderr


@pytest.mark.full
def test_the_built_ins_checks_pass_while_a_user_s_runner_plugins_lists_the_extra_package(tmp_path):
    """In one environment, with the extra package installed: the user sees it; runner's own tests do not."""
    site = install_extra_package(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if k not in (PACKAGES_VARIABLE, "RUNNER_PLUGINS")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT), env.get("PYTHONPATH", "")])
    run = dict(cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    listed = subprocess.run(runner_command("plugins", "--json"), **run)
    assert listed.returncode == 0, listed.stderr
    optimizers = {o["name"]: o for o in json.loads(listed.stdout)["optimizers"]}
    assert "users_sgd" in optimizers and "adam" in optimizers

    checks = ["tests/plugins/test_numpy_optimizers.py::test_optimizer_specs",  # every optimizer has both rules
              "tests/test_registry.py::test_builtins_load_through_entry_points",
              "tests/test_registry.py::test_loading_plugins_does_not_import_torch",  # the user's plugin imports torch
              "tests/plugins/test_registration.py::test_registering_imports_neither_torch_nor_numpy"]
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *checks],
                            **{**run, "cwd": ROOT})
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "4 passed" in tested.stdout
