"""RUNNER_TRACE_PLUGINS=1: every plugin load, hook call and result, on stderr."""

import subprocess

from runner import ModelSpec, hookimpl
from runner.registry import load_registry, make_plugin_manager
from tests.conftest import runner_command, subprocess_env


def test_tracing_shows_loads_calls_registrations_and_results(monkeypatch):
    env = {**subprocess_env(), "RUNNER_TRACE_PLUGINS": "1",
           "RUNNER_PLUGINS": "tests.support.fake_plugins,tests.support.raises_on_import,tests.support.takes_a_name"}
    result = subprocess.run(runner_command("plugins"), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    trace = [line for line in result.stderr.splitlines() if line.startswith("runner trace: ")]
    text = "\n".join(trace)
    assert "runner trace: loaded plugin 'dynamic' (module runner_plugins.dynamic_net, package runner 0.1.0): hooks register_models" in text
    assert "runner trace: plugin 'tests.support.raises_on_import' skipped: failed to import: ImportError" in text
    assert "runner trace: call register_models(register=<register model>) in plugin 'dynamic'" in text
    assert "runner trace:     register(ModelSpec(name='dynamic')) -> model 'dynamic' registered" in text
    assert "runner trace:   register_models in plugin 'dynamic' returned None" in text
    assert "runner trace:     register('not a spec') -> skipped: not a ModelSpec" in text
    assert "-> skipped: name taken by 'dynamic'" in text
    assert "runner trace: call register_datasets(register=<register dataset>) in plugin 'datasets'" in text


def test_no_trace_without_the_variable(monkeypatch, capsys):
    monkeypatch.delenv("RUNNER_TRACE_PLUGINS", raising=False)
    load_registry(extra_modules=[])
    assert "runner trace" not in capsys.readouterr().err


def test_a_hook_that_raises_is_traced(monkeypatch, capsys):
    monkeypatch.setenv("RUNNER_TRACE_PLUGINS", "1")

    class Plugin:
        @hookimpl
        def register_models(self, register):
            raise RuntimeError("bad day")

    pm = make_plugin_manager()
    pm.register(Plugin(), name="moody")
    load_registry(pm, extra_modules=[])
    assert "runner trace:   register_models in plugin 'moody' raised RuntimeError: bad day" in capsys.readouterr().err


def test_calls_through_pluggy_are_traced_by_its_monitoring(monkeypatch, capsys):
    """A hook called through pm.hook (not runner's own collect) goes through pluggy's hook-call monitoring."""
    monkeypatch.setenv("RUNNER_TRACE_PLUGINS", "1")

    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="direct", build=lambda *a: None))
            return "done"

    pm = make_plugin_manager()
    pm.register(Plugin(), name="direct-plugin")
    got = []
    assert pm.hook.register_models(register=got.append) == ["done"]
    err = capsys.readouterr().err
    assert "runner trace: call register_models(register=<append>) in plugin 'direct-plugin'" in err
    assert "runner trace:   register_models [direct-plugin] returned ['done']" in err
