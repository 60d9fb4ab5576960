"""What restore refuses (another model's checkpoint, other settings), changing nothing, and what it puts back."""

import numpy
import pytest

from runner.checkpoints.codec import decode, encode
from runner.checkpoints.state import capture, restore
from runner.errors import CheckpointError
from runner.testing.snapshots import TrainingState
from tests.checkpoints.conftest import SMALL, bits, losses, prepared


def taken(registry, model="numpy", **args):
    trainer = prepared(registry, model, 6, **args)
    losses(trainer, 2)
    return decode(encode(capture(trainer, 2)))


@pytest.mark.parametrize(
    "saved, into, message",
    [
        (dict(model="numpy"), dict(model="numpy", sets=[*SMALL, "hidden=7"]),
         r"^the checkpoint \(taken from plugin 'numpy' \(runner .*\), model 'numpy' after 2 steps\) holds parameters "
         r"\[6x5 float64, 5x3 float64\], plugin 'numpy' .* has \[6x7 float64, 7x3 float64\]: it was taken from another "
         r"model or other settings; resume a run from its own checkpoints$"),
        (dict(model="tensor"), dict(model="numpy"), r"is of a torch model, plugin 'numpy' .* is numpy; resume a run"),
        (dict(model="module"), dict(model="dynamic"), r"holds parameters \[linear1.weight, linear1.bias, linear2.weight, "
                                                       r"linear2.bias\], plugin 'dynamic' .* has \[input_linear.weight, "),
        (dict(model="numpy", batch_size=5), dict(model="numpy"), r"was taken with --batch-size, this run without it"),
        (dict(model="numpy", batch_size=5), dict(model="numpy", batch_size=4), r"drew batches of 5 from 16 rows, this run 4"),
        (dict(model="numpy", optimizer="adam"), dict(model="numpy", optimizer="sgd"),
         r"holds the state of another optimizer or other settings \(it keeps dampening, .*; the checkpoint amsgrad, betas"),
        (dict(model="tensor", optimizer="adam"), dict(model="tensor", optimizer="gd"),
         r"another optimizer or other settings \(state kept as state_dict, not attributes\)"),
        (dict(model="numpy", optimizer="adam", sets=[*SMALL, "amsgrad=true"]), dict(model="numpy", optimizer="adam"),
         r"max_exp_avg_sqs: 2 items, not 0"),
        (dict(model="module", optimizer="adam"), dict(model="module", optimizer="sgd"),
         r"another optimizer or other settings \(the state of Adam, not SGD\)"),
    ],
    ids=["hidden", "backend", "another model", "batches", "batch size", "numpy optimizer", "torch optimizer", "amsgrad",
         "torch optimizer type"],
)
def test_a_checkpoint_that_does_not_fit_is_refused_and_changes_nothing(builtins, saved, into, message):
    checkpoint = taken(builtins, **saved)
    trainer = prepared(builtins, into.pop("model"), 6, **into)
    before = TrainingState.of(trainer)
    with pytest.raises(CheckpointError, match=message):
        restore(trainer, checkpoint)
    assert before.changes(trainer) == []


def test_a_checkpoint_without_names_is_checked_by_its_shapes_in_order(builtins):
    """Checkpoints taken before names were kept (decoded with names None) still refuse another model by shapes."""
    checkpoint = taken(builtins, "module")
    assert checkpoint.names == ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    checkpoint.names = None
    trainer = prepared(builtins, "dynamic", 6)
    with pytest.raises(CheckpointError, match=r"holds parameters \[5x6 float32, 5 float32, 3x5 float32, 3 float32\], "
                                              r"plugin 'dynamic' .* has \[5x6 float32, 5 float32, 5x5 float32, 5 float32, "):
        restore(trainer, checkpoint)
    restore(prepared(builtins, "module", 6), checkpoint)  # its own model takes it


def test_one_checkpoint_restores_twice_to_the_same_losses(builtins):
    """restore copies: training after one restore leaves the checkpoint as it was for the next."""
    checkpoint = taken(builtins, "module", optimizer="adam", lr=1e-2, batch_size=5)
    runs = []
    for _ in range(2):
        trainer = prepared(builtins, "module", 6, optimizer="adam", lr=1e-2, batch_size=5)
        restore(trainer, checkpoint)
        runs.append(bits(losses(trainer, 6, checkpoint.step)[0]))
    assert runs[0] == runs[1] and len(runs[0]) == 4


def test_a_models_own_state_dict_and_its_modules_buffers_are_kept(builtins):
    """A model with state_dict()/load_state_dict() has it saved; an nn.Module's buffers (batch-norm statistics) too."""
    import torch

    trainer = prepared(builtins, "sequential", 6)
    module = trainer.model.module
    module.register_buffer("seen", torch.zeros(3))
    module.seen += 5
    checkpoint = decode(encode(capture(trainer, 0)))
    assert checkpoint.extra["model"]["kind"] == "buffers"
    fresh = prepared(builtins, "sequential", 6)
    fresh.model.module.register_buffer("seen", torch.zeros(3))
    restore(fresh, checkpoint)
    assert fresh.model.module.seen.tolist() == [5.0, 5.0, 5.0]

    class Counted:
        def __init__(self, model):
            self.model, self.calls = model, numpy.zeros(1)

        def parameters(self):
            return self.model.parameters()

        def loss_and_grads(self, x, y):
            self.calls += 1
            return self.model.loss_and_grads(x, y)

        def state_dict(self):
            return {"calls": self.calls}

        def load_state_dict(self, state):
            self.calls = numpy.array(state["calls"])

    trainer = prepared(builtins, "numpy", 6)
    trainer.model = Counted(trainer.model)
    losses(trainer, 3)
    fresh = prepared(builtins, "numpy", 6)
    fresh.model = Counted(fresh.model)
    restore(fresh, decode(encode(capture(trainer, 3))))
    assert fresh.model.calls.tolist() == [3.0]


def test_an_optimizer_attribute_that_cannot_be_kept_is_warned_about_once(capsys):
    import numpy as np

    from runner.checkpoints import state

    class Hidden:
        def __init__(self, params):
            self.params, self.lr, self.rng = params, 0.1, np.random.default_rng(0)

    params = [np.zeros(3)]
    for _ in range(2):
        saved = state._optimizer_state(Hidden(params), params)
    assert saved["state"] == {"lr": 0.1}
    err = capsys.readouterr().err
    assert err.count("warning: Hidden's 'rng' cannot be kept in a checkpoint, so a resumed run may differ") == 1
