import subprocess
import sys

import pytest

from runner import hookimpl
from runner.errors import ConfigError
from runner.registry import load_registry, make_plugin_manager
from runner.specs import ModelSpec

BUILTIN_MODELS = {"numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic"}


def test_builtins_load_through_entry_points():
    registry = load_registry(extra_modules=[])
    assert set(registry.models) >= BUILTIN_MODELS
    assert {"gd", "sgd", "adam", "adamw"} <= set(registry.optimizers)
    assert "random" in registry.datasets
    origin = registry.models["dynamic"].origin
    assert (origin.plugin, origin.package) == ("dynamic", "runner")
    assert registry.errors == []


def test_each_call_builds_a_fresh_manager():
    assert make_plugin_manager() is not make_plugin_manager()
    assert make_plugin_manager().get_plugins() == set()


def test_local_modules_from_environment(registry):
    assert {"explode", "crash", "sleepy"} <= set(registry.models)
    assert registry.models["crash"].origin.package == "(local)"


def test_plugin_that_fails_to_import_is_reported_and_skipped(plugin_env):
    registry = load_registry(extra_modules=["tests.support.raises_on_import"])
    (fault,) = registry.errors
    assert fault.plugin == "tests.support.raises_on_import"
    assert "ImportError" in fault.message and "not installed" in fault.message
    assert BUILTIN_MODELS <= set(registry.models)


def test_missing_module_is_reported(plugin_env):
    registry = load_registry(extra_modules=["no_such_plugin_module"])
    assert [f.plugin for f in registry.errors] == ["no_such_plugin_module"]


def test_misspelled_hook_fails_loudly(plugin_env):
    registry = load_registry(extra_modules=["tests.support.misspelled_hook"])
    (fault,) = registry.errors
    assert "register_model" in fault.message and "unknown hook" in fault.message


def test_taken_names_and_bad_objects_are_skipped_but_the_rest_registers(plugin_env):
    registry = load_registry(extra_modules=["tests.support.takes_a_name"])
    messages = [f.message for f in registry.errors]
    assert any("'dynamic' is already taken by plugin 'dynamic'" in m for m in messages)
    assert any("not a ModelSpec" in m for m in messages)
    assert registry.models["dynamic"].origin.plugin == "dynamic"  # the built-in kept its name
    assert "fresh_name" in registry.models


def test_plugin_registered_directly_on_a_manager():
    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="direct", build=lambda *a, **k: None))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="direct-plugin")
    registry = load_registry(pm, extra_modules=[])
    assert registry.models["direct"].origin.plugin == "direct-plugin"


def test_hook_that_raises_is_contained():
    class Plugin:
        @hookimpl
        def register_models(self, register):
            raise RuntimeError("bad day")

    pm = make_plugin_manager()
    pm.register(Plugin(), name="moody")
    registry = load_registry(pm, extra_modules=[])
    assert [str(f) for f in registry.errors] == ["plugin 'moody' skipped: register_models raised RuntimeError: bad day"]
    assert BUILTIN_MODELS <= set(registry.models)


def test_unknown_name_lists_choices_and_suggests(registry):
    with pytest.raises(ConfigError) as info:
        registry.get("model", "dynamc")
    message = str(info.value)
    assert "did you mean 'dynamic'?" in message and "sequential" in message


def test_loading_plugins_does_not_import_torch():
    code = "import sys; from runner.registry import load_registry; load_registry(); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_local_plugin_by_file_path(tmp_path, plugin_env):
    path = tmp_path / "one_file.py"
    path.write_text(
        "from runner import ModelSpec, hookimpl\n"
        "@hookimpl\n"
        "def register_models(register):\n"
        "    register(ModelSpec(name='from_a_file', build=lambda *a, **k: None))\n"
    )
    registry = load_registry(extra_modules=[str(path), str(tmp_path / "missing.py")])
    assert registry.models["from_a_file"].origin.package == "(local)"
    assert [f.plugin for f in registry.errors] == [str(tmp_path / "missing.py")]
    assert "no such file" in registry.errors[0].message
