"""runner.specs.lazy: a builder that imports its target only when called."""

from __future__ import annotations

import sys

import pytest

from runner.errors import PluginError
from runner.specs import Lazy, lazy

MODULE = "runner_lazy_target"  # a module that exists only in this test's tmp_path


@pytest.fixture
def target_module(tmp_path, monkeypatch):
    """A fresh, not yet imported module ``runner_lazy_target`` with ``scale(x, by=1)`` and ``fails()``."""
    (tmp_path / f"{MODULE}.py").write_text(
        "def scale(x, by=1):\n"
        "    return x * by\n"
        "def fails():\n"
        "    raise ValueError('the builder itself failed')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield MODULE
    sys.modules.pop(MODULE, None)


def test_a_lazy_builder_imports_its_target_on_the_first_call(target_module):
    build = lazy(f"{target_module}:scale")
    assert target_module not in sys.modules
    assert build(3, by=2) == 6  # positional and keyword arguments reach the target
    assert target_module in sys.modules
    assert build.load() is sys.modules[target_module].scale


def test_a_relative_target_resolves_against_its_package():
    build = lazy(".model:build", "runner_plugins.numpy_net")
    assert build == Lazy("runner_plugins.numpy_net.model:build") == lazy("runner_plugins.numpy_net.model:build")
    assert repr(build) == "lazy('runner_plugins.numpy_net.model:build')"


def test_a_target_that_cannot_be_imported_is_named_in_the_error(target_module):
    with pytest.raises(PluginError, match=r"cannot load no_such_module_here\.model:build: ModuleNotFoundError"):
        lazy("no_such_module_here.model:build")(1, 2, "cpu")
    with pytest.raises(PluginError, match=rf"cannot load {target_module}:missing: AttributeError"):
        lazy(f"{target_module}:missing")()


def test_errors_from_the_target_itself_pass_through_unchanged(target_module):
    with pytest.raises(ValueError, match="the builder itself failed"):
        lazy(f"{target_module}:fails")()


@pytest.mark.parametrize(
    "target, package, message",
    [
        ("model.build", None, "a lazy target is 'module:attribute'"),
        (":build", None, "a lazy target is 'module:attribute'"),
        ("model:", None, "a lazy target is 'module:attribute'"),
        (None, None, "a lazy target is 'module:attribute'"),
        (".model:build", None, "pass the package it is in, e.g. lazy('.model:build', __name__)"),
    ],
)
def test_a_malformed_target_fails_when_registered(target, package, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lazy(target, package)


def test_every_builder_of_the_built_ins_is_lazy_and_finds_its_target(registry):
    """A typo in a target string would otherwise surface only when a run uses that builder."""
    builders = []
    for kind, fields in (("model", ("build",)), ("optimizer", ("torch", "numpy")), ("dataset", ("build", "shapes"))):
        for entry in registry.table(kind).values():
            if entry.origin.package == "runner":
                builders += [getattr(entry.spec, f) for f in fields]
    assert len(builders) == 7 + 5 * 2 + 2
    for builder in builders:
        assert isinstance(builder, Lazy) and builder.target.startswith("runner_plugins."), builder
        assert callable(builder.load()), builder
