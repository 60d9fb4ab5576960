"""runner.testing finds each kind of fault, passes what conforms, never hangs and blames the right plugin."""

import functools
import json

import pytest

from runner.registry import load_registry
from runner.testing import assert_conforms, check_plugin, format_results

NONCONFORMING = ("tests.support.nonconforming", "tests.support.nonconforming_more")
HANGS = "tests.support.nonconforming_hangs"

# ok_autograd_grad returns its loss still attached to the graph, which runner's loss buffer turns into a float.
pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar:UserWarning")


@pytest.fixture(scope="module")
def registry():
    return load_registry(extra_modules=NONCONFORMING)


@pytest.fixture(scope="module")
def checked(registry):
    """check_plugin on the module's registry, once for each plugin however many tests look at its results."""
    return functools.cache(lambda name, kind: check_plugin(name, kind, registry))


@pytest.fixture(scope="module")
def hangs():
    return load_registry(extra_modules=(HANGS,))


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
        ("nc_detached_layer", "model", "every parameter",
         "parameter 0 (shape (1000, 5)) got no gradient in 10 steps (None or zeros each time)"),
        ("nc_copied_parameter", "model", "every parameter",
         "parameter 1 (shape (10,)) got a gradient but never changed in 10 steps"),
        ("nc_detached_loss", "model", "hand-written gradients",
         "the loss that loss_and_grads returns has no autograd graph back to the parameters"),
        ("nc_bound_grad", "model", "hand-written gradients",
         "the model freed its graph through a call the check does not see, such as a grad imported with"),
        ("nc_ignores_lr", "optimizer", "scales with lr (numpy)",
         "3 steps at lr 0.0002 moved the parameters 1.00 times as far as at lr 0.0001, not about 2 times"),
        ("nc_ignores_lr", "optimizer", "scales with lr (torch)", "moved the parameters 1.00 times as far"),
        ("nc_lying_shapes", "dataset", "declared shapes", "shapes() says x (10, 3)"),
        ("nc_unseeded_data", "dataset", "reproducible", "one seed gave two different datasets"),
    ],
)
def test_each_fault_fails_its_check(registry, checked, name, kind, check, detail):
    results = checked(name, kind)
    assert check in failing(results), format_results(results)
    assert detail in failing(results)[check]


def test_assert_conforms_fails_with_the_table(registry):
    with pytest.raises(AssertionError, match="dataset 'nc_lying_shapes' does not conform:\nCHECK +RESULT +DETAIL\n"):
        assert_conforms("nc_lying_shapes", "dataset", registry)


def test_what_does_not_apply_is_skipped_and_passes(registry):
    results = assert_conforms("numpy", "model", registry)
    assert statuses(results) == {
        "registers": "pass", "builds": "pass", "trains": "pass", "every parameter": "pass", "reproducible": "pass",
        "resumes": "pass", "hand-written gradients": "pass", "autograd Functions": "skip", "metrics": "skip", "evaluation": "pass",
        "every optimizer": "pass",
    }
    random = statuses(check_plugin("random", "dataset", registry))
    assert (random["validation split"], random["classes"]) == ("skip", "skip")
    assert statuses(check_plugin("myrelu", registry=registry))["autograd Functions"] == "pass"


def test_an_unknown_name_fails_registration_with_a_hint(registry):
    (result,) = check_plugin("numpi", registry=registry)
    assert result.name == "registers" and not result.passed
    assert "unknown plugin 'numpi' (did you mean 'numpy'?)" in result.detail
    assert "[project.entry-points.runner]" in result.detail and "RUNNER_TRACE_PLUGINS=1" in result.detail


@pytest.mark.parametrize("name", ["ok_autograd_grad", "ok_autograd_grad_detached"])
def test_gradients_from_torch_autograd_grad_are_compared_not_refused(registry, name):
    """autograd.grad frees the graph the check differentiates again; a detached loss stands for what the model differentiated."""
    results = {r.name: r for r in check_plugin(name, "model", registry)}
    gradients = results["hand-written gradients"]
    assert gradients.status == "pass", gradients.detail
    assert gradients.detail.startswith("match autograd for 2 parameters")


def test_a_model_that_uses_a_layer_on_some_steps_only_gets_every_parameter_trained(registry):
    """DynamicNet's middle layer gets no gradient on a step that draws zero repeats; over the check's steps it does."""
    results = {r.name: r for r in check_plugin("dynamic", "model", registry)}
    assert results["every parameter"].status == "pass"
    assert results["every parameter"].detail == "all 6 parameters got a gradient and changed in 10 steps"


