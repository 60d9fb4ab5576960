"""runner.testing finds each kind of fault, and passes what conforms."""

import json

import pytest

from runner.registry import load_registry
from runner.testing import assert_conforms, check_plugin, format_results


@pytest.fixture(scope="module")
def registry():
    import os

    previous = os.environ.get("RUNNER_PLUGINS")
    os.environ["RUNNER_PLUGINS"] = "tests.support.nonconforming"
    try:
        return load_registry()
    finally:
        if previous is None:
            del os.environ["RUNNER_PLUGINS"]
        else:
            os.environ["RUNNER_PLUGINS"] = previous


def statuses(results):
    return {r.name: r.status for r in results}


def failing(results):
    return {r.name: r.detail for r in results if not r.passed}


@pytest.mark.parametrize(
    "name, kind, check, detail",
    [
        ("nc_flat", "model", "trains", "the loss did not fall in 10 steps"),
        ("nc_unseeded", "model", "reproducible", "seed 1 gave"),
        ("nc_wrong_grads", "model", "hand-written gradients", "by finite differences"),
        ("nc_torch_wrong_grads", "model", "hand-written gradients", "differs from autograd"),
        ("nc_bad_function", "model", "autograd Functions", "Cube fails gradcheck"),
        ("nc_rebinds", "optimizer", "updates in place (numpy)", "the loss did not fall"),
        ("nc_torch_raises", "optimizer", "every model", "this rule is broken for torch"),
        ("nc_lying_shapes", "dataset", "declared shapes", "shapes() says x (10, 3)"),
        ("nc_unseeded_data", "dataset", "reproducible", "one seed gave two different datasets"),
    ],
)
def test_each_fault_fails_its_check(registry, name, kind, check, detail):
    results = check_plugin(name, kind, registry)
    assert check in failing(results), format_results(results)
    assert detail in failing(results)[check]
    with pytest.raises(AssertionError, match=f"{kind} '{name}' does not conform"):
        assert_conforms(name, kind, registry)


def test_what_does_not_apply_is_skipped_and_passes(registry):
    results = assert_conforms("numpy", "model", registry)
    assert statuses(results) == {
        "registers": "pass", "builds": "pass", "trains": "pass", "reproducible": "pass",
        "hand-written gradients": "pass", "autograd Functions": "skip", "every optimizer": "pass",
    }
    assert statuses(check_plugin("myrelu", registry=registry))["autograd Functions"] == "pass"


def test_an_unknown_name_fails_registration_with_a_hint(registry):
    (result,) = check_plugin("numpi", registry=registry)
    assert result.name == "registers" and not result.passed
    assert "unknown plugin 'numpi' (did you mean 'numpy'?)" in result.detail
    assert "[project.entry-points.runner]" in result.detail and "RUNNER_TRACE_PLUGINS=1" in result.detail


def test_plugins_check_prints_the_table_and_exits_1_on_failure(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.nonconforming")
    result = cli("plugins", "check", "nc_flat", code=1)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CHECK", "RESULT", "DETAIL"]
    assert any(line.startswith("trains") and " FAIL " in line for line in lines)
    assert result.stderr.strip() == "model 'nc_flat': 2 of 7 checks failed"  # trains, and its zero gradients

    ok = cli("plugins", "check", "gd", "--json")
    data = json.loads(ok.stdout)
    assert data["kind"] == "optimizer" and data["passed"] is True
    assert {c["status"] for c in data["checks"]} == {"pass"}
