import subprocess
import sys

import pytest

from runner import hookimpl
from runner.config import RunConfig
from runner.errors import ConfigError
from runner.kinds import KINDS, MODEL
from runner.registry import Registry, load_registry, make_plugin_manager
from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec

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


def prefixed_models(*names):
    class Plugin:
        @hookimpl
        def register_models(self, register):
            for name in names:
                register(ModelSpec(name=name, build=lambda *a, **k: None))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="prefixed")
    return load_registry(pm, extra_modules=[])


def test_a_short_name_inside_one_plugin_name_is_suggested():
    registry = prefixed_models("tabular_perceptron")  # as digits_mlp is to mlp
    with pytest.raises(ConfigError, match=r"^unknown model 'perceptron' \(did you mean 'tabular_perceptron'\?\); "):
        registry.model("perceptron")
    with pytest.raises(ConfigError, match=r"unknown model 'Perceptron' \(did you mean 'tabular_perceptron'\?\)"):
        registry.model("Perceptron")  # case does not hide it


def test_a_part_shared_by_several_names_suggests_none():
    registry = prefixed_models("tabular_qq", "image_qq")
    with pytest.raises(ConfigError) as info:
        registry.model("qq")
    assert "did you mean" not in str(info.value)
    assert "image_qq, module" in str(info.value) and "tabular_qq" in str(info.value)


def test_a_close_spelling_wins_over_a_containing_name():
    registry = prefixed_models("tensor_big_one")
    with pytest.raises(ConfigError, match=r"did you mean 'tensor'\?"):
        registry.model("tensr")
    with pytest.raises(ConfigError) as info:
        registry.model("zzz")
    assert "did you mean" not in str(info.value)


def test_the_cli_suggests_the_plugin_name_and_stores_nothing(tmp_path):
    from tests.conftest import runner_command, subprocess_env

    env = subprocess_env(f"sqlite:///{tmp_path / 'x.db'}")
    env["PYTHONPATH"] = str(tmp_path) + ":" + env.get("PYTHONPATH", "")
    env["RUNNER_PLUGINS"] = "prefixed_plugin"
    (tmp_path / "prefixed_plugin.py").write_text(
        "from runner import ModelSpec, hookimpl\n\n\n@hookimpl\ndef register_models(register):\n"
        "    register(ModelSpec(name='tabular_perceptron', build=lambda *a, **k: None))\n")
    result = subprocess.run(runner_command("run", "--model", "perceptron"), cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: unknown model 'perceptron' (did you mean 'tabular_perceptron'?); ")
    assert not (tmp_path / "x.db").exists()


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


def load_with(*plugins):
    """The registry with the built-ins and ``plugins`` (objects or modules), registered in order, named plugin0..."""
    pm = make_plugin_manager()
    for number, plugin in enumerate(plugins):
        pm.register(plugin, name=f"plugin{number}")
    return load_registry(pm, extra_modules=[])


def test_a_hook_without_arguments_is_called_as_pluggy_would():
    calls = []

    class Plugin:
        @hookimpl
        def register_models(self):  # pluggy allows declaring fewer arguments than the hookspec
            calls.append("called")

    registry = load_with(Plugin())
    assert calls == ["called"] and registry.errors == []


def test_an_implementation_under_another_name_registers():
    class Plugin:
        @hookimpl(specname="register_models")
        def my_models(self, register):
            register(ModelSpec(name="by_specname", build=lambda *a, **k: None))

    assert load_with(Plugin()).models["by_specname"].origin.plugin == "plugin0"


@pytest.mark.parametrize("option", ["wrapper", "hookwrapper"])
def test_a_wrapper_is_its_plugins_fault_and_the_others_load(option):
    class Wrapper:
        @hookimpl(**{option: True})
        def register_models(self, register):
            register(ModelSpec(name="wrapped", build=lambda *a, **k: None))
            yield

    class Plain:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="plain", build=lambda *a, **k: None))

    registry = load_with(Wrapper(), Plain())
    (fault,) = registry.errors
    assert fault.plugin == "plugin0"
    assert f"register_models is a hook wrapper (@hookimpl({option}=True)), which runner does not support" in str(fault)
    assert "wrapped" not in registry.models and registry.models["plain"].origin.plugin == "plugin1"
    assert BUILTIN_MODELS <= set(registry.models)


