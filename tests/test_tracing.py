"""Every plugin load, hook call and result, on the runner.plugins logger: RUNNER_TRACE_PLUGINS=1 prints it on
stderr where logging is not configured (a fresh `runner`); in-process (pytest configures logging) caplog sees it."""

import logging
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


def test_no_trace_without_the_variable(monkeypatch, capsys, caplog):
    monkeypatch.delenv("RUNNER_TRACE_PLUGINS", raising=False)
    load_registry(extra_modules=[])
    assert "runner trace" not in capsys.readouterr().err
    assert not [r for r in caplog.records if r.name == "runner.plugins"]


def traced(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "runner.plugins" and r.levelno == logging.DEBUG)


def test_a_hook_that_raises_is_traced(monkeypatch, caplog):
    monkeypatch.setenv("RUNNER_TRACE_PLUGINS", "1")

    class Plugin:
        @hookimpl
        def register_models(self, register):
            raise RuntimeError("bad day")

    pm = make_plugin_manager()
    pm.register(Plugin(), name="moody")
    load_registry(pm, extra_modules=[])
    assert "  register_models in plugin 'moody' raised RuntimeError: bad day" in traced(caplog)


def test_calls_through_pluggy_are_traced_by_its_monitoring(monkeypatch, caplog):
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
    text = traced(caplog)
    assert "call register_models(register=<append>) in plugin 'direct-plugin'" in text
    assert "  register_models [direct-plugin] returned ['done']" in text


def test_the_logger_alone_turns_tracing_on(monkeypatch, caplog, capsys, plugins_logger):
    """What a program that embeds runner does: its own logging configuration, no variable, no stderr of ours."""
    monkeypatch.delenv("RUNNER_TRACE_PLUGINS", raising=False)
    plugins_logger.setLevel(logging.DEBUG)
    load_registry(extra_modules=[])
    text = traced(caplog)
    assert "call register_models(register=<register model>) in plugin 'dynamic'" in text
    assert "    register(ModelSpec(name='dynamic')) -> model 'dynamic' registered" in text
    assert "runner trace" not in capsys.readouterr().err  # printed by the handlers the program chose
    plugins_logger.setLevel(logging.INFO)
    caplog.clear()
    load_registry(extra_modules=[])
    assert traced(caplog) == ""
