"""Evaluation cannot disturb training: runner puts a torch model's module in evaluation mode around evaluate,
then gives back each submodule's own training flag and every buffer (issue 19, part 4; runner.training.modes).

The planted bugs are the models of tests.support.evaluation_bugs, run through the CLI."""

from __future__ import annotations

import pytest

BUGS = "tests.support.evaluation_bugs"
STEPS, EVERY = "30", "7"


@pytest.fixture
def bugs_cli(cli, monkeypatch):
    monkeypatch.setenv("RUNNER_PLUGINS", BUGS)
    return cli


def losses(store, run_id):
    return [loss for _, _, loss, _ in store.iter_steps([run_id])]


def validation(store, run_id, name="val_loss"):
    return {step: value for _, n, step, value in store.iter_metrics([run_id]) if n == name}


def buffers(run_id, db_url):
    import runner

    module = runner.load_model(run_id, db=db_url).module
    return {name: b.clone() for name, b in module.named_buffers()}


def same_buffers(a, b):
    import torch

    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("model", ["eb_clean", "eb_never_train", "eb_no_eval", "eb_forces_train"])
def test_a_run_with_eval_every_trains_bitwise_as_without_whatever_evaluate_does(bugs_cli, store, db_url, model):
    """Bug (a), eval() and never train(); bug (b), batch norm evaluated in training mode (eb_no_eval never calls
    eval(); eb_forces_train calls train()): the losses and the kept batch-norm statistics are those of no evaluation."""
    bugs_cli("run", "--model", model, "--steps", STEPS)
    bugs_cli("run", "--model", model, "--steps", STEPS, "--eval-every", EVERY)
    assert sorted(validation(store, 2)) == [6, 13, 20, 27, 29]
    assert losses(store, 2) == losses(store, 1)  # exact, not approx
    kept = buffers(2, db_url)
    assert kept["1.num_batches_tracked"].item() == int(STEPS)  # 30, not 35: no evaluation counted
    assert same_buffers(kept, buffers(1, db_url))


def test_dropout_is_off_during_evaluation_so_validation_values_are_the_eval_mode_ones(bugs_cli, store):
    """Bug (c), dropout left active: with runner's evaluation mode, every model gives the careful model's values."""
    for model in ("eb_clean", "eb_never_train", "eb_no_eval"):
        bugs_cli("run", "--model", model, "--steps", STEPS, "--eval-every", EVERY)
    careful = validation(store, 1)
    assert validation(store, 2) == careful and validation(store, 3) == careful


def test_each_submodule_gets_its_own_training_flag_back(metric_env, monkeypatch):
    """A frozen part kept in evaluation mode by the plugin stays so; the rest goes back to training."""
    from runner.config import resolve
    from runner.registry import load_registry
    from runner.request import RunChoice
    from runner.training.engine import prepare

    monkeypatch.setenv("RUNNER_PLUGINS", BUGS)
    trainer = prepare(resolve(load_registry(), RunChoice("eb_never_train", steps=3, device="cpu", eval_every=1)))
    net = trainer.model.module
    net[1].eval()  # the plugin's own choice: batch norm frozen
    trainer.evaluator()
    assert [m.training for m in net] == [True, False, True, True, True] and net.training


def test_a_buffer_that_evaluate_replaces_is_put_back(metric_env, monkeypatch):
    import torch

    from runner.training.evaluation import Evaluator

    monkeypatch.setenv("RUNNER_PLUGINS", BUGS)
    from tests.support.evaluation_bugs import model

    made = model(6, 3, "cpu")
    kept = made.module[1].running_mean
    before = kept.clone()

    def evaluate(x, y):
        made.module[1].running_mean = torch.ones(16)
        return {"loss": torch.tensor(1.0)}

    made.evaluate = evaluate
    Evaluator(made, torch.zeros(4, 6), torch.zeros(4, 3), "torch")()
    assert made.module[1].running_mean is kept and torch.equal(kept, before)


def test_a_model_with_no_module_runner_can_find_is_left_alone(registry):
    """NumPy models and hand-written tensors: nothing to put in evaluation mode, and evaluation works as before."""
    from runner.training.modes import evaluation_mode
    from tests.support.training import record

    with evaluation_mode(object()) as watched:
        assert watched is None
    run = record(registry, "tensor", steps=4, dataset="random")
    assert run.outcome.status == "completed"


def test_an_evaluate_that_raises_still_leaves_flags_and_buffers_as_they_were(metric_env, monkeypatch):
    import torch

    from runner.training.evaluation import Evaluator
    from tests.support.evaluation_bugs import model

    made = model(6, 3, "cpu")
    before = {name: b.clone() for name, b in made.module.named_buffers()}

    def evaluate(x, y):
        made.module.train()
        made.module(x)  # batch norm updates its statistics in training mode
        raise RuntimeError("evaluate broke")

    made.evaluate = evaluate
    made.module[3].eval()  # the plugin's own choice for one module
    with pytest.raises(RuntimeError, match="evaluate broke"):
        Evaluator(made, torch.randn(8, 6), torch.zeros(8, 3), "torch")()
    assert [m.training for m in made.module] == [True, True, True, False, True]
    assert all(torch.equal(b, before[name]) for name, b in made.module.named_buffers())
