"""The register_schedules hook: its documented example conforms and runs, --schedule picks what it registers, and a
schedule is told the run's steps (less --warmup), never set by hand."""

import pytest

from runner import ScheduleSpec, hookimpl
from runner.config import resolve
from runner.registry import load_registry, make_plugin_manager
from runner.request import RunChoice
from runner.testing import assert_conforms
from tests.support.docs import load_example


def test_the_documented_example_conforms_and_runs(tmp_path, monkeypatch, cli, store):
    registry, module = load_example("register_schedules", tmp_path, monkeypatch)
    assert registry.schedules["restarts"].origin.plugin == module
    assert_conforms("restarts", kind="schedule", registry=registry)

    monkeypatch.setenv("RUNNER_PLUGINS", module)
    cli("run", "--model", "sequential", "--optimizer", "sgd", "--schedule", "restarts", "--set", "period=5",
        "--steps", "12", "--track", "lr", "-q")
    record = store.get_run(1)
    assert (record.status, record.config["schedule"], record.config["schedule_params"]) == (
        "completed", "restarts", {"period": 5, "floor": 0.001})
    lrs = [value for _, _, _, value in store.iter_metrics([1], ["lr"])]
    assert lrs[0] == lrs[5] == lrs[10] == pytest.approx(1e-4) and lrs[4] < lrs[3] < lrs[0]


def test_the_schedule_is_told_the_run_s_steps_less_the_warm_up(plugin_env):
    told = []

    def factor(step, steps):
        told.append(steps)
        return 1.0

    class Plugin:
        @hookimpl
        def register_schedules(self, register):
            register(ScheduleSpec(name="probe", factor=factor))

    pm = make_plugin_manager()
    pm.register(Plugin(), name="probe-plugin")
    registry = load_registry(pm, extra_modules=[])
    from runner.training import engine

    engine.prepare(resolve(registry, RunChoice(model="numpy", schedule="probe", steps=70, warmup=20,
                                               sets=("batch=4", "d_in=3", "d_out=2"))))
    assert set(told) == {50}


@pytest.mark.parametrize("spec, message", [
    (dict(name="x", factor=None), "factor must be callable"),
    (dict(name="x", factor=lambda s, n: 1.0, shape=("decreasing",)), "shape must be a tuple of flat, starts_at_lr"),
    (dict(name="x", factor=lambda s, n: 1.0, shape="flat"), "shape must be a tuple"),
    (dict(name="x", factor=lambda s, n: 1.0, torch=3), "torch must be callable"),
    (dict(name="x", factor=lambda s, n, k=0: 1.0, params={"k": 0}, checks={"j": None}), "checks: 'j' is not one of"),
])
def test_a_malformed_spec_fails_where_it_is_made(spec, message):
    with pytest.raises(TypeError, match=message):
        ScheduleSpec(**spec)