def test_a_wrapper_module_keeps_its_other_hooks(plugin_env):
    registry = load_registry(extra_modules=["tests.support.wrapped_hook"])
    assert [(f.plugin, "hook wrapper" in f.message) for f in registry.errors] == [("tests.support.wrapped_hook", True)]
    assert "beside_a_wrapper" in registry.datasets and "wrapped" not in registry.models


def test_unsupported_forms_are_their_plugins_fault():
    class Async:
        @hookimpl
        async def register_models(self, register):
            register(ModelSpec(name="never", build=lambda *a, **k: None))

    class Generator:
        @hookimpl
        def register_optimizers(self, register):
            yield OptimizerSpec(name="never", numpy=lambda params, lr: None)

    class Defaulted:
        @hookimpl
        def register_datasets(self, register=None):
            register(DatasetSpec(name="never", build=lambda backend: ([0.0], [0.0])))

    registry = load_with(Async(), Generator(), Defaulted())
    assert [str(f) for f in registry.errors] == [
        "plugin 'plugin0' skipped: register_models is an async function, which runner never awaits: "
        "make it a plain def",
        "plugin 'plugin1' skipped: register_optimizers is a generator function (it yields), so its body never runs: "
        "call register(spec) instead",
        "plugin 'plugin2' skipped: register_datasets gives 'register' a default, so pluggy never passes it: "
        "declare it without one (register_datasets(register))",
    ]
    assert "never" not in registry.models and "never" not in registry.optimizers and "never" not in registry.datasets


def test_a_hook_that_returns_specs_instead_of_registering_them_is_told_so():
    class Returns:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="registered", build=lambda *a, **k: None))
            return [ModelSpec(name="returned", build=lambda *a, **k: None)]

    registry = load_with(Returns())
    (fault,) = registry.errors
    assert fault.message.startswith("register_models returned [ModelSpec(name='returned'")
    assert fault.message.endswith("which runner ignores: call register(spec) once per spec and return nothing")
    assert "registered" in registry.models and "returned" not in registry.models


def test_a_raising_plugin_never_stops_the_next_one():
    class Raises:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="before_the_raise", build=lambda *a, **k: None))
            raise RuntimeError("bad day")

    class After:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="after", build=lambda *a, **k: None))

    registry = load_with(Raises(), After())
    assert [f.plugin for f in registry.errors] == ["plugin0"]
    assert registry.models["before_the_raise"].origin.plugin == "plugin0"  # what it registered first is kept
    assert registry.models["after"].origin.plugin == "plugin1"


def test_pluggys_validation_errors_are_one_line(plugin_env, tmp_path):
    path = tmp_path / "not_a_generator.py"
    path.write_text("from runner import hookimpl\n"
                    "@hookimpl(wrapper=True)\n"
                    "def register_models(register):\n"
                    "    pass\n")
    registry = load_registry(extra_modules=[str(path)])
    (fault,) = registry.errors
    assert "\n" not in fault.message and "not a generator function" in fault.message


def test_typed_lookups(registry):
    assert isinstance(registry.model("dynamic"), ModelSpec) and registry.model("dynamic").optimizer == "sgd"
    assert isinstance(registry.optimizer("adam"), OptimizerSpec)
    assert isinstance(registry.dataset("random"), DatasetSpec)
    assert registry.entry(MODEL, "dynamic") is registry.get("model", "dynamic") is registry.models["dynamic"]
    with pytest.raises(ConfigError, match="unknown optimizer 'adma' \\(did you mean 'adam'\\?\\)"):
        registry.optimizer("adma")
    with pytest.raises(ValueError, match="kind must be one of model, optimizer, dataset, schedule, not 'loss'"):
        registry.table("loss")


def test_every_kind_has_its_hook_table_and_spec_type():
    from runner import hookspecs

    for kind in KINDS:
        assert hasattr(hookspecs, kind.hook) and kind.spec_type.__name__ == kind.name.capitalize() + "Spec"
        assert getattr(Registry(), kind.plural) == {} and kind.config_key in RunConfig.__dataclass_fields__


def test_calls_and_unsupported_forms_are_traced(monkeypatch, caplog):
    monkeypatch.setenv("RUNNER_TRACE_PLUGINS", "1")

    class NoArguments:
        @hookimpl
        def register_models(self):
            pass

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_datasets(self, register):
            yield

    load_with(NoArguments(), Wrapper())
    traced = [r.getMessage() for r in caplog.records if r.name == "runner.plugins"]
    assert "call register_models() in plugin 'plugin0'" in traced  # the whole line
    assert any(line.startswith("plugin 'plugin1' skipped: register_datasets is a hook wrapper") for line in traced)