def warned(result, name):
    return [w for w in result.warnings if w.startswith(name)]


@pytest.mark.parametrize(
    "name, kind, check, broken",
    [
        ("tensor", "model", "every optimizer", "optimizer 'nc_torch_raises'"),
        ("tensor", "model", "every optimizer", "optimizer 'nc_ignores_lr'"),
        ("gd", "optimizer", "every model", "model 'nc_raises'"),  # gd is nc_raises's default: tried with another
        ("random", "dataset", "models that fit", "model 'nc_raises'"),  # its default dataset: tried on another
    ],
)
def test_another_broken_plugin_is_a_warning_not_a_failure(checked, name, kind, check, broken):
    results = checked(name, kind)
    assert all(r.passed for r in results), format_results(results)
    result = next(r for r in results if r.name == check)
    assert result.passed and result.status == "warn"
    (warning,) = warned(result, broken)
    assert "but it fails on its own too" in warning and "not counted against this plugin" in warning
    assert f"warning: {warning}" in format_results(results)


def test_the_plugin_under_test_is_still_blamed_when_the_others_work_alone(checked):
    """nc_ignores_lr diverges every torch model that trains fine with its own defaults: its fault, not theirs."""
    results = {r.name: r for r in checked("nc_ignores_lr", "optimizer")}
    assert not results["every model"].passed
    assert "tensor: the run diverged after 3 steps" in results["every model"].detail
    # nc_raises, broken on its own, is still told apart in the same check
    assert [w.split(" (")[0] for w in results["every model"].warnings] == ["model 'nc_raises'"]


def test_a_check_that_hangs_fails_naming_the_plugin_and_the_rest_are_not_run(hangs):
    results = check_plugin("nc_hangs", "model", hangs, timeout=0.5)
    assert [r.status for r in results] == ["pass", "FAIL"] + ["skip"] * 9
    assert results[1].detail.startswith(
        "plugin 'tests.support.nonconforming_hangs' (local), model 'nc_hangs': check 'builds' did not finish within 0.5s"
    )
    assert {r.detail for r in results[2:]} == {"not run: 'builds' timed out"}
    with pytest.raises(AssertionError, match="check 'builds' did not finish within 0.5s"):
        assert_conforms("nc_hangs", "model", hangs, timeout=0.5)


def test_another_plugin_that_hangs_is_timed_apart_and_warned_about(hangs):
    results = {r.name: r for r in assert_conforms("ok_quick", "model", hangs, timeout=2)}
    (warning,) = results["every optimizer"].warnings
    assert warning.startswith(
        "optimizer 'nc_hanging_rule' (plugin 'tests.support.nonconforming_hangs') failed here "
        "(model 'ok_quick' with optimizer 'nc_hanging_rule' did not finish within 2s), but it fails on its own too "
        "(optimizer 'nc_hanging_rule' alone did not finish within 2s)"
    )


