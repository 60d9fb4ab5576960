"""runner.testing's checks of a schedule plugin: each planted fault fails its check, a sound schedule passes."""

import pytest

from runner.registry import load_registry
from runner.testing import assert_conforms, check_plugin, format_results


@pytest.fixture(scope="module")
def registry():
    return load_registry(extra_modules=("tests.support.nonconforming_schedules",))


@pytest.mark.parametrize("name, check, detail", [
    ("nc_rising", "declared shape", "it declares non_increasing, but over 30 steps its factors are [1, 1.033"),
    ("nc_zero", "declared shape", "factor(step=29, steps=30) is 0.0: a multiple of the lr must be a finite number above 0"),
    ("nc_other_torch", "torch agrees", "with --warmup 0, step 5: its torch scheduler gives lr 0.00025"),
    ("nc_hidden_state", "resumes (module)", "stopped after 13 steps and resumed, step 15 differs from the run left alone"),
    ("nc_hidden_state", "every optimizer", "adam (module): stopped after 13 steps and resumed"),
])
def test_each_fault_fails_its_check(registry, name, check, detail):
    results = {r.name: r for r in check_plugin(name, "schedule", registry)}
    assert not results[check].passed and detail in results[check].detail, format_results(list(results.values()))


def test_a_sound_schedule_without_a_torch_rule_passes(registry):
    results = assert_conforms("ok_linear", "schedule", registry)
    assert {r.name: r.status for r in results} == {
        "registers": "pass", "declared shape": "pass", "torch agrees": "skip", "resumes (numpy)": "pass",
        "resumes (module)": "pass", "every optimizer": "pass"}


def test_the_scaffold_writes_a_schedule_that_conforms(tmp_path, monkeypatch):
    from runner.scaffold import scaffold

    scaffold("tapered", "schedule", tmp_path / "pkg")
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    registry = load_registry(extra_modules=("runner_tapered",))
    assert registry.errors == [] and registry.schedule("tapered").params == {"end": 0.1}
    results = assert_conforms("tapered", "schedule", registry)
    assert all(r.status == "pass" for r in results), format_results(results)
