"""A run interrupted at any step and resumed from its checkpoint gives exactly the losses of the run left alone.

For the seven tutorial models, every built-in optimizer (with the options
that give it state: momentum, Nesterov, AMSGrad, centered RMSprop), with
and without --batch-size, on the CPU, compared bit for bit.
"""

import pytest

from tests.checkpoints.conftest import MODELS, bits, interrupted, losses, prepared

STEPS = 12
AT = (1, 5, STEPS - 1)
OPTIMIZERS = {  # name: (optimizer, --set options)
    "gd": ("gd", []),
    "sgd": ("sgd", []),
    "sgd-nesterov": ("sgd", ["momentum=0.9", "nesterov=true"]),
    "adam": ("adam", []),
    "adam-amsgrad": ("adam", ["amsgrad=true"]),
    "adamw": ("adamw", []),
    "rmsprop": ("rmsprop", []),
    "rmsprop-centered": ("rmsprop", ["centered=true", "momentum=0.5"]),
}
LR = {"gd": 1e-3, "sgd": 1e-3, "adam": 1e-2, "adamw": 1e-2, "rmsprop": 1e-3}


@pytest.mark.parametrize("batch_size", [None, 5], ids=["whole", "batches"])
@pytest.mark.parametrize("rule", sorted(OPTIMIZERS))
@pytest.mark.parametrize("model", MODELS)
def test_resumed_runs_give_the_losses_of_the_run_left_alone(builtins, model, rule, batch_size):
    optimizer, sets = OPTIMIZERS[rule]
    args = dict(optimizer=optimizer, lr=LR[optimizer], batch_size=batch_size,
                sets=["batch=16", "d_in=6", "d_out=3", "hidden=5", *sets])
    whole, outcome = losses(prepared(builtins, model, STEPS, **args), STEPS)
    assert outcome.status == "completed" and len(whole) == STEPS, outcome.error
    assert len({loss for _, loss, _ in whole}) > 1  # it trains: the state a checkpoint keeps matters
    for at in AT:
        head, tail, resumed = interrupted(builtins, model, STEPS, at, **args)
        assert resumed.status == "completed", resumed.error
        assert bits(head + tail) == bits(whole), f"resumed after {at} steps"
        assert resumed.steps_done == STEPS
        assert tail[0][2] >= head[-1][2]  # times go on from the checkpoint's


@pytest.mark.parametrize("model, optimizer", [("dynamic", "adam"), ("numpy", "rmsprop"), ("tensor", "sgd")])
def test_a_run_stopped_by_its_stop_flag_resumes_from_the_checkpoint_it_took(builtins, model, optimizer):
    """As `runner run` will: Ctrl-C sets the flag, the loop stops between steps and takes a checkpoint."""
    from runner.checkpoints.codec import decode, encode
    from runner.checkpoints.state import capture, restore
    from runner.training.checkpointing import checkpoints
    from runner.training.signals import StopFlag
    from tests.checkpoints.conftest import perturb

    momentum = ["momentum=0.9"] if optimizer == "sgd" else []
    args = dict(optimizer=optimizer, lr=LR[optimizer], batch_size=5, sets=["batch=16", "d_in=6", "d_out=3", "hidden=5", *momentum])
    whole, _ = losses(prepared(builtins, model, STEPS, **args), STEPS)
    trainer = prepared(builtins, model, STEPS, **args)
    stop, saved, taken = StopFlag(), [], []
    step = trainer.step

    def stepped():
        taken.append(1)
        stop.requested = len(taken) == 5  # after the fifth step: the loop stops before the sixth
        return step()

    trainer.step = stepped
    keep = checkpoints("300s", lambda done, seconds: saved.append(encode(capture(trainer, done, seconds))))
    head, outcome = losses(trainer, STEPS, handlers=[keep, stop])
    assert outcome.status == "interrupted" and outcome.steps_done == 5 and len(saved) == 1
    fresh = prepared(builtins, model, STEPS, **args)
    perturb(fresh)
    checkpoint = decode(saved[0])
    restore(fresh, checkpoint)
    tail, outcome = losses(fresh, STEPS, checkpoint.step, checkpoint.elapsed)
    assert outcome.status == "completed" and checkpoint.step == 5
    assert bits(head + tail) == bits(whole)