def test_plugins_check_prints_the_table_and_exits_1_on_failure(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", "tests.support.nonconforming")
    result = cli("plugins", "check", "nc_flat", code=1)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CHECK", "RESULT", "DETAIL"]
    assert any(line.startswith("trains") and " FAIL " in line for line in lines)
    progress = [f"[{n}/11] model 'nc_flat': {check}" for n, check in enumerate(
        ["builds", "trains", "every parameter", "reproducible", "resumes", "hand-written gradients", "autograd Functions",
         "metrics", "evaluation", "every optimizer"], 2)]
    # trains, and its zero gradients: wrong, and leaving its one parameter untrained
    assert result.stderr.splitlines() == progress + ["model 'nc_flat': 3 of 11 checks failed"]

    ok = cli("plugins", "check", "gd", "--json")
    data = json.loads(ok.stdout)
    assert data["kind"] == "optimizer" and data["passed"] is True
    assert {c["status"] for c in data["checks"]} == {"pass"}


def test_plugins_check_says_which_check_hangs_and_stops_it(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", HANGS)
    result = cli("plugins", "check", "nc_hangs", "--timeout", "0.5", code=1)
    assert result.stderr.splitlines()[0] == "[2/11] model 'nc_hangs': builds"
    assert "model 'nc_hangs': check 'builds' did not finish within 0.5s" in result.stdout


def test_plugins_check_passes_with_warnings_about_other_plugins(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", ",".join(NONCONFORMING))
    data = json.loads(cli("plugins", "check", "random", "--json").stdout)
    assert data["passed"] is True
    (fit,) = [c for c in data["checks"] if c["name"] == "models that fit"]
    assert fit["status"] == "warn" and fit["warnings"][0].startswith("model 'nc_raises'")

    table = cli("plugins", "check", "random")
    assert table.stdout.splitlines()[-1] == "dataset 'random': all checks passed (1 warning about other plugins)"


def builtins():
    registry = load_registry(extra_modules=())
    return [pytest.param(name, kind, id=name) for kind in ("model", "optimizer", "dataset", "schedule")
            for name, entry in sorted(registry.table(kind).items()) if entry.origin.package == "runner"]


@pytest.mark.slow
@pytest.mark.parametrize("name, kind", builtins())
def test_every_built_in_plugin_conforms_without_warnings(name, kind):
    """With only the installed plugins (the built-ins, and the sine example where installed): all pass, none warns."""
    results = assert_conforms(name, kind, load_registry(extra_modules=()))
    assert not [r for r in results if r.warnings], format_results(results)


MEASURES = ("tests.support.nonconforming_metrics", "tests.support.metric_plugins")


@pytest.fixture(scope="module")
def measured():
    """check_plugin on the plugins that report metrics, evaluate and hold data out, once per plugin."""
    registry = load_registry(extra_modules=MEASURES)
    return functools.cache(lambda name, kind: check_plugin(name, kind, registry))


@pytest.mark.parametrize(
    "name, kind, check, detail",
    [
        ("nc_metric_name", "model", "metrics", "'Mean Error' is not a word of lowercase letters"),
        ("nc_metric_rows", "model", "metrics", "'row_error' is of shape (64,), not a NumPy or Python scalar"),
        ("nc_metric_names_change", "model", "metrics", "the first step reports ['step_1'], the second ['step_2']"),
        ("nc_metric_on_host", "model", "metrics", "'mae' is a float, not a tensor: keep it a 0-d tensor on the device"),
        ("nc_eval_moves_weights", "model", "evaluation",
         "evaluating with its evaluate() on the training data of 'random' (it has no validation split) "
         "changed parameter 0 (shape (1000, 10)): evaluation must"),
        ("nc_eval_decays", "model", "evaluation", "evaluating with loss_and_grads on the training data of 'random'"),
        ("nc_overlapping_split", "dataset", "validation split", "numpy: 10 of the 10 validation rows of x are training rows"),
        ("nc_unseeded_split", "dataset", "validation split", "numpy: two draws of the validation split differ"),
        ("nc_float_classes", "dataset", "classes", "numpy training y is float64 of shape (30,): class indices are integers"),
        ("nc_class_out_of_range", "dataset", "classes", "numpy training y holds 0..3, outside 0..2 for classes=3"),
    ],
)
def test_each_fault_of_metrics_evaluation_or_splits_fails_its_check(measured, name, kind, check, detail):
    results = measured(name, kind)
    assert check in failing(results), format_results(results)
    assert detail in failing(results)[check]


@pytest.mark.parametrize(
    "name, kind, expected",
    [
        ("ok_measured", "model", {"metrics": "mae: words, the same at every step, scalars",
                                  "evaluation": "loss_and_grads on the training data of 'random'"}),
        ("softmax", "model", {"metrics": "accuracy: words, the same at every step, 0-d tensors on cpu",
                              "evaluation": "its evaluate() on the validation split of 'blobs' (val_loss"}),
        ("ok_split", "dataset", {"validation split": "numpy: 10 held-out rows; torch: 10 held-out rows; none in the",
                                 "classes": "integer targets within 0..2 (3 classes seen)"}),
        ("blobs", "dataset", {"validation split": "numpy: 30 held-out rows", "classes": "within 0..2"}),
        ("heldout", "dataset", {"validation split": "numpy: 32 held-out rows"}),
    ],
)
def test_what_reports_metrics_evaluates_and_holds_data_out_rightly_passes(measured, name, kind, expected):
    results = {r.name: r for r in measured(name, kind)}
    for check, detail in expected.items():
        assert results[check].status == "pass", format_results(list(results.values()))
        assert detail in results[check].detail


def test_evaluation_that_moves_the_training_generators_is_caught(monkeypatch):
    """DynamicNet draws its depth from Python's random: were evaluation not to put it back, training would change."""
    import contextlib

    from runner.testing.measures import check_evaluation
    from runner.training import evaluation

    registry = load_registry(extra_modules=())
    assert check_evaluation(registry, "dynamic").status == "pass"
    monkeypatch.setattr(evaluation, "generators_kept", contextlib.nullcontext)
    result = check_evaluation(registry, "dynamic")
    assert not result.passed and "changed Python's random:" in result.detail


@pytest.mark.parametrize("optimizer, changed", [("adam", ["parameter 0 (shape (1000, 10))", "the optimizer's state"]),
                                                ("gd", ["parameter 0 (shape (1000, 10))"])])
def test_a_step_changes_the_parameters_and_the_optimizer_state_it_keeps(optimizer, changed):
    """What the evaluation check compares: Adam's moments are state; gd holds only the parameters, compared apart."""
    from runner.testing.running import prepared
    from runner.testing.snapshots import TrainingState

    registry = load_registry(extra_modules=MEASURES)
    trainer, problem = prepared(registry, model="ok_measured", optimizer=optimizer, seed=0)
    assert trainer is not None, problem
    trainer.step()
    before = TrainingState.of(trainer)
    assert before.changes(trainer) == []
    trainer.step()
    assert before.changes(trainer) == changed


RESUMING = "tests.support.nonconforming_resume"


@pytest.fixture(scope="module")
def resuming():
    return load_registry(extra_modules=(RESUMING,))


@pytest.mark.parametrize(
    "name, kind, check, detail",
    [
        ("nc_hidden_rng", "model", "resumes",
         "stopped after 3 of 6 steps and resumed from its checkpoint, step 3 gave "),
        ("nc_hidden_rng", "model", "resumes",
         "as without the stop: the model (or its default optimizer) keeps state that runner cannot see (a generator of its "
         "own, a buffer outside its parameters): give it state_dict() and load_state_dict() (see docs/plugins.md)"),
        ("nc_noisy_rule", "optimizer", "resumes (numpy)", "as without the stop: the rule keeps state that runner cannot see"),
    ],
)
def test_state_that_a_checkpoint_cannot_see_fails_the_resume_check(resuming, name, kind, check, detail):
    results = check_plugin(name, kind, resuming)
    assert check in failing(results), format_results(results)
    assert detail in failing(results)[check]
    assert statuses(results)["reproducible" if kind == "model" else "updates in place (numpy)"] == "pass"


@pytest.mark.parametrize("name, kind, check", [("ok_hidden_rng", "model", "resumes"),
                                               ("ok_noisy_rule", "optimizer", "resumes (numpy)")])
def test_state_given_through_state_dict_resumes_exactly(resuming, name, kind, check):
    results = {r.name: r for r in check_plugin(name, kind, resuming)}
    assert results[check].status == "pass", format_results(list(results.values()))
    assert "resumed from its checkpoint: the same" in results[check].detail


BUGS = "tests.support.evaluation_bugs"


@pytest.fixture(scope="module")
def evaluating():
    """check_evaluation on the planted evaluation bugs (tests.support.evaluation_bugs), once per model."""
    from runner.testing.measures import check_evaluation

    registry = load_registry(extra_modules=(BUGS,))
    return functools.cache(lambda name: check_evaluation(registry, name))


@pytest.mark.parametrize("name, detail", [
    ("eb_never_train", "made harmless by runner's evaluation mode: alone, its evaluate() would leave module "
                       "'(the model)' (Sequential), module '0' (Linear), module '1' (BatchNorm1d) and 3 more in "
                       "evaluation mode (eval() without train())"),
    ("eb_no_eval", "made harmless by runner's evaluation mode: alone, its evaluate() would run module '1' "
                   "(BatchNorm1d), module '3' (Dropout) in training mode (no eval()), change buffer "
                   "'1.running_mean' (BatchNorm1d), buffer '1.running_var' (BatchNorm1d), buffer "
                   "'1.num_batches_tracked' (BatchNorm1d)"),
])
def test_an_evaluation_bug_runner_makes_harmless_passes_and_says_which(evaluating, name, detail):
    result = evaluating(name)
    assert result.status == "pass", result.detail
    assert "every module's training flag and buffer as they were; with an evaluation after step 2 the 6 losses are " \
           "those without, bit for bit" in result.detail
    assert result.detail.endswith(detail)


def test_a_careful_evaluate_passes_with_nothing_to_say(evaluating):
    result = evaluating("eb_clean")
    assert result.status == "pass" and "made harmless" not in result.detail


@pytest.mark.parametrize("name, detail", [
    ("eb_forces_train", "its evaluate() ran module '1' (BatchNorm1d), module '3' (Dropout) in training mode, though "
                        "runner had put the model in evaluation mode"),
    ("eb_forces_train", "its evaluate() changed buffer '1.running_mean' (BatchNorm1d), buffer '1.running_var' "
                        "(BatchNorm1d), buffer '1.num_batches_tracked' (BatchNorm1d); runner put it back"),
    ("eb_hidden", "with an evaluation after step 2, the losses differ from those without from step 3 on: evaluating "
                  "changes what training computes; a torch model: give runner its nn.Module (AutogradModel(..., "
                  "module=net)"),
])
def test_an_evaluation_bug_runner_cannot_undo_fails_the_check_naming_the_module_or_buffer(evaluating, name, detail):
    result = evaluating(name)
    assert not result.passed and detail in result.detail


def test_were_runner_not_to_put_flags_and_buffers_back_the_check_names_them(monkeypatch):
    from runner.testing.measures import check_evaluation
    from runner.training.modes import Watched

    registry = load_registry(extra_modules=(BUGS,))
    monkeypatch.setattr(Watched, "restore", lambda self: None)
    result = check_evaluation(registry, "eb_no_eval")  # left in evaluation mode by runner: its flags are changed
    assert not result.passed and result.detail.startswith(
        "evaluating with its evaluate() on the validation split of 'evalsplit' changed the training flag of module "
        "'(the model)' (Sequential), the training flag of module '0' (Linear)")
    result = check_evaluation(registry, "eb_forces_train")  # batch norm run in training mode: its buffers are changed
    assert "changed buffer '1.running_mean' (BatchNorm1d), buffer '1.running_var' (BatchNorm1d), buffer " \
           "'1.num_batches_tracked' (BatchNorm1d): evaluation must leave training as it was" in result.detail


LION = "tests.support.lion"


@pytest.fixture(scope="module")
def lion():
    registry = load_registry(extra_modules=(LION,))
    return registry, functools.cache(lambda name, kind: check_plugin(name, kind, registry))


@pytest.mark.parametrize("optimizer", ["lion", "heavy"])
def test_an_optimizer_that_declares_its_lr_trains_every_model_at_the_models_own_lr(lion, optimizer):
    """heavy's 1e-3 with momentum diverges the tutorial's tensor model in 3 steps; at the model's 1e-6 it trains."""
    registry, checked = lion
    result = {r.name: r for r in checked(optimizer, "optimizer")}["every model"]
    assert result.status == "pass", result.detail
    declared = registry.optimizers[optimizer].spec.lr
    assert f"at their own lr, below this optimizer's {declared:g})" in result.detail
    tensor = {r.name: r for r in checked("tensor", "model")}["every optimizer"]
    assert tensor.status == "pass", tensor.detail
    assert tensor.detail.endswith("(heavy, lion at the model's lr, 1e-06, below their own)")


def test_paired_lr_keeps_a_models_recipe_and_a_smaller_declared_lr(lion):
    from runner.testing.pairs import paired_lr

    registry, _ = lion
    assert paired_lr(registry, "tensor", "heavy") == {"lr": 1e-6}  # 1e-3 > the model's 1e-6
    assert paired_lr(registry, "tensor", "adam") == {}  # declares none: the model's lr, as a run takes it
    assert paired_lr(registry, "tensor", "gd") == {}  # the model's own optimizer: its recipe
    assert paired_lr(registry, "dynamic", "heavy") == {"lr": 1e-4}  # dynamic's own 1e-4, below heavy's 1e-3
    assert paired_lr(registry, "dynamic", "lion") == {}  # lion's 1e-4 is not larger: kept, as a run takes it


def test_plugins_check_says_which_evaluation_bug_runner_made_harmless_and_fails_the_other(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", BUGS)
    harmless = json.loads(cli("plugins", "check", "eb_never_train", "--json").stdout)
    assert harmless["passed"] is True
    (evaluation,) = [c for c in harmless["checks"] if c["name"] == "evaluation"]
    assert "made harmless by runner's evaluation mode: alone, its evaluate() would leave module '(the model)' " \
           "(Sequential)" in evaluation["detail"]
    result = cli("plugins", "check", "eb_forces_train", code=1)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("evaluation ")]
    assert " FAIL " in line and "ran module '1' (BatchNorm1d), module '3' (Dropout) in training mode" in line
    assert result.stderr.splitlines()[-1] == "model 'eb_forces_train': 1 of 11 checks failed"
